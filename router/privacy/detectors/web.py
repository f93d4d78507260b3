"""Web addresses: URLs with a scheme, `www.` hosts, and bare domains with a path.

A link often names a person's profile, a private document or an internal
server, so the default rules redact it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from router.types import Finding

# Scheme URLs, `www.` hosts, and bare `host.tld/path` (a path keeps file names
# like `report.pdf` and version numbers like `v1.2` from matching).
_URL = re.compile(
    r"""(?xi)
    \b(?:
        (?:https?|ftp)://[^\s<>"'`]+
      | www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>"'`]*
      | [a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/[^\s<>"'`]+
    )"""
)
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True)
class UrlDetector:
    """Finds web addresses (type `URL`)."""

    name = "web"

    def detect(self, text: str) -> list[Finding]:
        """Return a finding per URL, without trailing sentence punctuation."""
        findings: list[Finding] = []
        for match in _URL.finditer(text):
            end = match.end()
            while end > match.start() and text[end - 1] in _TRAILING:
                end -= 1
            findings.append(
                Finding(
                    type="URL", start=match.start(), end=end, confidence=0.9, detector=self.name
                )
            )
        return findings
