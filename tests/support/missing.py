"""Skipping a test for something this machine lacks, except where it must not be lacking."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_ENV = "TANDEM_TESTS_REQUIRE_ALL"
"""Set by `.ci/run`, which installs everything: there a missing part fails the test."""


def missing(reason: str) -> NoReturn:
    """Skip for a missing tool or data set, or fail when `REQUIRE_ENV` says nothing may be."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason} (required: {REQUIRE_ENV} is set)")
    pytest.skip(reason)
