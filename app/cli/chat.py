"""`tandem chat`: a terminal chat over the turn pipeline.

Tokens stream to stdout as they come; after each answer a stats line shows where
the turn ran and its tokens, speed and latency. Ctrl-C stops the answer being
generated (the turn is kept as cancelled); Ctrl-C or Ctrl-D at the prompt quits. SIGTERM
stops the answer and quits.

After an answer, /good and /bad rate it and /cloud and /local ask its question again
on the other tier (router/runtime/feedback.py): the ratings, and the two answers as a
pair, are kept in the ledger, and the learned, budget and rules policies route later
questions like it by them. /help lists the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from app.present.turn import route_label, stats_line
from app.progress import terminal_progress
from app.shutdown import STOPPER, input_line
from router import (
    RouteChanged,
    RouteChosen,
    Runtime,
    TandemError,
    TokenDelta,
    ToolCalled,
    Turn,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    build_runtime,
    new_id,
)
from router.runtime.feedback import Feedback, Tier

_MAX_REASON = 300  # a reason is one line of the terminal, not a whole error page
HELP = "commands: /help lists them all, /new starts a new conversation, /quit exits"
COMMANDS = """commands:
  /good, /bad   rate the last answer; Tandem routes questions like it by your ratings
  /cloud        ask the last question again off this device (a privacy rule may forbid it)
  /local        ask the last question again on this device
  /new          start a new conversation
  /help         show this list
  /quit         leave (Ctrl-C stops an answer; Ctrl-C or Ctrl-D at the prompt leaves too)"""
_REANSWER: dict[str, Tier] = {"/cloud": "cloud", "/local": "device"}


def describe_turn(turn: Turn) -> str:
    """Return the one-line summary shown after an answer: route, tokens, speed, latency."""
    route = route_label(turn.route) if turn.route else "?"
    stats = stats_line(turn.usage, turn.status)
    return f"[{route} · {stats}]" if stats else f"[{route}]"


async def answer(runtime: Runtime, request: TurnRequest, out: TextIO, info: TextIO) -> Turn | None:
    """Run one turn, streaming its tokens to `out` and its stats line to `info`."""
    return await show(runtime.pipeline.run_turn(request), out, info)


async def show(events: AsyncIterator[TurnEvent], out: TextIO, info: TextIO) -> Turn | None:
    """Stream a turn's tokens to `out` and its notes and stats line to `info`; the turn."""
    finished: Turn | None = None
    async for event in events:
        if isinstance(event, TokenDelta):
            out.write(event.text)
            out.flush()
        elif isinstance(event, TurnFinished):
            finished = event.turn
        elif isinstance(event, RouteChosen) and event.dropped_turns:
            info.write(f"[{event.dropped_turns} earlier turns did not fit and were left out]\n")
        elif isinstance(event, RouteChanged):
            if not event.keeps_text:
                out.write("\n")  # the new route's answer starts on its own line
            info.write(f"[{event.summary}]\n")
            info.flush()
        elif isinstance(event, ToolCalled):
            info.write(f"[{event.notice or f'tool {event.call.name}: {tool_outcome(event)}'}]\n")
            info.flush()
    out.write("\n")
    if finished:
        info.write(describe_turn(finished) + "\n")
    info.flush()
    return finished


def tool_outcome(called: ToolCalled) -> str:
    """`done`, or why the call was refused or failed (the terminal cannot ask the user, so a
    call that needed a yes says so here: "refused: needs your confirmation because ...")."""
    if not called.result.is_error:
        return "done"
    first = called.result.content.strip().splitlines()[0] if called.result.content.strip() else ""
    reason = first.removeprefix(f"{called.call.name} ")
    if len(reason) > _MAX_REASON:
        reason = reason[: _MAX_REASON - 1] + "…"
    return reason or "refused or failed"


def _pick_session(runtime: Runtime, session: str | None, new: bool) -> str:
    if session:
        return session
    if not new:
        existing = runtime.ledger.sessions()
        if existing:
            return existing[0].id
    return new_id()  # persisted, and titled, with its first turn


