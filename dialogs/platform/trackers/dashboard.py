"""The author's dashboard window, from the tracker card: every figure from one read model
(billing.dashboard), and its twelve months as a picture (services.dashboard_chart)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button

from billing.commission import schedule_at
from billing.dashboard import Month, author_dashboard
from dialogs.platform.webapp import dashboard_page_url
from i18n.format import count, month_of, rub
from models import User
from services.dashboard_chart import DashboardCharts, DashboardChartText
from services.trackers import TrackerError, TrackerService


def _month(i18n, month: Month) -> str:
    return i18n("dashboard-month", month=month_of(month.label, i18n.lang), new=count(month.new, i18n.lang),
                churned=count(month.churned, i18n.lang),
                revenue=rub(month.revenue_kopecks, i18n.lang), cost=rub(month.token_cost_kopecks, i18n.lang),
                margin=rub(month.margin_kopecks, i18n.lang))


async def dashboard_getter(dialog_manager: DialogManager, trackers: TrackerService, user: User, i18n, settings,
                           **_: Any) -> dict:
    try:
        tracker = await trackers.owned(user.id, int((dialog_manager.start_data or {}).get("tracker_id")))
    except (TrackerError, TypeError, ValueError):
        return {"found": False, "dashboard": "", "webapp_dashboard": "", "error": i18n("tracker-not-found")}
    now = datetime.now(UTC)
    dash = await author_dashboard(tracker, now, settings.timezone,
                                  schedule=await schedule_at(now, fallback=settings.commission))
    top = "\n".join(i18n("dashboard-top-line", name=name or str(uid), cost=rub(cost, i18n.lang))
                    for uid, name, cost in dash.top)
    text = i18n(
        "dashboard",
        name=tracker.name, active=count(dash.active, i18n.lang),
        this=_month(i18n, dash.this), last=_month(i18n, dash.last),
        clients=count(dash.clients_with_cost, i18n.lang), median=rub(dash.median_cost_kopecks, i18n.lang),
        p90=rub(dash.p90_cost_kopecks, i18n.lang),
        estimate=rub(dash.estimate_kopecks, i18n.lang) if dash.estimate_kopecks is not None else "—",
        top=top or "—", settled=rub(dash.settled_kopecks, i18n.lang),
        forecast=rub(dash.forecast_kopecks, i18n.lang),
    )
    return {"found": True, "dashboard": text, "webapp_dashboard": dashboard_page_url(settings, tracker.id), "error": ""}


def chart_text(i18n, name: str) -> DashboardChartText:
    return DashboardChartText(lang=i18n.lang, title=i18n("dashboard-chart-title", name=name),
                              currency=i18n("partner-chart-currency"), revenue=i18n("dashboard-chart-revenue"),
                              cost=i18n("dashboard-chart-cost"), margin=i18n("dashboard-chart-margin"))


async def on_dashboard_chart(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The last twelve months as a picture, the dashboard again below it; pressed again too soon,
    or with nothing to draw yet, a sentence instead."""
    data = manager.middleware_data
    i18n, settings = data["i18n"], data["settings"]
    try:
        tracker = await data["trackers"].owned(data["user"].id, int((manager.start_data or {})["tracker_id"]))
    except (TrackerError, KeyError, TypeError, ValueError):
        manager.show_mode = ShowMode.NO_UPDATE
        await callback.answer(i18n("tracker-not-found"), show_alert=True)
        return
    charts: DashboardCharts = data["dashboard_charts"]
    result = await charts.chart(tracker, chart_text(i18n, tracker.name), tz=settings.timezone)
    if result.wait_seconds or result.empty:
        manager.show_mode = ShowMode.NO_UPDATE
        await callback.answer(i18n("partner-chart-wait", seconds=result.wait_seconds) if result.wait_seconds
                              else i18n("dashboard-chart-empty"), show_alert=True)
        return
    await callback.message.answer_photo(BufferedInputFile(result.png, "dashboard.png"),
                                        caption=i18n("dashboard-chart-caption", name=tracker.name,
                                                     margin=rub(result.total_kopecks, i18n.lang)))
    await callback.answer()
    manager.show_mode = ShowMode.SEND  # the dashboard comes back below the picture
