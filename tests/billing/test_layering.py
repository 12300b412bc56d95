"""The money engine is domain code: it must not pull in aiogram (ARCHITECTURE.md)."""

import subprocess
import sys
from pathlib import Path

MODULES = [
    "billing.periods", "billing.split", "billing.accounts", "billing.ledger", "billing.subscriptions",
    "billing.settlement", "billing.refunds", "billing.rates", "billing.simulate", "scheduler.jobs", "scheduler.aps",
]


def test_billing_does_not_import_aiogram():
    code = f"import sys\nfor m in {MODULES!r}: __import__(m)\nprint(any(m.startswith('aiogram') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
