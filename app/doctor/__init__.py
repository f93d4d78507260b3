"""`tandem doctor`: what a user needs to know to fix their Tandem setup, as data.

`run_checks()` returns one `Check` per topic (settings, CPU, llama.cpp build,
local model, model self-test, NER, keyring, embedding model, Chromium, data
folders), each `ok`, `warn` or `problem`, with a detail line and, for what
needs fixing, the exact command that fixes it. The CLI (app/cli/doctor.py) and
the app's Models section (app/gui/models/view_model.py) both render this list.

The report must work on a broken install, so every check imports what it needs
itself and any exception it raises becomes a `problem` line, never a crash.
"""

from app.doctor.check import Check, CheckFn, Context, Status
from app.doctor.report import CHECKS, problems, run_checks

__all__ = ["CHECKS", "Check", "CheckFn", "Context", "Status", "problems", "run_checks"]
