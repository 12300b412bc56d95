"""Admin screens answer only the ids in ADMIN_IDS (settings.admin_ids).

The filter sits on the dialog's own observers, so a non-admin reaches no window, no button and
no text input of an admin dialog, even with a callback copied from an admin's chat.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiogram import Router
from aiogram.filters import Filter

R = TypeVar("R", bound=Router)


class IsAdmin(Filter):
    async def __call__(self, event: Any, settings: Any = None) -> bool:
        user = getattr(event, "from_user", None)
        return user is not None and settings is not None and user.id in settings.admin_ids


def admin_only(router: R) -> R:
    """Guard every message and callback of `router` (a Dialog or a plain Router)."""
    for observer in (router.message, router.callback_query):
        observer.filter(IsAdmin())
    return router
