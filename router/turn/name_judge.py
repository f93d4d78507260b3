"""The name judge on the device's own model: `[privacy] judge = "device"`.

router/privacy/judge.py says what the judge is for, its prompt and how its answer
is read; this puts them to the model that runs on this device, once per turn for
all the names in doubt. Only an explicit "public" counts. An error, a crash, a
timeout, an unparseable answer, or no device model (or one that is not on the
device) leaves every name private, as with the judge off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field

from router.endpoints.base import Endpoint, TokenDelta
from router.privacy.judge import MAX_NAMES, judge_messages, judge_options, parse_verdicts
from router.privacy.public import Undecided
from router.types import Message

log = logging.getLogger(__name__)

JUDGE_TIMEOUT_S = 30.0
"""Prior: longest wait for a verdict (loading the model not counted); then private."""
MAX_VERDICTS = 4096
"""Prior: verdicts remembered; the oldest are forgotten first (and asked again if seen)."""


@dataclass
class DeviceJudge:
    """Asks the device's own model whether undecided names are public knowledge."""

    device_model: Callable[[], Endpoint | None]
    """The model of the moment (a model switch replaces it); None: nothing to ask."""
    timeout_s: float = JUDGE_TIMEOUT_S
    verdicts: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)
    """(name, context) -> public, for every name asked about."""
    calls: int = 0
    """Prompts sent to the device model (the benchmark reports them)."""
    failures: int = 0
    """Prompts that ended in an error or a timeout (their names stayed private)."""
    seconds: float = 0.0
    """Time spent waiting for verdicts, all prompts together."""

    def said_public(self, name: Undecided) -> bool:
        """True when the device model called `name`, in its context, public knowledge."""
        return self.verdicts.get(name.key, False)

    async def decide(self, names: Sequence[Undecided]) -> None:
        """Ask about the `names` not judged yet, in one prompt; the rest wait for a later turn."""
        todo = list({n.key: n for n in names if n.key not in self.verdicts}.values())[:MAX_NAMES]
        endpoint = self._endpoint() if todo else None
        if endpoint is None or not endpoint.on_device:
            return  # nothing to ask, or no model that runs here: private
        public = await self._ask(endpoint, todo)
        for i, name in enumerate(todo):
            self.verdicts[name.key] = i in public
        while len(self.verdicts) > MAX_VERDICTS:
            del self.verdicts[next(iter(self.verdicts))]

    def _endpoint(self) -> Endpoint | None:
        """The device model of the moment; None when there is none or it cannot be had."""
        try:
            return self.device_model()
        except Exception as exc:  # no model to ask: the names stay private
            log.warning("no device model to judge names (%s: %s)", type(exc).__name__, exc)
            return None

    async def _ask(self, endpoint: Endpoint, names: Sequence[Undecided]) -> set[int]:
        """The indexes of `names` the model called public; empty on any failure."""
        started = time.perf_counter()
        self.calls += 1
        try:
            await endpoint.prepare()  # loading the model is not the judge's time
            started = time.perf_counter()
            async with asyncio.timeout(self.timeout_s):
                reply = await _reply(endpoint, judge_messages(names), len(names))
        except Exception as exc:  # any failure of the judge: the names stay private
            self.failures += 1
            log.warning(
                "the name judge failed (%s: %s); names stay private", type(exc).__name__, exc
            )
            return set()
        finally:
            self.seconds += time.perf_counter() - started
        return parse_verdicts(reply, [n.name for n in names])


async def _reply(endpoint: Endpoint, messages: list[Message], count: int) -> str:
    """The model's whole answer, greedy and short."""
    options = judge_options(count)
    parts: list[str] = []
    async with aclosing(endpoint.stream(messages, options)) as events:
        async for event in events:
            if isinstance(event, TokenDelta):
                parts.append(event.text)
    return "".join(parts)
