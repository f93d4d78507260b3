import pytest

from router.errors import ConfigError
from router.paths import TandemPaths, resolve_paths
from router.settings.config import load_settings


def test_defaults_come_from_the_shipped_file(tandem_home: TandemPaths) -> None:
    settings = load_settings(tandem_home)
    assert settings.local.model == "bundled"
    assert settings.local.n_ctx == 4096
    assert settings.routing.policy == "local"
    assert settings.generation.max_tokens == 512


def test_user_file_overrides_only_what_it_names(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("[local]\nn_ctx = 8192\n[generation]\ntemperature = 0.1\n")
    settings = load_settings(tandem_home)
    assert settings.local.n_ctx == 8192
    assert settings.local.model == "bundled"
    assert settings.generation.temperature == 0.1
    assert settings.generation.max_tokens == 512


def test_environment_beats_the_file(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    tandem_home.config_file.write_text('[local]\nn_ctx = 8192\nmodel = "x.gguf"\n')
    monkeypatch.setenv("TANDEM_LOCAL__N_CTX", "1024")
    settings = load_settings(tandem_home)
    assert settings.local.n_ctx == 1024
    assert settings.local.model == "x.gguf"


def test_broken_toml_says_which_file(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("[local\nmodel = 1")
    with pytest.raises(ConfigError) as err:
        load_settings(tandem_home)
    assert str(tandem_home.config_file) in err.value.message
    assert "delete" in err.value.hint


def test_invalid_value_names_the_field(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("[local]\nn_ctx = -5\n")
    with pytest.raises(ConfigError) as err:
        load_settings(tandem_home)
    assert "n_ctx" in err.value.message


def test_unknown_key_is_rejected(tandem_home: TandemPaths) -> None:
    tandem_home.config_file.write_text("[local]\nmodle = 'typo'\n")
    with pytest.raises(ConfigError, match="modle"):
        load_settings(tandem_home)


def test_tandem_home_relocates_config_and_data(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path))
    paths = resolve_paths()
    assert paths.config_file == tmp_path / "config" / "config.toml"
    assert paths.ledger_file.parent == tmp_path / "data"
    assert paths.models_dir == tmp_path / "data" / "models"
