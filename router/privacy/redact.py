"""Redact and restore: stable placeholders for sensitive values, per session.

A value gets one placeholder for the whole session (`[PERSON_1]`, `[EMAIL_ADDRESS_2]`),
so the model sees a consistent conversation across turns. Where the text says what
the value is, the placeholder says it too, in fixed words (`[PERSON_1, a colleague]`,
router/privacy/describe.py); a model may write it back with or without them. The mapping is kept by
`PseudonymStore` (router/ledger/pseudonyms.py) in its own table of the ledger's
database, or in memory. Deriving it from history instead would renumber
placeholders whenever old turns fall out of the packed context.

`StreamRestorer` puts the original values back into a streamed answer, holding
back only a tail that could still become a placeholder, and accepts the small
changes models make to placeholders (case, brackets, spaces: `person 1`, `(PERSON_1)`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

# Re-exported: `Pseudonymizer` works on one, and the pipeline imports it from here.
from router.ledger.pseudonyms import PseudonymStore
from router.privacy.cities import (
    CITY_ONLY,
    is_city_description,
    names_country,
    placeholder_country,
    without_country,
)
from router.privacy.sniff import read_text_file
from router.types import Attachment, Message, ProtectedValue

_OPEN = r"[\[\(\{<]"
_CLOSE = r"[\]\)\}>]"
_SEP = r"[_\s-]?"
_BOUNDARY_BELOW = 8
_DESCRIPTION_CHAR = r"(?:[^\W\d_]|[' -])"  # letters of any script (a country: "Côte d'Ivoire")
PLACEHOLDER = re.compile(
    rf"\[(?P<type>[A-Z0-9_]+?)_(?P<num>\d+)(?:, (?P<description>[a-z]{_DESCRIPTION_CHAR}*))?\]"
)
"""A placeholder as it is sent: `[PERSON_1]`, or described: `[CITY_1, a city in Norway]`."""


def needs_word_boundary(value: str) -> bool:
    """Short values match only as whole words, so `Al` does not hit `Also`."""
    return len(value) < _BOUNDARY_BELOW and (value[:1].isalnum() or value[-1:].isalnum())


def value_pattern(value: str) -> str:
    """Regex source for `value` as it is redacted (and as the guard looks for it)."""
    source = re.escape(value)
    if needs_word_boundary(value):
        if value[0].isalnum():
            source = r"(?<!\w)" + source
        if value[-1].isalnum():
            source += r"(?!\w)"
    return source


class Pseudonymizer:
    """Redacts and restores one session's text with its stored placeholders."""

    def __init__(self, store: PseudonymStore, session_id: str) -> None:
        self.store = store
        self.session_id = session_id
        self._country_withheld: set[str] = set()
        """Placeholders of cities whose country this turn keeps private."""

    def register(self, values: Iterable[ProtectedValue]) -> None:
        """Give every value (and its variants) a placeholder for this session.

        A city registered earlier with its country (`[CITY_1, a city in Norway]`)
        goes out without it (`[CITY_1, a city]`) when this turn's scan leaves the
        country out: taught private since, or masked now.
        """
        for item in values:
            placeholder = self.store.placeholder(
                self.session_id, item.type, item.value, description=item.description
            )
            if item.description == CITY_ONLY and placeholder_country(placeholder):
                self._country_withheld.add(placeholder)
            for variant in item.variants:
                self.store.placeholder(self.session_id, item.type, variant, alias_of=placeholder)

    def redact(self, text: str) -> str:
        """Replace every value recorded for the session with its placeholder."""
        known = self._shown()
        if not known or not text:
            return text
        pattern = _values_pattern(known)
        return pattern.sub(lambda m: known.get(m.group(0), m.group(0)), text)

    def _shown(self) -> dict[str, str]:
        """Every recorded value -> its placeholder as sent now.

        A city's country is left out where this turn withholds it, or where the
        session masks the country itself (its name would be blocked at the guard).
        """
        known = self.store.values(self.session_id)
        shown = dict(known)
        for value, placeholder in known.items():
            country = placeholder_country(placeholder)
            withheld = placeholder in self._country_withheld
            if country and (withheld or names_country(known, country)):
                shown[value] = without_country(placeholder)
        return shown

    def redact_name(self, name: str) -> str:
        """A file name redacted as the scan reads it, `_` as a space (`scan.file_name_texts`).

        So "closeup" is replaced in "rear_bumper_closeup.jpg", where `_` would
        otherwise join it to the word before; the rest of the name keeps its `_`.
        """
        known = {v.replace("_", " "): p for v, p in self._shown().items()}
        if not known or not name:
            return name
        spaced = name.replace("_", " ")  # same length: spans match the name's own
        out: list[str] = []
        end = 0
        for m in _values_pattern(known).finditer(spaced):
            out += [name[end : m.start()], known.get(m.group(0), m.group(0))]
            end = m.end()
        return "".join(out) + name[end:]

    def redact_message(self, message: Message) -> Message:
        """Redact a message's text, tool results and tool-call arguments."""
        return message.model_copy(
            update={
                "content": self.redact(message.content),
                "tool_results": tuple(
                    r.model_copy(update={"content": self.redact(r.content)})
                    for r in message.tool_results
                ),
                "tool_calls": tuple(
                    c.model_copy(update={"arguments": self._redact_any(c.arguments)})
                    for c in message.tool_calls
                ),
            }
        )

    def _redact_any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._redact_any(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_any(v) for v in value]
        return value

    def restore(self, text: str) -> str:
        """Put the original values back into a whole text."""
        restorer = self.restorer()
        return restorer.feed(text) + restorer.flush()

    def restorer(self) -> StreamRestorer:
        """A restorer for one streamed answer."""
        return StreamRestorer(self.store.originals(self.session_id))


