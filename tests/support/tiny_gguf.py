"""Writes a tiny random-weight llama GGUF so tests exercise a real llama.cpp load.

A 2-layer, 64-wide llama with a 512-token byte-level `gpt2` vocabulary and a
ChatML chat template: it loads in milliseconds and generates gibberish quickly.
`degenerate=True` zeroes the output head, so greedy decoding repeats token 0
forever and never ends early: useful when a test must catch a stream mid-way.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
N_VOCAB, N_EMBD, N_FF, N_LAYER, N_HEAD, N_CTX = 512, 64, 128, 2, 4, 2048
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _byte_alphabet() -> list[str]:
    # GPT-2's reversible byte-to-unicode table: printable bytes map to themselves.
    keep = [*range(33, 127), *range(161, 173), *range(174, 256)]
    chars, extra = list(keep), 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    # In GPT-2's order, so token 0 is "!" (what the degenerate model repeats).
    return [chr(c) for c in chars]


def _vocab() -> tuple[list[str], list[str]]:
    tokens = _byte_alphabet()
    merges: list[str] = []
    letters = "etaoinshrdlucmfwypvbgk"
    space = tokens[ord(" ")]
    for first in [space, *letters]:
        for second in letters:
            if len(tokens) >= N_VOCAB - len(SPECIALS):
                break
            merges.append(f"{first} {second}")
            tokens.append(first + second)
    return [*tokens, *SPECIALS], merges


def write_tiny_gguf(path: str | Path, *, seed: int = 0, degenerate: bool = False) -> Path:
    """Write the tiny model to `path` and return the path."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    tokens, merges = _vocab()
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tandem-tiny-test")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    n_normal = len(tokens) - len(SPECIALS)
    writer.add_token_types([gguf.TokenType.NORMAL] * n_normal + [gguf.TokenType.CONTROL] * 3)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(N_VOCAB, N_EMBD))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    head = np.zeros((N_VOCAB, N_EMBD), np.float32) if degenerate else weight(N_VOCAB, N_EMBD)
    writer.add_tensor("output.weight", head)
    for i in range(N_LAYER):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(N_EMBD, N_FF))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
