"""Pairing codes: short, single use, expiring; failed attempts limited per client and overall."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.lan.pairing import CODE_TTL, PairingCodes

START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def codes() -> tuple[PairingCodes, Clock]:
    clock = Clock()
    return PairingCodes(now=clock), clock


def test_a_code_is_two_groups_of_four_crockford_characters_and_expires() -> None:
    desk, _ = codes()
    code = desk.new_code()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code.code)
    assert code.expires_at == START + CODE_TTL
    assert desk.current == code
    assert desk.new_code().code != code.code


def test_the_right_code_pairs_once() -> None:
    desk, _ = codes()
    code = desk.new_code().code
    assert desk.redeem(code, "10.0.0.5").accepted
    again = desk.redeem(code, "10.0.0.5")
    assert (again.accepted, again.status) == (False, 403)
    assert desk.current is None


def test_a_typed_code_may_differ_in_case_dashes_and_look_alike_letters() -> None:
    desk, _ = codes()
    code = desk.new_code().code
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert desk.redeem(typed, "10.0.0.5").accepted


def test_a_wrong_code_is_refused_with_a_sentence() -> None:
    desk, _ = codes()
    desk.new_code()
    verdict = desk.redeem("AAAA-AAAA", "10.0.0.5")
    assert (verdict.accepted, verdict.status) == (False, 403)
    assert "code" in verdict.message and verdict.message.endswith(".")


def test_an_expired_code_is_refused_and_says_to_get_a_new_one() -> None:
    desk, clock = codes()
    code = desk.new_code().code
    clock.advance(minutes=10, seconds=1)
    verdict = desk.redeem(code, "10.0.0.5")
    assert (verdict.accepted, verdict.status) == (False, 403)
    assert "expired" in verdict.message


def test_a_new_code_invalidates_the_old_one() -> None:
    desk, _ = codes()
    old = desk.new_code().code
    desk.new_code()
    assert not desk.redeem(old, "10.0.0.5").accepted


def test_five_failures_a_minute_lock_out_that_client_even_with_the_right_code() -> None:
    desk, clock = codes()
    code = desk.new_code().code
    for _ in range(5):
        assert desk.redeem("WRONG", "10.0.0.66").status == 403
    locked = desk.redeem(code, "10.0.0.66")
    assert (locked.accepted, locked.status) == (False, 429)
    assert locked.retry_after_s == 60
    assert desk.redeem(code, "10.0.0.5").accepted  # another phone is not held up
    desk.new_code()
    clock.advance(seconds=61)
    assert desk.redeem(desk.current.code if desk.current else "", "10.0.0.66").accepted


def test_the_retry_after_counts_down_from_the_oldest_failure() -> None:
    desk, clock = codes()
    desk.new_code()
    for _ in range(5):
        desk.redeem("WRONG", "10.0.0.66")
        clock.advance(seconds=10)
    assert desk.redeem("WRONG", "10.0.0.66").retry_after_s == 10


def test_twenty_failures_in_ten_minutes_stop_all_pairing_for_a_while() -> None:
    desk, clock = codes()
    code = desk.new_code().code
    for attempt in range(20):
        clock.advance(seconds=1)
        assert desk.redeem("WRONG", f"10.0.1.{attempt}").status == 403
    locked = desk.redeem(code, "10.0.0.5")
    assert (locked.accepted, locked.status) == (False, 429)
    assert 0 < locked.retry_after_s <= 600
    clock.advance(seconds=locked.retry_after_s)
    assert desk.redeem(desk.new_code().code, "10.0.0.5").accepted


def test_with_no_code_issued_every_attempt_fails() -> None:
    desk, _ = codes()
    assert desk.redeem("", "10.0.0.5").status == 403
    assert desk.current is None
