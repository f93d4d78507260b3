"""The bundled MiniLM tokenizer is all-MiniLM-L6-v2's: pinned vocabulary, BERT settings.

Tandem ships all-MiniLM-L6-v2's `tokenizer.json` in assets/ (the PyPI packages
that carry it pull in torch or transformers). `benchmarks/tokenizer_equivalence.py`
shows that it gives the same token ids and embeddings as the copy Tandem used
before; these tests keep the file from changing unnoticed.
"""

from __future__ import annotations

import hashlib
import json

from router.memory.embedding import MAX_TOKENS, load_tokenizer, tokenizer_file

VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
"""sha256 of all-MiniLM-L6-v2's (and bert-base-uncased's) vocab.txt."""


def test_the_vocabulary_is_all_minilm_l6_v2s_vocab_txt_line_by_line() -> None:
    spec = json.loads(tokenizer_file().read_text(encoding="utf-8"))
    vocab: dict[str, int] = spec["model"]["vocab"]
    by_id = sorted(vocab.items(), key=lambda item: item[1])
    assert [i for _, i in by_id] == list(range(30522))
    # vocab.txt is the tokens in id order, one a line: the same bytes hash the same.
    vocab_txt = "".join(f"{token}\n" for token, _ in by_id).encode("utf-8")
    assert hashlib.sha256(vocab_txt).hexdigest() == VOCAB_SHA256


def test_the_tokenizer_is_uncased_wordpiece_with_bert_specials() -> None:
    spec = json.loads(tokenizer_file().read_text(encoding="utf-8"))
    assert spec["model"]["type"] == "WordPiece"
    assert spec["model"]["unk_token"] == "[UNK]"
    assert spec["normalizer"]["type"] == "BertNormalizer"
    assert spec["normalizer"]["lowercase"] is True
    tokenizer = load_tokenizer()
    encoding = tokenizer.encode("Hello, Zoë! unbelievably")
    assert encoding.tokens == [
        "[CLS]", "hello", ",", "zoe", "!", "un", "##bel", "##ie", "##va", "##bly", "[SEP]",
    ]  # fmt: skip
    assert len(tokenizer.encode("word " * 1000).ids) == MAX_TOKENS
