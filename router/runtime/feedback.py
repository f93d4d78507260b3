"""Learning from use, as the front ends offer it: rate an answer, ask the other tier.

`Feedback(pipeline)` is all a front end needs (the terminal chat's /good, /bad,
/cloud and /local; the GUI's thumbs and "ask the cloud" / "answer on this device"
buttons; the Dashboard's figures):

    feedback = Feedback(runtime.pipeline)
    feedback.rate(turn, good=False)                 # thumbs down: stored, learned from
    why_not = feedback.reanswer_refusal(turn, "cloud")   # None, or one sentence to show
    async for event in feedback.reanswer(turn, "cloud"): # the same question, on the cloud
        ...                                          # the pipeline's events, as for a turn
    feedback.prefer(better_turn)                    # of a pair: this answer was better
    feedback.summary()                              # ratings per tier, pairs, routes changed

A rating stores the question's MiniLM embedding with it (the pipeline's embedder, or
the shared one) so the user's routing correction (router/policy/user_ratings.py) can
compare later questions with it; the next decision of a policy built with the ledger
reads it. Everything stays in the ledger on this device.

A re-answer is a new turn of the same conversation, asking the same question (and
attachments) of the endpoint the user asked for (`TurnRequest.endpoint`): the other
tier sees the conversation so far, the first answer included, as it would had the
user asked again. When it completes on the other tier, the two answers are stored
as a pair. A question a privacy
rule kept on the device is never asked off it: `reanswer_refusal` says so, `reanswer`
raises `FeedbackError`, and the pipeline would keep it on the device anyway. One a
rule kept on the user's devices is asked off the device only of an edge of theirs
(an endpoint marked `mine`), never of the cloud.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Literal

from router.ledger.feedback import AnswerPair, FeedbackError, FeedbackStore, FeedbackSummary, Rating
from router.memory.embedding import Embedder, Vectors, shared_embedder
from router.policy.classify import EMBED_CHARS
from router.privacy.zones import may_reach
from router.turn.events import TurnEvent, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import FindingAction, Turn, TurnRequest, is_on_device

Tier = Literal["device", "cloud"]
"""Where a re-answer runs: this device, or off it (a cloud endpoint first, else an edge one)."""


class Feedback:
    """Ratings and re-answers of a pipeline's turns, stored in its ledger."""

    def __init__(self, pipeline: TurnPipeline, embedder: Embedder | None = None) -> None:
        """Rate and re-answer `pipeline`'s turns; `embedder` defaults to the pipeline's."""
        self.pipeline = pipeline
        self.store = FeedbackStore(pipeline.ledger.db)
        """The ratings and pairs, in the ledger's database."""
        self._embedder = embedder

    def _embedding_of(self, text: str) -> Vectors:
        embedder = self._embedder or self.pipeline.embedder or shared_embedder()
        self._embedder = embedder
        # As routing embeds a question (router/policy/features.py): its opening.
        vector: Vectors = embedder.embed([text[:EMBED_CHARS]])[0]
        return vector

    def rate(self, turn: Turn, good: bool) -> Rating:
        """Thumbs up (`good`) or down on `turn`'s answer; replaces an earlier rating of it."""
        return self.store.rate(turn.id, good, self._embedding_of(turn.user_text))

    def clear_rating(self, turn: Turn) -> bool:
        """Take back the rating of `turn`'s answer; False if it had none."""
        return self.store.clear_rating(turn.id)

    def prefer(self, turn: Turn) -> AnswerPair:
        """`turn`'s answer was better than the other answer of its pair (both get rated)."""
        return self.store.prefer(turn.id, self._embedding_of(turn.user_text))

    def summary(self) -> FeedbackSummary:
        """Ratings per tier, pairs and who won them, and routes the ratings changed."""
        return self.store.summary()

    def reanswer_refusal(self, turn: Turn, tier: Tier) -> str | None:
        """Why `turn` cannot be answered again on `tier`, in one sentence; None if it can."""
        route = turn.route
        if route is None:
            return "That turn has no answer to compare; ask it again instead."
        on_device = is_on_device(route.endpoint_kind)
        if tier == "device":
            if on_device:
                return "That answer already came from this device; ask the cloud instead."
            if self._device_endpoint() is None:
                return "No on-device model is configured; set one in the settings first."
            return None
        if route.privacy_action == "keep_local":
            return (
                "A privacy rule keeps this question on this device, so the cloud cannot answer it."
            )
        if not on_device:
            return f"That answer already came from {route.endpoint}; ask this device instead."
        if route.privacy_action == "keep_mine" and self._cloud_endpoint("keep_mine") is None:
            return (
                "A privacy rule keeps this question on your devices, and none of them off this "
                "device is configured and reachable; mark your own edge as yours (mine) to ask it."
            )
        remote = [e for e in self.pipeline.endpoints.values() if not e.on_device]
        if not remote:
            return "No off-device endpoint is configured; add one in the settings to ask the cloud."
        if self._cloud_endpoint() is None:
            return "No off-device endpoint is reachable right now; try again when you are online."
        return None

    def _device_endpoint(self) -> str | None:
        return next((n for n, e in self.pipeline.endpoints.items() if e.on_device), None)

    def _cloud_endpoint(self, action: FindingAction = "allow") -> str | None:
        """The first reachable off-device endpoint a question whose verdict is `action` may
        reach, a cloud one before an edge one."""
        reachable = [
            (name, endpoint)
            for name, endpoint in self.pipeline.endpoints.items()
            if not endpoint.on_device and may_reach(action, endpoint.zone) and endpoint.available()
        ]
        # A stable sort: in the order configured, cloud endpoints first.
        reachable.sort(key=lambda item: item[1].kind != "cloud")
        return reachable[0][0] if reachable else None

    def reanswer_request(self, turn: Turn, tier: Tier) -> TurnRequest:
        """The request asking `turn`'s question again on `tier`; `FeedbackError` if it may not."""
        refusal = self.reanswer_refusal(turn, tier)
        action = turn.route.privacy_action if turn.route else "allow"
        endpoint = self._device_endpoint() if tier == "device" else self._cloud_endpoint(action)
        if refusal is not None or endpoint is None:
            raise FeedbackError(refusal or "That answer cannot be asked again right now.")
        return TurnRequest(
            text=turn.user_text,
            session_id=turn.session_id,
            attachments=turn.attachments,
            endpoint=endpoint,
        )

    async def reanswer(self, turn: Turn, tier: Tier) -> AsyncGenerator[TurnEvent, None]:
        """Ask `turn`'s question again on `tier`, yielding the new turn's events.

        Raises `FeedbackError` (one sentence) before anything runs when it may not. The two
        answers are stored as a pair when the new one completes on the other tier (not when
        the cloud failed and the device answered instead).
        """
        request = self.reanswer_request(turn, tier)
        first_on_device = turn.route is not None and is_on_device(turn.route.endpoint_kind)
        async for event in self.pipeline.run_turn(request):
            if isinstance(event, TurnFinished) and _other_tier(event.turn, first_on_device):
                self.store.record_pair(turn.id, event.turn.id)
            yield event


def _other_tier(again: Turn, first_on_device: bool) -> bool:
    """Whether `again` completed, and on the other side of the device from the first answer."""
    if again.status != "complete" or again.route is None:
        return False
    return is_on_device(again.route.endpoint_kind) != first_on_device
