import pytest

from router.errors import EgressBlockedError
from router.privacy.egress import check_outbound
from router.types import PrivacyReport


def test_payload_with_a_local_only_value_is_blocked() -> None:
    report = PrivacyReport(keep_local=True, local_only_values=("4111 1111 1111 1111",))
    with pytest.raises(EgressBlockedError):
        check_outbound(b'{"content": "card 4111 1111 1111 1111"}', report)


def test_clean_payload_passes() -> None:
    report = PrivacyReport(local_only_values=("secret-value",))
    check_outbound(b'{"content": "nothing here"}', report)


def test_non_ascii_values_are_matched_as_utf8() -> None:
    report = PrivacyReport(local_only_values=("Zoë Müller",))
    with pytest.raises(EgressBlockedError):
        check_outbound('{"c": "Zoë Müller"}'.encode(), report)


def test_a_short_value_inside_a_longer_word_is_not_a_hit() -> None:
    # Redaction replaces "Ann" only as a whole word, so "Annual" stays in the prompt;
    # the check must match the same way or it blocks a turn that leaks nothing.
    report = PrivacyReport(local_only_values=("Ann",))
    check_outbound(b'{"content": "the <PERSON_1> Annual report"}', report)


def test_a_short_value_as_a_word_is_a_hit() -> None:
    report = PrivacyReport(local_only_values=("Ann",))
    with pytest.raises(EgressBlockedError):
        check_outbound(b'{"content": "ask Ann about it"}', report)


def test_json_escaped_values_are_matched() -> None:
    report = PrivacyReport(local_only_values=("Zoë Müller",))
    with pytest.raises(EgressBlockedError):
        check_outbound(b'{"c": "Zo\\u00eb M\\u00fcller"}', report)
