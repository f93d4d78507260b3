"""Each position a private value can take in a turn, run through the world's real pipeline.

Every case runs in its own session. What the case is about is its last turn (a
memory case first plays the turns that put its value in the memory); a team
case is one team run with a device agent and the cloud agent. `run_case`
returns the bytes both recorders received meanwhile (the memory index runs
after each turn, so the pipeline is drained first), where the turn ended up,
and every block on the way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from router.collab.agents import Agent
from router.collab.run import TeamPlan, run_team
from router.collab.setup import team_privacy
from router.collab.topology import mesh
from router.endpoints.fake import FakeEndpoint
from router.errors import TandemError
from router.ledger.summaries import SessionSummary
from router.turn.events import RouteChanged, RouteChosen, TurnEvent
from router.types import Attachment, RouteDecision, TurnRequest
from tests.support.fuzz.cases import FILE_NAME, Case
from tests.support.fuzz.files import build_file
from tests.support.fuzz.world import World

PRESEND_BLOCK = "blocked an outbound request"
"""How the pipeline's own last check (`privacy.egress`) names a block."""
FILLERS = (
    "Give me one tip for sleeping better.",
    "How long should I boil an egg?",
    "What is a good stretch after running?",
)


@dataclass
class Run:
    """What one case sent, and how its turn was routed."""

    case: Case
    cloud: list[bytes] = field(default_factory=list)
    memory: list[bytes] = field(default_factory=list)
    codec: str = ""
    """The attachment's text codec, so its raw bytes are looked for too."""
    reached_cloud: bool = False
    kept_local: bool = False
    presend_blocks: int = 0
    guard_blocks: int = 0
    pipeline_turns: int = 0
    errors: list[str] = field(default_factory=list)

    def route(self, events: Sequence[TurnEvent]) -> None:
        """Record where a turn's events say it ended, and any pre-send block on the way."""
        decisions = [e.decision for e in events if isinstance(e, RouteChosen | RouteChanged)]
        self.presend_blocks += sum(PRESEND_BLOCK in d.reason for d in decisions)
        if decisions:
            self._ended(decisions[-1])

    def _ended(self, final: RouteDecision) -> None:
        self.reached_cloud = final.endpoint_kind == "cloud"
        self.kept_local = final.privacy_action == "keep_local" and not self.reached_cloud


async def run_case(world: World, case: Case) -> Run:
    """Run `case` and collect what left the device for it."""
    cloud_from, memory_from, blocked_from = (
        len(world.cloud.requests),
        len(world.memory.requests),
        world.blocked,
    )
    run = Run(case)
    try:
        await RUNNERS[case.position](world, case, run)
    except TandemError as exc:
        run.errors.append(exc.message)
    await world.runtime.pipeline.drain()
    run.cloud = world.cloud.requests[cloud_from:]
    run.memory = world.memory.requests[memory_from:]
    run.guard_blocks = world.blocked - blocked_from
    return run


async def _turn(
    world: World, case: Case, run: Run, text: str, attachments: Sequence[Attachment] = ()
) -> None:
    request = TurnRequest(text=text, session_id=case.session, attachments=tuple(attachments))
    pipeline = world.runtime.pipeline
    run.pipeline_turns += 1
    run.route([event async for event in pipeline.run_turn(request)])
    await pipeline.drain()  # the memory index of this turn, before the next one


def _seed(world: World, case: Case, question: str, answer: str) -> None:
    """An earlier turn, straight into the ledger, labelled as nothing to protect."""
    ledger = world.runtime.ledger
    ledger.ensure_session(case.session)
    turn = ledger.begin_turn(case.session, question)
    route = RouteDecision(
        endpoint="cloud", endpoint_kind="cloud", policy="seeded", reason="seeded by the fuzz"
    )
    ledger.finish_turn(turn.id, status="complete", answer=answer, route=route, usage=None)


async def _prompt(world: World, case: Case, run: Run) -> None:
    await _turn(world, case, run, f"{case.text} Also, explain {case.control} briefly.")


async def _history(world: World, case: Case, run: Run) -> None:
    said = f"{case.text} And tell me about {case.control}."
    if case.fmt == "answer":  # the earlier answer repeated the values
        _seed(world, case, f"What should I note about {case.control}?", said)
    else:
        _seed(world, case, said, "Noted.")
    await _turn(world, case, run, "Please repeat what we discussed before, in one line.")


async def _attachment(world: World, case: Case, run: Run) -> None:
    binary = case.fmt in ("pdf", "docx")  # the endpoint does not send these: the control is asked
    control = "" if binary else case.control
    fmt, stem, text = case.fmt, "meeting notes", case.text
    if fmt == FILE_NAME:
        fmt, stem, text = "txt", " ".join(v.placed for v in case.values), "Nothing to add."
    folder = world.folder / "files" / str(case.index)
    folder.mkdir(parents=True)
    built = build_file(folder, stem, fmt, case.encoding, text, control)
    run.codec = built.codec
    ask = "Please read the attached file and reply in two lines."
    if binary:
        ask = f"Please read the attached file, and explain {case.control}."
    await _turn(world, case, run, ask, [built.attachment])


async def _tool_result(world: World, case: Case, run: Run) -> None:
    pipeline = world.runtime.pipeline
    world.tool_text[:] = [case.text, case.control]
    pipeline.tools, pipeline.offer_all_tools = world.tools[case.fmt], True
    try:
        await _turn(world, case, run, "Look up my record with the records tool and summarise it.")
    finally:
        pipeline.tools, pipeline.offer_all_tools = None, False


async def _summary(world: World, case: Case, run: Run) -> None:
    _seed(world, case, "How do I keep basil fresh?", "Keep it in water on the counter.")
    context = world.runtime.pipeline.context
    assert context is not None  # the runtime always builds its context stage
    text = f"The user shared: {case.text} They want to learn about {case.control}."
    context.summaries.put(SessionSummary(case.session, 0, text))
    await _turn(world, case, run, "Continue from where we left off.")


async def _memory(world: World, case: Case, run: Run) -> None:
    await _turn(world, case, run, f"{case.text} Remember this, and explain {case.control}.")
    for filler in FILLERS:  # enough turns that the first one is retrieved, not recent
        await _turn(world, case, run, filler)
    await _turn(world, case, run, "What did I ask you to remember at the start?")


async def _team(world: World, case: Case, run: Run) -> None:
    pipeline = world.runtime.pipeline
    in_task = case.fmt == "task"
    task = f"{case.text} What should I reply?" if in_task else "Plan a short study session."
    said = f"About {case.control}. Final: 4" if in_task else f"{case.text} About {case.control}."
    device = FakeEndpoint(lambda _messages: said, name="device-agent", kind="local")
    agents = [Agent("device", device), Agent("cloud", pipeline.endpoints["cloud"])]
    privacy = team_privacy(pipeline)
    try:
        result = await run_team(task, agents, mesh(2), TeamPlan(rounds=1), privacy)
    finally:
        privacy.close()
    cloud_answers = [a for a in result.answers if a.agent == 1]  # agents by index
    run.reached_cloud = any(a.text for a in cloud_answers)
    run.kept_local = privacy.keep_local
    run.presend_blocks += sum(a.error.startswith("blocked") for a in cloud_answers)


RUNNERS: dict[str, Callable[[World, Case, Run], Awaitable[None]]] = {
    "prompt": _prompt,
    "history": _history,
    "attachment": _attachment,
    "tool_result": _tool_result,
    "summary": _summary,
    "team": _team,
    "memory": _memory,
}
