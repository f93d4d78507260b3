"""Team mode in the chat: the team set up in the Team section answers the chat's questions.

While the chat's Team switch is on, each question runs the team (a
`TeamViewModel` over the page's shared `TeamConfig`) instead of one model. The
answer bubble shows the team's progress live, then its answer, badged `team`,
with its totals; its detail panel lists the messages between the agents. The
run is recorded in the chat's own conversation, so it stays there after a
restart and later single-model turns see it in their history. The team's
privacy gate (`team_privacy`) keeps what a rule keeps local away from cloud
agents, as in the Team section.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.gui.chat.detail.team import team_detail
from app.gui.chat.messages import DisplayMessage
from app.gui.team.view_model import TeamConfig, TeamViewModel
from app.present.team import summary_line
from router import Runtime, TandemError

TEAM_TEXT_ONLY = (
    "Team mode answers text only — remove the attached files, or switch Team off to send them"
)
TEAM_HINT = "try again, change the team in the Team section, or switch Team off"
SWITCH_HELP = (
    "Team mode: each message is answered by the team set up in the Team section "
    "(several agents, on this device and in the cloud, debate); its messages and token "
    "cost show in the answer's Details"
)


def progress_text(run: TeamViewModel) -> str:
    """What the team is doing now, e.g. `round 1: … · 3 agents answering…`."""
    thinking = len(run.thinking)
    if not thinking:
        return run.status
    return f"{run.status} · {thinking} agent{'' if thinking == 1 else 's'} answering…"


class ChatTeam:
    """The chat's team mode: whether it is on, and the run answering the current question."""

    def __init__(self, runtime: Runtime, config: TeamConfig | None = None) -> None:
        self.runtime = runtime
        self.config = config or TeamConfig()
        """Shared with the Team section of the same page: its pickers set up this team."""
        self.enabled = False

    @property
    def placeholder(self) -> str:
        """The input's hint while team mode is on: who will answer."""
        return f"Ask the team ({self.config.describe()})…"

    async def answer(
        self,
        question: str,
        session_id: str,
        reply: DisplayMessage,
        on_progress: Callable[[str], None],
    ) -> None:
        """Run the team on `question`, recorded in `session_id`, filling `reply` as it goes.

        `on_progress` gets each step in words. Cancelling the task that runs
        this (the chat's Stop) stops the team and re-raises `CancelledError`;
        a team that gave no answer raises `TandemError` saying why.
        """
        run = TeamViewModel(self.runtime, config=self.config)
        run.session_id = session_id  # recorded in the chat's conversation, not a new one
        reply.badge = "team"
        reply.route = f"team · {self.config.describe()}"

        def changed() -> None:
            if run.busy and run.result is None:
                reply.text = progress_text(run)
                on_progress(reply.text)

        run.on_change = changed
        # The team's view-model turns a cancellation of this task into status "stopped".
        result = await run.run(question)
        if run.status == "stopped":
            reply.text = "The team was stopped before it answered."
            raise asyncio.CancelledError
        if result is None or run.turn is None:
            reply.text = ""  # the bubble becomes the error
            raise TandemError(run.error or "the team gave no answer", TEAM_HINT)
        reply.text = result.answer
        reply.status = run.turn.status
        reply.stats = summary_line(result).strip("[]")
        reply.detail = team_detail(run.turn, result)
