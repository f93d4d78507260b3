"""Tandem on a phone: the module `flet build apk|ipa` runs (see packaging/mobile/pyproject.toml).

`python packaging/mobile/prepare.py` first copies Tandem's code (router/, mcp_servers/,
app/mobile/) and data files (assets/) beside this file. For a try on a desktop, run
`flet run packaging/mobile/src/main.py` after it, or `PYTHONPATH=. python
packaging/mobile/src/main.py` from the repository root without it.
"""

import flet as ft

from app.mobile.view import phone_main

if __name__ == "__main__":
    ft.run(phone_main)
