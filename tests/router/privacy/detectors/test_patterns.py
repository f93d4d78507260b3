import pytest

from router.privacy.detectors.patterns import PatternDetector, iban_valid, luhn_valid
from router.privacy.detectors.registry import scan_text

DET = PatternDetector()


def _types(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in scan_text(text, [DET]):
        out.setdefault(f.type, []).append(text[f.start : f.end])
    return out


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (
            "mail me at jane.doe+x@mail.example.co.uk today",
            "EMAIL_ADDRESS",
            "jane.doe+x@mail.example.co.uk",
        ),
        ("card 4111 1111 1111 1111.", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111", "CREDIT_CARD", "4111-1111-1111-1111"),
        ("pay with 4454794511390933 please", "CREDIT_CARD", "4454794511390933"),
        ("IBAN GB82 WEST 1234 5698 7654 32 and more", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
        ("iban gb42nawi04454264788619", "IBAN_CODE", "gb42nawi04454264788619"),
        ("ssn 123-45-6789", "US_SSN", "123-45-6789"),
        ("my SSN is 123456789", "US_SSN", "123456789"),
        ("social security number: 123 45 6789", "US_SSN", "123 45 6789"),
        ("host 192.168.1.10.", "IP_ADDRESS", "192.168.1.10"),
        ("v6 2001:db8::8a2e:370:7334 ok", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("call +1-415-555-2671 now", "PHONE_NUMBER", "+1-415-555-2671"),
        ("call (579)888-3058", "PHONE_NUMBER", "(579)888-3058"),
        ("UK mobile 07700 900123", "PHONE_NUMBER", "07700 900123"),
        ("Desk: +46 (0)8 928 571 38", "PHONE_NUMBER", "+46 (0)8 928 571 38"),
        ("I was born on March 3, 1990.", "DATE_OF_BIRTH", "March 3, 1990"),
        ("DOB: 03/04/1985", "DATE_OF_BIRTH", "03/04/1985"),
        (
            "lives at 123 Main Street, Springfield, IL 62704",
            "STREET_ADDRESS",
            "123 Main Street, Springfield, IL 62704",
        ),
        ("passport number: 123456789", "US_PASSPORT", "123456789"),
        ("passport no. AB123456", "PASSPORT", "AB123456"),
        ("driver's license D1234567", "DRIVER_LICENSE", "D1234567"),
    ],
)
def test_positive(text: str, kind: str, value: str) -> None:
    assert value in _types(text).get(kind, []), _types(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("card 4111 1111 1111 1112", "CREDIT_CARD"),
        ("IBAN GB83 WEST 1234 5698 7654 32", "IBAN_CODE"),
        ("ssn 000-12-3456", "US_SSN"),
        ("ssn 666-12-3456", "US_SSN"),
        ("ssn 912-12-3456", "US_SSN"),
        ("ssn 123-00-3456", "US_SSN"),
        ("ssn 123-45-0000", "US_SSN"),
        ("order 123456789 shipped", "US_SSN"),
        ("version 999.1.2.3 and 300.1.1.1", "IP_ADDRESS"),
        ("at 12:30:45 today", "IP_ADDRESS"),
        ("no email here @ all", "EMAIL_ADDRESS"),
        ("the meeting is on 2024-01-05 10 sharp", "PHONE_NUMBER"),
        ("in 2019 2020 2021 we grew", "PHONE_NUMBER"),
        ("the date 2024-03-01 of the meeting", "DATE_OF_BIRTH"),
        ("passport photos are due", "PASSPORT"),
        ("nothing sensitive in this sentence at all", "STREET_ADDRESS"),
    ],
)
def test_negative(text: str, kind: str) -> None:
    assert kind not in _types(text)


def test_checksums() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("GB82WEST12345698765433")
    assert not iban_valid("GB82WEST1234569876543")  # wrong length for GB


def test_confidence_in_range_and_detector_name() -> None:
    for f in DET.detect("a@b.com 4111111111111111 123-45-6789 10.0.0.1 +1 415 555 2671"):
        assert 0 <= f.confidence <= 1
        assert f.detector == "patterns"


def test_no_digits_text_is_fast_path() -> None:
    assert _types("just words, nothing here") == {}
