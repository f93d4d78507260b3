"""The one notice per missing optional package (router/optional.py)."""

from router.optional import notices, say_missing


def test_a_missing_package_is_said_once_under_its_feature() -> None:
    said = say_missing("psutil", "figures are unknown", "install it", feature="test-say-missing")
    again = say_missing("psutil", "something else", "install it", feature="test-say-missing")
    assert (said, again) == (True, False)
    assert notices()["test-say-missing"] == (
        "psutil is not installed, so figures are unknown; install it"
    )
