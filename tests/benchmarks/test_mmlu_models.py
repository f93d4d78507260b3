"""How `mmlu_redaction.py` asks its models: letter preference locally, free text elsewhere."""

import ctypes
import math
from pathlib import Path
from typing import Any

import pytest

from benchmarks import mmlu_models as mm
from benchmarks.mmlu_redaction import answer_letter
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.errors import ConfigError
from router.paths import resolve_paths
from tests.support.fault_server import CLOUD_TEXT, FaultServer

SHOTS = [("Which is a prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:", "C")]
QUESTION = "What is the capital of France?\nA. Paris\nB. Rome\nC. Oslo\nD. Bern\nAnswer:"

# A vocabulary where every character is a token, with " A" etc. as tokens of their own.
_SPACED = {f" {letter}": 100 + i for i, letter in enumerate("ABCD")}


def _tokenize(text: str) -> list[int]:
    return [_SPACED[text]] if text in _SPACED else [ord(c) for c in text]


def test_each_letter_is_spelled_bare_and_after_a_space() -> None:
    spellings = mm.letter_spellings(_tokenize)
    assert spellings == {"A": (65, 100), "B": (66, 101), "C": (67, 102), "D": (68, 103)}


def test_spellings_of_several_tokens_are_left_out() -> None:
    assert mm.letter_spellings(lambda text: [ord(c) for c in text])["A"] == (65,)
    with pytest.raises(ValueError, match="no single token for 'A'"):
        mm.letter_spellings(lambda text: [1, 2])


def test_a_letter_counts_the_probability_of_all_its_spellings() -> None:
    spellings = {"A": (0, 1), "B": (2,), "C": (3,), "D": (4,)}
    # B has the single most likely token, but A's two spellings together outweigh it.
    logits = [0.7, 0.7, 1.0, -5.0, -5.0, 0.0]
    logprobs = mm.letter_logprobs(logits, spellings)
    total = sum(math.exp(x) for x in logits)
    assert logprobs["A"] == pytest.approx(math.log(2 * math.exp(0.7) / total))
    assert mm.preferred_letter(logprobs) == "A"


def test_ties_go_to_the_earliest_letter() -> None:
    assert mm.preferred_letter({"A": -1.0, "B": -0.5, "C": -0.5, "D": -2.0}) == "B"


class _FakeContext:
    def __init__(self, llama: "_FakeLlama") -> None:
        self.llama = llama

    def get_logits(self) -> Any:
        # The last evaluated token decides which letter the fake prefers.
        row = (ctypes.c_float * 256)()
        row[ord("A") + self.llama.last % 4] = 10.0
        return ctypes.cast(row, ctypes.POINTER(ctypes.c_float))


class _FakeLlama:
    """Records what is evaluated; `n_tokens` is what the KV cache keeps."""

    def __init__(self) -> None:
        self.n_tokens = 0
        self.evaluated: list[list[int]] = []
        self.last = 0
        self._ctx = _FakeContext(self)

    def tokenize(self, data: bytes, *, add_bos: bool, special: bool) -> list[int]:
        return ([1] if add_bos else []) + list(data)

    def eval(self, tokens: list[int]) -> None:
        self.evaluated.append(list(tokens))
        self.n_tokens += len(tokens)
        self.last = tokens[-1]

    def n_ctx(self) -> int:
        return 64

    def n_vocab(self) -> int:
        return 256


def test_the_scorer_evaluates_only_what_differs_from_the_last_prompt() -> None:
    llama = _FakeLlama()
    scorer = mm.LetterScorer(llama, lambda text: (f"sys|{text}", False))
    assert scorer.letter("abc") == "D"  # last token "c" = 99; 99 % 4 = 3
    assert scorer.letter("abd") == "A"  # "d" = 100
    assert llama.evaluated == [[1, *b"sys|abc"], list(b"d")]
    assert llama.n_tokens == len("sys|abd") + 1  # the cache dropped "c" before "d" went in
    scorer.letter("abd")  # the same prompt again: its last token is evaluated again
    assert llama.evaluated[-1] == list(b"d")


