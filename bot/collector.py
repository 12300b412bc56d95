"""Python's cyclic garbage collector, off while the `gptitor` command imports the platform.

Importing the platform builds several hundred thousand objects (modules, classes, models,
pydantic and aiogram types). Each time enough of them pile up, the collector walks the whole
growing heap; measured with gc.callbacks, four full passes took a few hundred milliseconds of a
start and found next to nothing to free. So the command turns the collector off before its first
import, and `ready()` turns it on once the command has imported what it needs, before it touches
the database (a migration, a copy or a settlement makes real garbage, and is collected as usual).
`ready()` first moves what the imports built to the permanent generation (gc.freeze), so later
full passes skip the modules and classes too; the few thousand unreachable objects the imports
leave stay with them, a one-time cost of well under a megabyte.

Only the command defers it (bot/launch.py): a test or a program that imports the platform keeps
its collector as it was, and `ready()` does nothing there.
"""

from __future__ import annotations

import gc

_deferred = False


def defer() -> None:
    global _deferred
    if gc.isenabled():
        gc.disable()
        _deferred = True


def ready() -> None:
    """The imports are done: collect from here on (idempotent)."""
    global _deferred
    if _deferred:
        _deferred = False
        gc.freeze()  # modules and classes live as long as the process
        gc.enable()
