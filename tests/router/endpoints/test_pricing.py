"""The price table: shipped prices, user overrides, prefix lookup and cost arithmetic."""

from __future__ import annotations

import pytest

from router.endpoints.pricing import ModelPrice, PriceTable
from router.errors import ConfigError
from router.paths import TandemPaths


def test_shipped_prices_load_without_a_user_file(tandem_home: TandemPaths) -> None:
    table = PriceTable.load(tandem_home)
    assert table.price("claude-sonnet-4-5") == ModelPrice(input=3.0, output=15.0)
    assert table.price("tandem-edge") == ModelPrice(input=0.0, output=0.0)


def test_dated_model_ids_find_their_family_by_longest_prefix() -> None:
    table = PriceTable(
        {
            "claude": ModelPrice(input=1, output=1),
            "claude-sonnet-4-5": ModelPrice(input=3, output=15),
            "claude-opus-4-1": ModelPrice(input=15, output=75),
        }
    )
    assert table.price("claude-sonnet-4-5-20250929") == ModelPrice(input=3, output=15)
    assert table.price("claude-sonnet-4-5") == ModelPrice(input=3, output=15)
    # A prefix must end at a separator: "claude-opus-4-1" is not "claude-opus-4-10".
    assert table.price("claude-opus-4-10") == ModelPrice(input=1, output=1)
    assert table.price("gpt-4o") is None


def test_user_file_overrides_and_adds_models(tandem_home: TandemPaths) -> None:
    (tandem_home.config_dir / "pricing.toml").write_text(
        '[models."claude-sonnet-4-5"]\ninput = 2.0\noutput = 10.0\n\n'
        '[models."qwen2.5:7b"]\ninput = 0.0\noutput = 0.0\n'
    )
    table = PriceTable.load(tandem_home)
    assert table.price("claude-sonnet-4-5-20250929") == ModelPrice(input=2.0, output=10.0)
    assert table.price("qwen2.5:7b") == ModelPrice(input=0.0, output=0.0)
    assert table.price("claude-haiku-4-5") == ModelPrice(input=1.0, output=5.0)  # still shipped


def test_invalid_user_file_raises_config_error_with_hint(tandem_home: TandemPaths) -> None:
    user_file = tandem_home.config_dir / "pricing.toml"
    user_file.write_text('[models."x"]\ninput = -1\noutput = 2\n')
    with pytest.raises(ConfigError) as err:
        PriceTable.load(tandem_home)
    assert str(user_file) in err.value.message
    assert "input" in err.value.hint
    user_file.write_text("[models\n")
    with pytest.raises(ConfigError, match="cannot read the price file"):
        PriceTable.load(tandem_home)


def test_cost_includes_cache_writes_and_reads_at_their_multipliers() -> None:
    table = PriceTable({"m": ModelPrice(input=3.0, output=15.0)})
    cost = table.cost_usd(
        "m-2025", 1_000_000, 100_000, cache_write_tokens=200_000, cache_read_tokens=1_000_000
    )
    # 3.00 input + 1.50 output + 0.2 * 3 * 1.25 = 0.75 write + 1.0 * 3 * 0.1 = 0.30 read
    assert cost == pytest.approx(3.0 + 1.5 + 0.75 + 0.3)
    assert table.cost_usd("unknown", 1_000_000, 1_000_000) == 0.0
