"""The consent broker without Flet: queueing, answers, timeouts, session grants."""

from __future__ import annotations

import asyncio

from app.gui.services.consent import ConsentBroker, ConsentRequest

CAMERA = ConsentRequest("camera", "Claude Desktop 1.2", "take a photo with your camera")


class Dialog:
    """Stands in for a page's dialog: records what it was shown."""

    def __init__(self, broker: ConsentBroker) -> None:
        self.broker = broker
        self.seen: list[tuple[str, ...]] = []
        self.unsubscribe = broker.subscribe(self.refresh)

    def refresh(self) -> None:
        self.seen.append(tuple(r.id for r in self.broker.pending))


async def asked(broker: ConsentBroker, request: ConsentRequest) -> asyncio.Task[bool]:
    task = asyncio.create_task(broker.ask(request))
    while request.id not in {r.id for r in broker.pending}:
        await asyncio.sleep(0)
    return task


async def test_nobody_listening_means_no_at_once() -> None:
    broker = ConsentBroker()
    assert not broker.can_answer
    assert await broker.ask(CAMERA) is False
    assert broker.pending == ()


async def test_allow_and_deny_reach_the_asker_and_the_dialog_follows() -> None:
    broker = ConsentBroker()
    dialog = Dialog(broker)

    allowed = ConsentRequest("camera", "A", "take a photo")
    task = await asked(broker, allowed)
    assert broker.pending == (allowed,)
    assert broker.answer(allowed.id, "allow")
    assert await task is True

    denied = ConsentRequest("camera", "A", "take a photo")
    task = await asked(broker, denied)
    assert broker.answer(denied.id, "deny")
    assert await task is False

    assert broker.pending == ()
    assert dialog.seen == [(allowed.id,), (), (denied.id,), ()]


async def test_requests_queue_oldest_first() -> None:
    broker = ConsentBroker()
    Dialog(broker)
    first = ConsentRequest("camera", "A", "take a photo")
    second = ConsentRequest("tool", "B", "run x")
    one, two = await asked(broker, first), await asked(broker, second)
    assert broker.pending == (first, second)
    broker.answer(second.id, "allow")
    broker.answer(first.id, "deny")
    assert (await one, await two) == (False, True)


async def test_no_answer_in_time_is_a_refusal() -> None:
    broker = ConsentBroker(timeout_s=0.01)
    Dialog(broker)
    assert await broker.ask(CAMERA) is False
    assert broker.pending == ()


async def test_an_answer_counts_once() -> None:
    broker = ConsentBroker()
    Dialog(broker)
    task = await asked(broker, CAMERA)
    assert broker.answer(CAMERA.id, "deny")
    assert not broker.answer(CAMERA.id, "allow")  # a second page's late click changes nothing
    assert await task is False
    assert not broker.answer("consent-unknown", "allow")


async def test_per_call_scope_asks_every_time() -> None:
    broker = ConsentBroker()  # per_call is the default
    Dialog(broker)
    assert not broker.offers_session
    task = await asked(broker, CAMERA)
    broker.answer(CAMERA.id, "allow_session")  # treated as a one-time allow
    assert await task is True
    again = ConsentRequest("camera", CAMERA.client, CAMERA.action)
    task = await asked(broker, again)  # asked again, not granted silently
    broker.answer(again.id, "deny")
    assert await task is False


async def test_per_session_grant_covers_the_same_client_and_kind_only() -> None:
    broker = ConsentBroker(scope="per_session")
    Dialog(broker)
    task = await asked(broker, CAMERA)
    broker.answer(CAMERA.id, "allow_session")
    assert await task is True

    assert await broker.ask(ConsentRequest("camera", CAMERA.client, "take a photo")) is True
    other_client = ConsentRequest("camera", "Someone else", "take a photo")
    other_kind = ConsentRequest("tool", CAMERA.client, "run x")
    for request in (other_client, other_kind):
        task = await asked(broker, request)
        broker.answer(request.id, "deny")
        assert await task is False

    broker.forget_session_grants()
    later = ConsentRequest("camera", CAMERA.client, "take a photo")
    task = await asked(broker, later)
    broker.answer(later.id, "deny")
    assert await task is False


async def test_a_plain_allow_in_session_scope_is_not_remembered() -> None:
    broker = ConsentBroker(scope="per_session")
    Dialog(broker)
    task = await asked(broker, CAMERA)
    broker.answer(CAMERA.id, "allow")
    assert await task is True
    again = ConsentRequest("camera", CAMERA.client, CAMERA.action)
    task = await asked(broker, again)
    assert broker.pending == (again,)
    broker.answer(again.id, "deny")
    assert await task is False


async def test_cancelled_asker_leaves_nothing_pending() -> None:
    broker = ConsentBroker()
    dialog = Dialog(broker)
    task = await asked(broker, CAMERA)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert broker.pending == ()
    assert dialog.seen[-1] == ()


async def test_a_broken_dialog_does_not_stop_the_others() -> None:
    broker = ConsentBroker()

    def broken() -> None:
        raise RuntimeError("page closed")

    broker.subscribe(broken)
    working = Dialog(broker)
    task = await asked(broker, CAMERA)
    assert working.seen == [(CAMERA.id,)]
    broker.answer(CAMERA.id, "allow")
    assert await task is True


async def test_unsubscribed_dialogs_no_longer_count() -> None:
    broker = ConsentBroker()
    dialog = Dialog(broker)
    dialog.unsubscribe()
    dialog.unsubscribe()  # twice is harmless
    assert not broker.can_answer
    assert await broker.ask(CAMERA) is False


def test_the_question_names_the_client() -> None:
    assert CAMERA.question == "Claude Desktop 1.2 wants to take a photo with your camera."
    assert CAMERA.session_key == ("camera", "Claude Desktop 1.2")
    assert CAMERA.id != ConsentRequest("camera", "x", "y").id


async def test_a_request_asked_once_is_never_covered_by_a_grant_and_grants_nothing() -> None:
    broker = ConsentBroker(scope="per_session")
    Dialog(broker)
    task = await asked(broker, CAMERA)
    broker.answer(CAMERA.id, "allow_session")
    assert await task is True
    once = ConsentRequest("camera", CAMERA.client, "take a photo", once=True)
    task = await asked(broker, once)  # asked although the session grant covers its kind
    broker.answer(once.id, "allow_session")
    assert await task is True

    broker.forget_session_grants()
    again = ConsentRequest("camera", CAMERA.client, "take a photo", once=True)
    task = await asked(broker, again)
    broker.answer(again.id, "allow_session")  # answered "for the session", it grants nothing
    assert await task is True
    later = ConsentRequest("camera", CAMERA.client, "take a photo")
    task = await asked(broker, later)
    assert broker.pending == (later,)
    broker.answer(later.id, "deny")
    assert await task is False