class StreamRestorer:
    """Restores placeholders in streamed text, even when split across chunks."""

    def __init__(self, originals: Mapping[str, str]) -> None:
        self._values: dict[tuple[str, int], str] = {}
        types: set[str] = set()
        descriptions: set[str] = set()
        for placeholder, value in originals.items():
            match = PLACEHOLDER.fullmatch(placeholder)
            if match:
                self._values[(_squash(match["type"]), int(match["num"]))] = value
                types.add(match["type"])
                descriptions.add(match["description"] or "")
                if is_city_description(match["description"] or ""):
                    descriptions.add(CITY_ONLY)  # its country left out (`Pseudonymizer._shown`)
        self._buf = ""
        self._prev = ""
        if not types:
            self._full: re.Pattern[str] | None = None
            return
        words = sorted(types, key=len, reverse=True)
        alternatives = "|".join(_SEP.join(re.escape(w) for w in t.split("_")) for t in words)
        described = sorted(filter(None, descriptions), key=len, reverse=True)
        # The description is taken with the placeholder only inside brackets: unbracketed,
        # "PERSON_1, a colleague, said" reads fine restored as "Tom, a colleague, said".
        description = (
            rf"(?:\s?,\s?(?:{'|'.join(map(re.escape, described))})(?=\s?{_CLOSE}))?"
            if described
            else ""
        )
        self._full = re.compile(
            rf"(?:{_OPEN}\s?|(?<![A-Za-z0-9]))(?P<type>{alternatives}){_SEP}(?P<num>\d+)(?!\d)"
            rf"{description}(?:\s?{_CLOSE})?",
            re.IGNORECASE,
        )
        longest = max((len(d) for d in described), default=0)
        self._prefix = re.compile(
            "|".join(_prefix_source(t, longest) for t in words), re.IGNORECASE
        )
        self._max_tail = max(len(t) for t in words) + 12 + longest

    def feed(self, chunk: str) -> str:
        """Return the text that is safe to show now; a possible placeholder start is held."""
        if self._full is None:
            return chunk
        self._buf += chunk
        cut = self._safe_cut()
        return self._emit(cut)

    def flush(self) -> str:
        """Return everything still held (the stream has ended)."""
        if self._full is None:
            return ""
        return self._emit(len(self._buf))

    def _emit(self, cut: int) -> str:
        assert self._full is not None
        head, self._buf = self._buf[:cut], self._buf[cut:]
        if not head:
            return ""
        text = self._prev + head  # one char of context, for the word-boundary lookbehind
        out: list[str] = []
        pos = len(self._prev)
        for match in self._full.finditer(text, pos):
            out.append(text[pos : match.start()])
            key = (_squash(match["type"]), int(match["num"]))
            out.append(self._values.get(key, match.group(0)))
            pos = match.end()
        out.append(text[pos:])
        self._prev = head[-1]
        return "".join(out)

    def _safe_cut(self) -> int:
        """Where the held tail begins: the earliest start that could still be a placeholder."""
        assert self._full is not None
        buf = self._buf
        cut = len(buf)
        for i in range(max(0, len(buf) - self._max_tail), len(buf)):
            prev = buf[i - 1] if i else self._prev
            if buf[i].isalnum() and prev.isalnum():
                continue  # inside a word: a bare placeholder cannot start here
            if self._prefix.fullmatch(buf, i):
                cut = i
                break
        # Never cut through a complete placeholder that is already in the buffer.
        text = self._prev + buf
        for match in self._full.finditer(text, len(self._prev)):
            start, end = match.start() - len(self._prev), match.end() - len(self._prev)
            if start < cut < end:
                cut = start
        return cut