def run_chat_command(args: argparse.Namespace) -> int:
    """Run `tandem chat` from its parsed arguments."""
    return run_chat(once=args.once, model=args.model, session=args.session, new=args.new)


def run_chat(
    *, once: str | None = None, model: str | None = None, session: str | None = None,
    new: bool = False,
) -> int:  # fmt: skip
    """Run the terminal chat; with `once`, answer that one question (or stdin for '-').

    SIGTERM stops it as Ctrl-C would and then quits (see app/shutdown.py).
    """
    STOPPER.sigterm_as_ctrl_c()
    runtime = build_runtime(model=model, progress=terminal_progress("preparing bundled model"))
    STOPPER.add_last_words(runtime.ledger.interrupt_open_turns)
    if runtime.ledger.recovered:
        print(
            f"[recovered {runtime.ledger.recovered} turn(s) interrupted by a crash]",
            file=sys.stderr,
        )
    with asyncio.Runner() as runner:
        try:
            if once is not None:
                question = sys.stdin.read() if once == "-" else once
                sid = session or new_id()
                request = TurnRequest(text=question, session_id=sid)
                turn = runner.run(answer(runtime, request, sys.stdout, sys.stderr))
                return 0 if turn and turn.status == "complete" else 1
            return _interactive(runner, runtime, _pick_session(runtime, session, new))
        finally:
            runner.run(runtime.aclose())


def _interactive(runner: asyncio.Runner, runtime: Runtime, session_id: str) -> int:
    print(f"Tandem · model {runtime.models.active_spec} · {HELP}", file=sys.stderr)
    previous = runtime.ledger.turns(session_id)
    if previous:
        print(f"[continuing a conversation of {len(previous)} turn(s); /new starts afresh]")
    feedback = Feedback(runtime.pipeline)
    last: Turn | None = previous[-1] if previous else None  # what /good, /cloud... act on
    while True:
        try:
            text = input_line("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        command = text.strip()
        if command in ("/quit", "/exit"):
            return 0
        if command == "/new":
            session_id, last = new_id(), None
            print("[new conversation]")
            continue
        if command == "/help":
            print(COMMANDS, file=sys.stderr)
            continue
        if command in ("/good", "/bad"):
            _rate(feedback, last, good=command == "/good")
            continue
        if not command:
            continue
        if command in _REANSWER:
            work = _reanswer(feedback, last, _REANSWER[command])
        else:
            work = answer(
                runtime, TurnRequest(text=text, session_id=session_id), sys.stdout, sys.stderr
            )
        try:
            last = runner.run(work) or last
        except KeyboardInterrupt:
            print("\n[stopped]", file=sys.stderr)
            if STOPPER.stopping:  # SIGTERM: the answer is stopped, and so is the chat
                return 0
        except TandemError as exc:
            print(f"tandem: {exc}", file=sys.stderr)


def _rate(feedback: Feedback, last: Turn | None, *, good: bool) -> None:
    """/good or /bad: rate the last answer, and say what it will do."""
    if last is None:
        print("[No answer yet to rate; ask a question first.]", file=sys.stderr)
        return
    try:
        rating = feedback.rate(last, good)
    except TandemError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return
    verdict = "good" if rating.good else "bad"
    print(
        f"[rated {verdict}: the answer from {rating.endpoint}; questions like it are routed "
        "with your ratings in mind]",
        file=sys.stderr,
    )


async def _reanswer(feedback: Feedback, last: Turn | None, tier: Tier) -> Turn | None:
    """/cloud or /local: the last question again on that tier, or one sentence why not."""
    if last is None:
        print("[No answer yet to ask again; ask a question first.]", file=sys.stderr)
        return None
    refusal = feedback.reanswer_refusal(last, tier)
    if refusal is not None:
        print(f"[{refusal}]", file=sys.stderr)
        return None
    again = await show(feedback.reanswer(last, tier), sys.stdout, sys.stderr)
    if again is not None and again.status == "complete":
        print("[both answers are kept; /good or /bad rates this one]", file=sys.stderr)
    return again
