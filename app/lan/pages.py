"""What an unpaired phone may see: the pairing page, the web app manifest and the icons.

The page is one small HTML document with its style and script inline: nothing is fetched
from anywhere (the phone may be offline, and only this server is trusted). Its script only
reads the certificate fingerprint the QR code carries (`#fp=` after the address, never sent
to the server) so the user can compare it with the one the browser shows.

The manifest makes the view installable to the home screen. It is served both at
`/manifest.webmanifest` and at `/manifest.json`, where Flet's own page looks for one, so
the installed app is called Tandem and has Tandem's icon; Flet's icon paths serve ours.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources

THEME_COLOUR = "#3F51B5"
"""Material indigo 500, the GUI's seed colour (packaging/build_icons.py draws with it)."""
MANIFEST_PATHS = ("/manifest.webmanifest", "/manifest.json")
ICON_PATHS: dict[str, int] = {
    "/icons/tandem-192.png": 192,
    "/icons/tandem-512.png": 512,
    # Flet's web page names these; ours are served in their place.
    "/icons/icon-192.png": 192,
    "/icons/icon-512.png": 512,
    "/icons/icon-maskable-192.png": 192,
    "/icons/icon-maskable-512.png": 512,
    "/icons/apple-touch-icon-192.png": 192,
    "/favicon.png": 192,
}


@cache
def icon(size: int) -> bytes:
    """The PNG icon of `size` pixels (192 or 512) shipped in assets/."""
    return resources.files("assets").joinpath(f"tandem_icon_{size}.png").read_bytes()


def manifest() -> bytes:
    """The web app manifest (JSON): name, icons, theme colour, standalone display."""
    icons = [
        {"src": f"/icons/tandem-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
         "purpose": "any maskable"}
        for size in (192, 512)
    ]  # fmt: skip
    data = {
        "name": "Tandem",
        "short_name": "Tandem",
        "description": "Your private assistant, on the computer you paired this phone with",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#FFFFFF",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    return json.dumps(data, indent=2).encode()


_STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0;padding:1.25rem;max-width:28rem;
margin-inline:auto;color:#1b1b1f;background:#fff}
h1{font-size:1.4rem;color:#3F51B5;margin:.5rem 0 1rem}
label{display:block;font-weight:600;margin-top:1rem}
input{box-sizing:border-box;width:100%;font-size:1.1rem;padding:.7rem;margin-top:.3rem;
border:1px solid #999;border-radius:.5rem}
#code{font-family:ui-monospace,monospace;letter-spacing:.1em;text-transform:uppercase}
button{width:100%;margin-top:1.5rem;padding:.8rem;font-size:1.1rem;border:0;
border-radius:.5rem;background:#3F51B5;color:#fff}
.message{padding:.7rem;border-radius:.5rem;background:#fdecea;color:#8a1c12}
.fingerprint{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}
small{color:#555}
@media (prefers-color-scheme:dark){body{background:#121318;color:#e4e1e6}
input{background:#1b1b1f;color:#e4e1e6}small{color:#aaa}}
"""

_SCRIPT = """
const fp = new URLSearchParams(location.hash.slice(1)).get("fp") || "";
if (/^[0-9A-Fa-f]{64}$/.test(fp)) {
  document.getElementById("fp").textContent = fp.toUpperCase().match(/../g).join(":");
  document.getElementById("check").hidden = false;
}
"""


def pairing_page(*, code: str = "", message: str = "", nonce: str, unpaired: bool) -> str:
    """The pairing page: a code (prefilled from the QR link) and a name for this phone.

    `message` is a sentence to show above the form (a wrong code, too many tries);
    `unpaired` says the phone asked for the app itself and is not paired (or no longer);
    `nonce` allows the inline script under the page's Content-Security-Policy.
    """
    lead = (
        "This phone is not paired with this Tandem (or its pairing was removed). "
        if unpaired
        else ""
    )
    notice = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="theme-color" content="{THEME_COLOUR}">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="icon" href="/icons/tandem-192.png">
<link rel="apple-touch-icon" href="/icons/tandem-192.png">
<title>Pair with Tandem</title><style>{_STYLE}</style></head>
<body><h1>Pair this phone with Tandem</h1>
{notice}<p>{lead}Tandem on your computer shows a pairing code and a QR code. Scan the QR
code, or type the code here, and give this phone a name you will recognise in Tandem's
list of paired devices.</p>
<form method="post" action="/pair">
<label for="code">Pairing code</label>
<input id="code" name="code" value="{html.escape(code)}" required autocomplete="off"
 autocapitalize="characters" spellcheck="false" placeholder="K7QD-M2XP">
<label for="name">Name of this phone</label>
<input id="name" name="name" maxlength="60" placeholder="Anna's phone" autocomplete="off">
<button type="submit">Pair</button></form>
<p id="check" hidden><small>Before you pair, check that this connection is your
computer's: the certificate your browser shows for this page should have the SHA-256
fingerprint <span id="fp" class="fingerprint"></span>, as Tandem shows on the computer.
</small></p>
<p><small>A code works once and for ten minutes; Tandem makes a new one after each
pairing. You can remove this phone from the list on the computer at any time.</small></p>
<script nonce="{nonce}">{_SCRIPT}</script></body></html>
"""


def content_security_policy(nonce: str) -> str:
    """The pairing page's policy: nothing from elsewhere, its one inline script, no framing."""
    return (
        "default-src 'none'; img-src 'self'; manifest-src 'self'; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
