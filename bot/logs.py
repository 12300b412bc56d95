"""No bot token in any log record: message, arguments, traceback and stack.

A filter on the root logger would not be enough: Python consults a logger's filters only for
records logged to that very logger, not for those that propagate up from `aiogram.event` or
`bot.transport`. So the rule is applied where every record is made (the record factory), before
any handler, pytest's included, sees it; the filter is also put on the root logger's handlers
for records made some other way (`logging.makeLogRecord`).
"""

from __future__ import annotations

import logging
from typing import Any

from notify.redact import redact

_TRACEBACKS = logging.Formatter()


def redact_record(record: logging.LogRecord) -> None:
    """Mask tokens in the record in place. The exception's text is formatted here, masked, and
    kept as `exc_text`, which formatters print instead of formatting the exception again."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string: logging reports it when it emits
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = _TRACEBACKS.formatException(record.exc_info)
        clean = redact(text)
        if clean != text:
            record.exc_text = clean
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_redaction() -> None:
    """Mask bot tokens in every log record from now on; calling it again changes nothing."""
    make = logging.getLogRecordFactory()
    if not getattr(make, "redacts_tokens", False):

        def make_redacted(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            redact_record(record)
            return record

        make_redacted.redacts_tokens = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(make_redacted)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())


# One INFO line per handled update ("Update id=... is handled", aiogram's dispatcher): at a busy
# platform that is most of the log and a record to format and redact per update; /metrics counts
# the updates and their latency instead. `--verbose` keeps it.
PER_UPDATE_LOGGERS = ("aiogram.event",)


def quiet_per_update_logs(level: int) -> None:
    """Per-update INFO lines off unless the run logs at DEBUG."""
    if level > logging.DEBUG:
        for name in PER_UPDATE_LOGGERS:
            logging.getLogger(name).setLevel(max(level, logging.WARNING))
