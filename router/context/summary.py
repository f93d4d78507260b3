"""The rolling session summary, written on this device and updated incrementally.

After a turn completes, `refresh_summary` checks whether enough turns have
passed since the summary was last written; if so it sends the local model the
previous summary and only the turns since, and stores the update. Re-reading the
whole conversation each time would cost time that grows with the session.

The summary carries the strictest privacy label of what it read: a summary of
a keep-local turn, or whose own text the scanner keeps local, is keep-local and
the handoff packer never sends it off the device. The model writing it must be
on this device, which `refresh_summary` enforces.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.context.turns import HistoryTurn
from router.endpoints.base import Endpoint, TokenDelta
from router.errors import TandemError
from router.ledger.summaries import SessionSummary, SummaryStore
from router.privacy.scan import Scanner
from router.privacy.zones import strictest
from router.types import FindingAction, GenerationOptions, Message, TurnRequest

# Bullet notes, one fact a line: the bundled 0.5B model keeps names and facts
# this way, where asked for prose it wrote one vague sentence and lost them.
SUMMARY_INSTRUCTIONS = (
    "You keep notes about a conversation. Update the notes with the new turns. Write the "
    "notes as short bullet points, one fact per line, starting with '- '. Keep every name, "
    "date, number, place and preference exactly as written, and keep all facts from the "
    "current notes. At most {max_words} words. Reply with the notes only."
)


def due_turns(
    summary: SessionSummary | None, turns: Sequence[HistoryTurn], every_n_turns: int
) -> list[HistoryTurn]:
    """The turns not yet summarised, if there are at least `every_n_turns` of them; else []."""
    covered = summary.covers_up_to_seq if summary else -1
    new = sorted((t for t in turns if t.seq > covered), key=lambda t: t.seq)
    return new if len(new) >= max(every_n_turns, 1) else []


def summary_prompt(previous: str, turns: Sequence[HistoryTurn], max_words: int) -> list[Message]:
    """The messages asking the model to fold `turns` into `previous`."""
    body = "\n".join(t.render() for t in turns)
    return [
        Message(role="system", content=SUMMARY_INSTRUCTIONS.format(max_words=max_words)),
        Message(
            role="user",
            content=f"Current notes:\n{previous or '(none yet)'}\n\n"
            f"New turns:\n{body}\n\nUpdated notes:",
        ),
    ]


async def refresh_summary(
    store: SummaryStore,
    local_endpoint: Endpoint,
    session_id: str,
    turns: Sequence[HistoryTurn],
    scanner: Scanner | None = None,
    *,
    every_n_turns: int = 4,
    max_words: int = 150,
) -> SessionSummary | None:
    """Update the session's summary if `every_n_turns` new turns are due; return it.

    Cheap when nothing is due (one SQLite read). New turns that do not fit the
    local context window in one request are folded in over several. Raises
    `TandemError` if `local_endpoint` is not on this device.
    """
    if not local_endpoint.on_device:
        raise TandemError(
            f"the session summary must be written on this device, not by {local_endpoint.name}",
            "pass the local endpoint to refresh_summary",
        )
    current = store.get(session_id)
    pending = due_turns(current, turns, every_n_turns)
    if not pending:
        return current
    text = current.text if current else ""
    labels: list[FindingAction] = [current.privacy_action] if current else []
    for batch in _batches(local_endpoint, pending, max_words):
        text = await _generate(local_endpoint, summary_prompt(text, batch, max_words), max_words)
        labels.extend(t.privacy_action for t in batch)
    if scanner is not None and text:
        labels.append(scanner.scan(TurnRequest(text=text, session_id=session_id), []).action)
    updated = SessionSummary(session_id, pending[-1].seq, text, strictest(labels))
    store.put(updated)
    return updated


def _batches(
    endpoint: Endpoint, turns: Sequence[HistoryTurn], max_words: int
) -> list[list[HistoryTurn]]:
    """Split turns so each request (old summary, turns, answer) fits the window."""
    # The previous summary and the answer are each bounded by max_words (~2 tokens a word).
    room = endpoint.context_window - 4 * max_words - 200
    batches: list[list[HistoryTurn]] = [[]]
    used = 0
    for turn in turns:
        cost = endpoint.count_tokens(list(turn.messages))
        if batches[-1] and used + cost > room:
            batches.append([])
            used = 0
        batches[-1].append(turn)
        used += cost
    return batches


async def _generate(endpoint: Endpoint, messages: list[Message], max_words: int) -> str:
    options = GenerationOptions(max_tokens=2 * max_words + 16, temperature=0.0, seed=0)
    parts: list[str] = []
    async for event in endpoint.stream(messages, options):
        if isinstance(event, TokenDelta):
            parts.append(event.text)
    # Bounded length whatever the model does: a summary that grows each refresh
    # would crowd out the turns it is meant to stand in for. Lines are kept whole.
    kept: list[str] = []
    count = 0
    for line in "".join(parts).strip().splitlines():
        words = line.split()
        if not words:
            continue
        room = max_words + max_words // 2 - count
        if len(words) > room:
            if room > 0:
                kept.append(" ".join(words[:room]))
            break
        kept.append(" ".join(words))
        count += len(words)
    return "\n".join(kept)
