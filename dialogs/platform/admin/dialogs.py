"""The platform admin's dialog. Guarded by `admin_only`: its windows, buttons and text inputs
answer nobody outside ADMIN_IDS, even with a callback copied from an admin's chat."""

from __future__ import annotations

from aiogram_dialog import Dialog
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.platform.admin import costs
from dialogs.platform.admin import getters as g
from dialogs.platform.admin import handlers as h
from dialogs.platform.admin_gate import admin_only
from dialogs.platform.states import AdminDebtsSG, AdminHoldsSG, AdminPayoutsSG, AdminSG
from dialogs.widgets import Tr, labelled_select, prompt_window, screen_window, text_input


def admin_menu_button() -> Button:
    """For the platform bot's start menu: shown to admins only, and the click is checked again."""
    return Button(Tr("admin-btn-open"), id="admin", on_click=h.on_open_admin, when=h.admin_visible)


def _back(state=AdminSG.menu, widget_id: str = "to_menu") -> SwitchTo:
    return SwitchTo(Tr("btn-back"), id=widget_id, state=state)


def admin_dialog() -> Dialog:
    return admin_only(Dialog(
        screen_window(
            Tr("admin-menu"),
            Column(
                SwitchTo(Tr("admin-btn-rate"), id="rate", state=AdminSG.rate),
                SwitchTo(Tr("admin-btn-prices"), id="prices", state=AdminSG.prices),
                SwitchTo(Tr("admin-btn-commission"), id="commission", state=AdminSG.commission),
                SwitchTo(Tr("costs-btn-open"), id="costs", state=AdminSG.costs),
                Start(Tr("admin-btn-payouts"), id="payouts", state=AdminPayoutsSG.queue),
                Start(Tr("admin-btn-debts"), id="debts", state=AdminDebtsSG.list),
                Start(Tr("holds-btn-open"), id="holds", state=AdminHoldsSG.list),
                SwitchTo(Tr("admin-btn-events"), id="events", state=AdminSG.events),
                SwitchTo(Tr("admin-btn-totals"), id="totals", state=AdminSG.totals),
            ),
            Cancel(Tr("admin-btn-close")),
            state=AdminSG.menu,
            getter=g.menu_getter,
        ),
        screen_window(
            Tr("admin-rate"),
            SwitchTo(Tr("admin-btn-rate-new"), id="rate_new", state=AdminSG.rate_new),
            _back(),
            state=AdminSG.rate,
            getter=g.rate_getter,
        ),
        prompt_window(Tr("admin-rate-ask"), h.on_rate_entered, _back(AdminSG.rate, "to_rate"),
                      state=AdminSG.rate_new, getter=g.rate_getter),
        screen_window(
            (Tr("admin-prices", when="has_prices"),
             Tr("admin-prices-none", when="no_prices"),
             Tr("admin-prices-shipped", when="shipped")),
            Column(labelled_select("price", "prices", h.on_price_selected, int)),
            SwitchTo(Tr("admin-btn-price-new"), id="price_new", state=AdminSG.price_new),
            _back(),
            state=AdminSG.prices,
            getter=g.prices_getter,
        ),
        screen_window(
            Tr("admin-price", when="found"),
            text_input(h.on_price_changed),
            Button(Tr("admin-btn-deactivate"), id="deactivate", on_click=h.on_deactivate, when="is_active"),
            _back(AdminSG.prices, "to_prices"),
            state=AdminSG.price,
            getter=g.price_getter,
        ),
        prompt_window(Tr("admin-price-new-ask"), h.on_new_price_entered, _back(AdminSG.prices, "to_prices"),
                      state=AdminSG.price_new, getter=g.prices_getter),
        screen_window(
            (Tr("admin-commission"), Tr("admin-unattributed")),
            SwitchTo(Tr("admin-btn-commission-new"), id="commission_new", state=AdminSG.commission_new),
            Button(Tr("admin-btn-unattributed"), id="unattributed", on_click=h.on_unattributed_toggle),
            _back(),
            state=AdminSG.commission,
            getter=g.commission_getter,
        ),
        prompt_window(Tr("admin-commission-ask"), h.on_commission_entered, _back(AdminSG.commission, "to_commission"),
                      state=AdminSG.commission_new, getter=g.commission_getter),
        screen_window(
            Tr("costs-settings"),
            text_input(costs.on_cost_setting),
            _back(),
            state=AdminSG.costs,
            getter=costs.costs_getter,
        ),
        screen_window(
            (Tr("admin-events", when="has_events"),
             Tr("admin-events-none", when="no_events"),
             Format("{lines}", when="has_events")),
            Group(labelled_select("retry", "events", h.on_retry_one, int), width=5, when="has_events"),
            Row(
                Button(Format("◀️"), id="ev_prev", on_click=h.on_page, when="has_prev"),
                Button(Format("▶️"), id="ev_next", on_click=h.on_page, when="has_next"),
            ),
            Button(Tr("admin-btn-retry-all"), id="retry_all", on_click=h.on_retry_all, when="has_events"),
            _back(),
            state=AdminSG.events,
            getter=g.events_getter,
        ),
        screen_window(
            Tr("admin-totals"),
            text_input(h.on_month_entered),
            Row(
                Button(Format("◀️"), id="m_prev", on_click=h.on_month_step),
                Button(Format("▶️"), id="m_next", on_click=h.on_month_step),
            ),
            Button(Tr("admin-btn-export"), id="export", on_click=h.on_export),
            _back(),
            state=AdminSG.totals,
            getter=g.totals_getter,
        ),
    ))
