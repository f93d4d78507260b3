from hypothesis import given
from hypothesis import strategies as st

from router.privacy.detectors.normalize import encoded_blobs, find_normalized, normalize
from router.privacy.detectors.patterns import PatternDetector
from router.privacy.detectors.registry import scan_text

DET = PatternDetector()
# Full-width digits: "4111 1111 1111 1111" shifted into U+FF10..U+FF19.
FW_CARD = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in "4111 1111 1111 1111")


def _find(text: str, kind: str) -> list[str]:
    return [text[f.start : f.end] for f in scan_text(text, [DET]) if f.type == kind]


def test_zero_width_inside_email_original_offsets() -> None:
    text = "write to jo\u200bhn@exa\u200dmple.com please"
    assert _find(text, "EMAIL_ADDRESS") == ["jo\u200bhn@exa\u200dmple.com"]


def test_zero_width_inside_card() -> None:
    text = "card 4111\u200b1111\ufeff1111\u20601111 ok"
    assert _find(text, "CREDIT_CARD") == ["4111\u200b1111\ufeff1111\u20601111"]


def test_full_width_digits_card() -> None:
    text = f"\u30ab\u30fc\u30c9 {FW_CARD} \u3067\u3059"
    assert _find(text, "CREDIT_CARD") == [FW_CARD]


def test_spaced_card() -> None:
    text = "number 4111 1111 1111 1111 thanks"
    assert _find(text, "CREDIT_CARD") == ["4111 1111 1111 1111"]


def test_obfuscated_email_forms() -> None:
    for text, value in [
        ("mail john [at] example [dot] com now", "john [at] example [dot] com"),
        ("mail john(at)example(dot)org now", "john(at)example(dot)org"),
        ("mail john at example dot com now", "john at example dot com"),
        ("mail john [at] example.com now", "john [at] example.com"),
    ]:
        assert _find(text, "EMAIL_ADDRESS") == [value], text


def test_plain_at_without_dot_is_not_email() -> None:
    assert _find("look at example.com for details", "EMAIL_ADDRESS") == []


def test_obfuscation_after_full_width_text() -> None:
    text = f"\uff58 john [at] example [dot] com {FW_CARD}"
    assert _find(text, "EMAIL_ADDRESS") == ["john [at] example [dot] com"]
    assert _find(text, "CREDIT_CARD") == [FW_CARD]


def test_find_normalized_maps_offsets() -> None:
    text = "\u200b\u200bssn 123-45-6789"
    found = find_normalized(DET.detect, text)
    assert [text[f.start : f.end] for f in found if f.type == "US_SSN"] == ["123-45-6789"]


def test_ascii_is_identity() -> None:
    norm = normalize("plain ascii text")
    assert norm.text == "plain ascii text"
    assert norm.to_original(2, 5) == (2, 5)


@given(st.text(max_size=200))
def test_offset_map_is_monotone_and_in_bounds(text: str) -> None:
    norm = normalize(text)
    for i in range(len(norm.text)):
        start, end = norm.to_original(i, i + 1)
        assert 0 <= start <= end <= len(text)
    if norm.text:
        assert norm.to_original(0, len(norm.text))[1] <= len(text)


CARD = "4111 1111 1111 1111"


def test_cards_hidden_by_invisible_or_control_characters_are_found() -> None:
    for sep in ("\u202e", "\u2066", "\u200f", "\x00", "\x1b", "\u00ad"):
        hidden = sep.join(CARD)
        assert _find(f"card {hidden} ok", "CREDIT_CARD") == [hidden], repr(sep)


def test_url_encoded_card_is_found_as_written() -> None:
    for encoded in ("4111%201111%201111%201111", "".join(f"%{b:02x}" for b in CARD.encode())):
        assert _find(f"pay?n={encoded}&x=1", "CREDIT_CARD") == [encoded]


def test_base64_card_is_found_on_the_whole_blob() -> None:
    import base64

    for payload in (CARD, f"my card is {CARD}, thanks"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            blob = encode(payload.encode()).decode()
            assert _find(f"data {blob} end", "CREDIT_CARD") == [blob], payload
    nested = base64.b64encode(base64.b64encode(f"card {CARD}".encode())).decode()
    assert _find(f"x {nested}", "CREDIT_CARD") == [nested]


def test_words_and_binary_base64_are_not_blobs() -> None:
    text = "internationalization AAAAAAAAAAAAAAAAAAAA /usr/local/bin/python3"
    assert normalize(text).text == text and encoded_blobs(text) == []


def test_homoglyphs_in_mixed_words_are_mapped_but_real_cyrillic_is_kept() -> None:
    spoofed = "\u0430lice@ex\u0430mple.org"  # Cyrillic a, twice
    assert _find(f"mail {spoofed} now", "EMAIL_ADDRESS") == [spoofed]
    russian = "Привет, как дела"
    assert normalize(russian).text == russian


def test_offsets_survive_several_steps_at_once() -> None:
    card = FW_CARD[:4] + "%20\x001111%201111 1111"
    text = f"\u200bcard {card} and jo\u200bhn [at] ex [dot] com"
    assert _find(text, "CREDIT_CARD") == [card]
    assert _find(text, "EMAIL_ADDRESS") == ["jo\u200bhn [at] ex [dot] com"]