def test_calibration_takes_out_the_letter_the_model_favours_whatever_the_question() -> None:
    # Every prompt gives A a head start of 3; the prompt's last character adds 1 to
    # its own letter, the only thing that depends on the question.
    def biased(self: _FakeContext) -> Any:
        row = (ctypes.c_float * 256)()
        row[ord("A")] = 3.0
        row[ord("A") + self.llama.last % 4] += 1.0
        return ctypes.cast(row, ctypes.POINTER(ctypes.c_float))

    llama = _FakeLlama()
    llama._ctx.get_logits = biased.__get__(llama._ctx)  # type: ignore[method-assign]
    scorer = mm.LetterScorer(llama, lambda text: (text, True))
    assert [scorer.letter(t) for t in "abcd"] == ["A", "A", "A", "A"]
    scorer.calibrate(["w", "x", "y", "z"])  # unlabelled prompts, one for each letter's bump
    assert [scorer.letter(t) for t in "abcd"] == ["B", "C", "D", "A"]


def test_a_prompt_longer_than_the_context_is_refused() -> None:
    scorer = mm.LetterScorer(_FakeLlama(), lambda text: (text, True))
    with pytest.raises(ValueError, match="does not fit the context"):
        scorer.letter("x" * 64)


async def test_a_real_model_scores_the_same_with_the_cache_as_without(tiny_gguf: Path) -> None:
    scorer = await mm.local_scorer(tiny_gguf, SHOTS, n_ctx=512)
    fresh = await mm.local_scorer(tiny_gguf, SHOTS, n_ctx=512)
    try:
        scorer.letter("What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:")
        cached = scorer.logprobs(QUESTION)
        alone = fresh.logprobs(QUESTION)
    finally:
        await scorer.aclose()
        await fresh.aclose()
    assert set(cached) == set("ABCD")
    assert all(x < 0 for x in cached.values())
    assert cached == pytest.approx(alone, abs=1e-3)


async def test_an_endpoint_is_asked_the_chat_in_free_text() -> None:
    calls: list[EndpointCall] = []

    def reply(call: EndpointCall) -> str:
        calls.append(call)
        return "The answer is (A)."

    ask = mm.endpoint_ask(FunctionEndpoint(reply, kind="cloud"), SHOTS)
    assert answer_letter(await ask(QUESTION)) == "A"
    (call,) = calls
    assert [m.role for m in call.messages] == ["system", "user", "assistant", "user"]
    assert call.messages[2].content == "C" and call.question == QUESTION
    assert call.options.temperature == 0.0


def _config(home: Path, url: str) -> None:
    paths = resolve_paths(home).ensure()
    paths.config_file.write_text(
        f'[[endpoints]]\nname = "edge1"\nkind = "edge"\napi = "anthropic"\n'
        f'model = "tandem-edge"\nbase_url = "{url}"\napi_key_env = "MMLU_TEST_KEY"\n'
    )


async def test_a_configured_endpoint_is_asked_over_its_own_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMLU_TEST_KEY", "sk-ant-api03-mmlu-test-key-000000000000000000")
    async with FaultServer(["ok"]) as server:
        _config(tmp_path, server.url)
        endpoint, close = await mm.configured_endpoint("edge1", resolve_paths(tmp_path))
        try:
            reply = await mm.endpoint_ask(endpoint)(QUESTION)
        finally:
            await close()
    assert reply == CLOUD_TEXT and answer_letter(reply) is None  # no letter: counted wrong
    assert b"capital of France" in server.bodies[0]


async def test_an_unknown_endpoint_name_says_which_exist(tmp_path: Path) -> None:
    _config(tmp_path, "http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="no endpoint named 'cloud9' \\(edge1\\)"):
        await mm.configured_endpoint("cloud9", resolve_paths(tmp_path))
