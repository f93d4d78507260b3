"""Confidence of a local answer: per-token log-probs, entropy and agreement of samples."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.policy.confidence import PRIOR, agreement, confidence
from router.types import GenerationOptions, Message
from tests.router.policy.helpers import scored


def test_prior_confidence_rises_with_log_prob_and_falls_with_entropy() -> None:
    sure = confidence([scored("Paris.", -0.05, 0.2)], PRIOR)
    unsure = confidence([scored("Maybe Lyon.", -2.5, 4.0)], PRIOR)
    assert sure.score > 0.8 > 0.2 > unsure.score
    assert confidence([]).score == 0.0
    # Under the prior, disagreeing samples pull a confident answer down.
    split = confidence(
        [scored("Paris is the capital", -0.05, 0.2), scored("Lyon maybe", -0.05, 0.2)], PRIOR
    )
    assert split.score < sure.score and split.agreement is not None and split.agreement < 0.2
    assert agreement(["a b c", "a b c"]) == 1.0


async def test_real_gguf_answers_with_token_log_probs(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    greedy = GenerationOptions(max_tokens=12, temperature=0.0, seed=1)
    messages = [Message(role="user", content="hello there")]
    answer = await endpoint.answer_scored(messages, greedy)
    again = await endpoint.answer_scored(messages, greedy)
    n = len(answer.token_logprobs)
    assert n == len(answer.token_entropies) == answer.usage.output_tokens > 0
    assert endpoint.model is not None
    n_vocab = endpoint.model.n_vocab
    for logprob, entropy in zip(answer.token_logprobs, answer.token_entropies, strict=True):
        # Greedy picks the most likely token, whose probability is at least 1/vocab.
        assert -math.log(n_vocab) - 1e-6 <= logprob <= 0.0
        assert 0.0 <= entropy <= math.log(n_vocab) + 1e-6
    assert again.text == answer.text
    assert again.token_logprobs == pytest.approx(answer.token_logprobs, abs=1e-3)
    # A random-weight model is unsure of itself: the cascade would escalate.
    assert confidence([answer], PRIOR).score < 0.6