def _values_pattern(values: Iterable[str]) -> re.Pattern[str]:
    """One pattern for every value; longest first, so a full name wins over a part of it."""
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(f"(?:{value_pattern(v)})" for v in ordered))


def _squash(type_text: str) -> str:
    return re.sub(r"[_\s-]", "", type_text).upper()


def _prefix_source(type_: str, description_chars: int = 0) -> str:
    """A regex matching every prefix of a (tolerantly written) placeholder of `type_`.

    With `description_chars`, also of one carrying a description that long or shorter.
    """
    elements = [rf"(?:{_OPEN}\s?)?"]
    for i, word in enumerate(type_.split("_")):
        if i:
            elements.append(_SEP)
        elements += [re.escape(c) for c in word]
    elements += [_SEP, r"\d+"]
    if description_chars:
        elements.append(rf"(?:\s?,\s?{_DESCRIPTION_CHAR}{{0,{description_chars}}})?")
    elements.append(rf"\s?{_CLOSE}")
    source = ""
    for element in reversed(elements):
        source = f"(?:{element}{source})?"
    return source


def redact_attachments(
    messages: Sequence[Message], pseudonymizer: Pseudonymizer, directory: str
) -> list[Message]:
    """Point attachments at redacted copies in `directory`, under redacted names.

    Off-device endpoints read attachments from disk when they build the
    request, and name each file in it, so a redacted turn must hand them
    redacted files under redacted names, not the originals.
    A file is text when `sniff` says so, whatever its MIME type (TOML, YAML, CSV...),
    and it is decoded as the scan and the endpoints decode it; the copy is UTF-8.
    Other files whose name changes are copied as they are (PDFs, images...).
    """
    return [
        message.model_copy(
            update={
                "attachments": tuple(
                    _redacted_copy(att, pseudonymizer, Path(directory) / f"{i}-{j}")
                    for j, att in enumerate(message.attachments)
                )
            }
        )
        for i, message in enumerate(messages)
    ]


def _redacted_copy(att: Attachment, pseudonymizer: Pseudonymizer, folder: Path) -> Attachment:
    """`att` as it may leave: a copy in `folder` when its text or name had values to hide."""
    name = pseudonymizer.redact_name(att.name)
    text = _attachment_text(att)
    redacted = pseudonymizer.redact(text) if text is not None else None
    if redacted == text and name == att.name:
        return att
    renamed = att.model_copy(update={"name": name})
    if redacted is None and not att.path:
        return renamed  # no file: the endpoints leave it out, with a note that names it
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if redacted is not None:
            target.write_text(redacted, "utf-8")
        elif att.path:
            target.write_bytes(Path(att.path).read_bytes())
    except OSError:
        return renamed  # gone or unreadable: left out as above
    return renamed.model_copy(update={"path": str(target), "size_bytes": target.stat().st_size})


def _attachment_text(att: Attachment) -> str | None:
    """The attachment's text as it would be sent; None for non-text or unreadable files."""
    if not att.path:
        return None
    try:
        return read_text_file(att.path, att.mime_type, att.name)
    except OSError:
        return None  # unreadable: the endpoint leaves it out too
