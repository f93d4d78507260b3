"""`ask_local`'s answer: the device model with the device's own tools and memory, nothing off it.

An outside assistant (Claude Desktop, a peer Tandem) hands private work to this
device through the MCP `assistant` server. The question runs through the chat's
turn pipeline, with what keeps it on the device:

- it sees only on-device endpoints (a live view of the runtime's, so a model
  switch shows through), under the local-only policy;
- its tools are Tandem's own device servers, in-process, under the user's
  `[mcp]` settings: `files` read-only over the shared folders, and `sensors`.
  The user's own servers are left out (an HTTP one is another machine, a stdio
  one may reach the network), and with no one present to confirm, the host
  refuses `ask` tools and side-effecting calls after untrusted text;
- its context is earlier conversations recalled from this device's memory
  index, never a memory server's (the question's vector would leave).

It runs in a session of its own, in a ledger held in memory: the exchange joins
neither the user's conversations nor the memory index. What of the answer may go
back to the caller is `released_answer`'s decision (router/runtime/assistant.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, MutableMapping, Sequence

from router.context.recall import RecalledContext
from router.context.turns import HistoryTurn, ScoredTurn
from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.ledger.database import MEMORY
from router.ledger.store import Ledger, SessionInfo
from router.ledger.summaries import SummaryStore
from router.mcp.chat_host import build_chat_host
from router.mcp.host import ToolHost
from router.memory.records import MemoryHit
from router.policy.decide import LocalOnlyPolicy
from router.runtime.compose import Runtime
from router.turn.events import TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import Message, TurnRequest, new_id

_log = logging.getLogger(__name__)

DEVICE_SERVERS = ("files", "sensors")
"""Tandem's built-in servers whose tools the device model gets (the camera needs a user)."""
SESSION_PREFIX = "mcp-ask-local"
"""Each question's own session id starts with this."""
MIN_RECALL_SIMILARITY = 0.3
"""Prior: the least cosine similarity (MiniLM) a turn needs to the question to be recalled.
Set by hand from a handful of pairs: unrelated question/turn pairs scored 0.26 or less,
related ones 0.39 or more."""
_SEQ_STRIDE = 1_000_000  # keeps each recalled conversation's turns apart, in their own order


async def answer_on_device(
    runtime: Runtime, prompt: str, *, question: str, roots: Sequence[str] | None = None
) -> str:
    """The device model's answer to `prompt`, with recall for `question` and the device's tools.

    `roots`: the shared folders the files tools read (None: the `[mcp] roots`).
    Raises the pipeline's `TandemError`s (a prompt too long for the model, a failed model).
    """
    recalled = await asyncio.to_thread(recall, runtime, question)
    ledger = Ledger(MEMORY)
    tools = device_tools(runtime, roots)
    try:
        pipeline = _pipeline(runtime, ledger, recalled, tools)
        request = TurnRequest(text=prompt, session_id=f"{SESSION_PREFIX}-{new_id()}")
        answer = ""
        async for event in pipeline.run_turn(request):
            if isinstance(event, TurnFinished):
                answer = event.turn.answer
        await pipeline.drain()
    finally:
        if tools is not None:
            await tools.aclose()
        ledger.close()
    return answer.strip()


def device_tools(runtime: Runtime, roots: Sequence[str] | None = None) -> ToolHost | None:
    """A host (not started) over the device's own servers, read-only; None when MCP is off."""
    settings = runtime.settings.mcp
    if not settings.enabled:
        return None
    own = settings.model_copy(
        update={
            "builtin": [name for name in settings.builtin if name in DEVICE_SERVERS],
            "servers": [],
            "files_write": False,
            "roots": list(settings.roots if roots is None else roots),
        }
    )
    return build_chat_host(own, runtime.pipeline.egress_policy, runtime.devices)


def recall(runtime: Runtime, question: str) -> list[ScoredTurn]:
    """Earlier turns of any conversation related to `question`, from this device's index only.

    Nothing when the memory is off or cannot be opened: the question is still answered.
    """
    limit = runtime.settings.context.local_retrieved_turns
    if runtime.memory is None or limit <= 0:
        return []
    try:
        hits = runtime.memory.store().search(question, k=limit, device_only=True)
    except TandemError as exc:
        _log.warning("memory unavailable (%s); answering without it", exc.message)
        return []
    related = [hit for hit in hits if hit.score >= MIN_RECALL_SIMILARITY]
    return recalled_turns(related, runtime.ledger.sessions())


def recalled_turns(hits: Sequence[MemoryHit], sessions: Sequence[SessionInfo]) -> list[ScoredTurn]:
    """`hits` as history turns: each conversation's together and in order, oldest conversation
    first, labelled with its title; `seq`s are unique across conversations."""
    age = {info.id: n for n, info in enumerate(reversed(sessions))}  # sessions come newest first
    titles = {info.id: info.title for info in sessions}
    conversations = sorted({h.session_id for h in hits}, key=lambda s: (age.get(s, len(age)), s))
    out: list[ScoredTurn] = []
    for position, session_id in enumerate(conversations):
        title = titles.get(session_id)
        label = f'from your conversation "{title}"' if title else "from an earlier conversation"
        for hit in sorted((h for h in hits if h.session_id == session_id), key=lambda h: h.seq):
            turn = HistoryTurn(
                seq=position * _SEQ_STRIDE + hit.seq,
                messages=(
                    Message(role="user", content=hit.user_text),
                    Message(role="assistant", content=hit.answer),
                ),
                turn_id=hit.turn_id,
                privacy_action=hit.privacy_action,
                label=label,
            )
            out.append(ScoredTurn(turn, hit.score))
    return out


class OnDeviceEndpoints(MutableMapping[str, Endpoint]):
    """A live, read-only view of the endpoints that run on this device (a swapped model shows)."""

    def __init__(self, source: Mapping[str, Endpoint]) -> None:
        self._source = source

    def __getitem__(self, name: str) -> Endpoint:
        endpoint = self._source[name]
        if not endpoint.on_device:
            raise KeyError(name)
        return endpoint

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, endpoint in self._source.items() if endpoint.on_device])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, name: str, endpoint: Endpoint) -> None:
        raise TypeError("the on-device view is read-only; change the runtime's endpoints")

    def __delitem__(self, name: str) -> None:
        raise TypeError("the on-device view is read-only; change the runtime's endpoints")


def _pipeline(
    runtime: Runtime, ledger: Ledger, recalled: Sequence[ScoredTurn], tools: ToolHost | None
) -> TurnPipeline:
    """The runtime's pipeline pieces, on the device only, over `ledger` (in memory)."""
    settings = runtime.settings
    context = RecalledContext(
        settings=settings.context.model_copy(update={"summary": False}),
        summaries=SummaryStore(ledger.db),
        recalled=recalled,
    )
    return TurnPipeline(
        endpoints=OnDeviceEndpoints(runtime.pipeline.endpoints),
        policy=LocalOnlyPolicy(),
        ledger=ledger,
        generation=settings.generation,
        system_prompt=settings.chat.system_prompt,
        fallback_to_local=False,
        scanner=runtime.pipeline.scanner,
        egress_policy=runtime.pipeline.egress_policy,
        latency=runtime.pipeline.latency,
        context=context,
        tools=tools,
        max_tool_rounds=settings.mcp.max_tool_rounds,
        offer_all_tools=settings.mcp.offer == "all",
        gate=runtime.pipeline.gate,  # a model switch waits for this answer, as for a chat turn
    )
