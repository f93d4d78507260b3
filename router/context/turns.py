"""History as the context stage sees it: whole turns with their privacy labels.

The packer, the retrievers and the summary all work on `HistoryTurn`s rather
than on bare messages, because what may be sent depends on the turn each
message came from (its privacy verdict) and retrieval ranks turns, not lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.privacy.zones import KEPT, may_reach
from router.types import FindingAction, Message, Turn, Zone

TEAM_POLICY = "team"
"""The `policy` of a team run's turn in the ledger (router/collab/ledger_record.py)."""
TEAM_HEADING = "Answer of a team of agents, written from their messages to each other:"
"""Opens a team turn's answer in the history: other agents wrote it, so it is untrusted."""


@dataclass(frozen=True)
class HistoryTurn:
    """One earlier turn: its messages, position and privacy label."""

    seq: int
    """Position in the conversation; larger is newer."""
    messages: tuple[Message, ...]
    """The turn's messages in order (for a chat turn: the question and the answer)."""
    turn_id: str = ""
    """Ledger id (or any stable id), used to map memory hits back to turns."""
    privacy_action: FindingAction = "allow"
    """The turn's privacy verdict; `keep_local` turns never go to a remote endpoint, and
    `keep_mine` ones only to an edge marked as the user's (router/privacy/zones.py)."""
    label: str = ""
    """Short context shown with the turn when it is retrieved, e.g. its date."""
    compact: str = ""
    """The turn as one retrieved line (e.g. `Anna: ...`); empty means `role: content` lines."""

    def render(self) -> str:
        """The turn as compact text lines (for retrieval blocks and summary prompts)."""
        if self.compact:
            return self.compact
        return "\n".join(f"{m.role}: {m.content}" for m in self.messages if m.content)

    def search_text(self) -> str:
        """What retrieval embeds and matches: the label and the turn's text."""
        body = self.compact or " ".join(m.content for m in self.messages if m.content)
        return f"{self.label}: {body}" if self.label else body

    @classmethod
    def from_turn(cls, turn: Turn) -> HistoryTurn:
        """A ledger turn as a history turn (question and answer, labelled by its route).

        A team's answer opens with `TEAM_HEADING`: it carries other agents' messages,
        so later turns treat it as untrusted text (router/turn/spotlight.py).
        """
        action: FindingAction = turn.route.privacy_action if turn.route else "allow"
        team = turn.route is not None and turn.route.policy == TEAM_POLICY
        answer = f"{TEAM_HEADING}\n{turn.answer}" if team else turn.answer
        messages = (
            Message(role="user", content=turn.user_text),
            Message(role="assistant", content=answer),
        )
        return cls(seq=turn.seq, messages=messages, turn_id=turn.id, privacy_action=action)


def history_turns(turns: Sequence[Turn]) -> list[HistoryTurn]:
    """The completed turns of a ledger session, in order, as history turns.

    Only complete turns count, as `Ledger.history` does: a cancelled or failed
    answer is not something later turns should build on.
    """
    return [HistoryTurn.from_turn(t) for t in turns if t.status == "complete"]


def shareable_messages(turns: Sequence[Turn], zone: Zone = "cloud") -> list[Message]:
    """The completed turns' messages an endpoint in `zone` may see when no context stage
    packs them: off the device, less every turn kept there, and in the cloud, less every
    turn kept on the user's devices too."""
    shareable = [t for t in history_turns(turns) if may_reach(t.privacy_action, zone)]
    return [m for t in shareable for m in t.messages]


def any_kept_local(turns: Sequence[Turn]) -> bool:
    """Whether a completed turn of `turns` was kept on this device or on the user's devices
    (its route says so): the history is then not the same everywhere."""
    return any(t.privacy_action in KEPT for t in history_turns(turns))


def carries_kept(turns: Sequence[Turn], zone: Zone) -> bool:
    """Whether the history an endpoint in `zone` may see holds a turn a rule kept off the
    cloud (kept local or on the user's devices): then no tool on another machine may be
    called in the turn (router/turn/tool_loop.py)."""
    return any(
        t.privacy_action in KEPT and may_reach(t.privacy_action, zone) for t in history_turns(turns)
    )


@dataclass(frozen=True)
class ScoredTurn:
    """A candidate turn and its relevance to a query (higher is more relevant)."""

    turn: HistoryTurn
    score: float
