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
