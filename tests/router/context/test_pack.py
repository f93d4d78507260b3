import pytest

from router.context.pack import pack
from router.endpoints.fake import FakeEndpoint
from router.errors import EmptyPromptError, PromptTooLongError
from router.types import Message, TurnRequest


def _history(n: int, size: int = 100) -> list[Message]:
    out: list[Message] = []
    for i in range(n):
        out += [Message(role="user", content=f"q{i} " + "x" * size),
                Message(role="assistant", content=f"a{i} " + "y" * size)]  # fmt: skip
    return out


def test_everything_fits_in_order() -> None:
    packed = pack(TurnRequest(text="now", session_id="s"), _history(2), FakeEndpoint(),
                  system_prompt="sys", reserve_output_tokens=100)  # fmt: skip
    assert [m.role for m in packed.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert packed.messages[-1].content == "now"
    assert packed.dropped_turns == 0


def test_oldest_turns_are_dropped_first_and_counted() -> None:
    endpoint = FakeEndpoint(context_window=300)
    packed = pack(TurnRequest(text="now", session_id="s"), _history(10), endpoint,
                  system_prompt="", reserve_output_tokens=100)  # fmt: skip
    contents = [m.content[:2] for m in packed.messages]
    assert contents[-1] == "no"
    assert contents[-3:-1] == ["q9", "a9"]
    assert "q0" not in contents
    assert packed.dropped_turns == 10 - (len(packed.messages) - 1) // 2
    assert packed.input_tokens <= 300 - 100
    assert packed.input_tokens == endpoint.count_tokens(packed.messages)


def test_empty_message_is_refused() -> None:
    with pytest.raises(EmptyPromptError):
        pack(TurnRequest(text="  \n", session_id="s"), [], FakeEndpoint(),
             system_prompt="", reserve_output_tokens=10)  # fmt: skip


def test_message_larger_than_the_window_is_refused_with_sizes() -> None:
    with pytest.raises(PromptTooLongError) as err:
        pack(TurnRequest(text="z" * 10_000, session_id="s"), [], FakeEndpoint(context_window=512),
             system_prompt="", reserve_output_tokens=128)  # fmt: skip
    assert "512" in err.value.message
    assert "n_ctx" in err.value.hint
