"""API keys: environment first, then the OS keyring, else a private file; and redaction."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from router.endpoints.secrets import (
    REDACTED,
    SecretsError,
    delete_api_key,
    get_api_key,
    key_env_var,
    redact,
    set_api_key,
)
from router.endpoints.settings import RemoteEndpointSettings
from router.paths import TandemPaths

KEY = "sk-ant-api03-test-key-0123456789abcdef"


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def _claude(**kw: object) -> RemoteEndpointSettings:
    fields: dict[str, object] = {
        "name": "claude",
        "kind": "cloud",
        "api": "anthropic",
        "model": "claude-sonnet-4-5",
    }
    return RemoteEndpointSettings.model_validate(fields | kw)


def _mode(path: os.PathLike[str]) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_without_a_keyring_keys_go_to_a_private_file(
    tandem_home: TandemPaths, no_keyring: None
) -> None:
    where = set_api_key("claude", KEY, tandem_home)
    secrets_file = tandem_home.config_dir / "secrets.json"
    assert where == str(secrets_file)
    assert _mode(secrets_file) == 0o600
    assert get_api_key(_claude(), tandem_home) == KEY
    set_api_key("home", "edge-key", tandem_home)
    assert _mode(secrets_file) == 0o600
    assert get_api_key(_claude(name="home", kind="edge"), tandem_home) == "edge-key"
    assert get_api_key(_claude(name="other"), tandem_home) is None


def test_environment_variable_wins(
    tandem_home: TandemPaths, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_api_key("claude", KEY, tandem_home)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    assert get_api_key(_claude(), tandem_home) == "sk-ant-from-env"
    monkeypatch.setenv("MY_KEY", "custom")
    assert get_api_key(_claude(api_key_env="MY_KEY"), tandem_home) == "custom"


def test_default_env_var_only_for_anthropic_cloud() -> None:
    assert key_env_var(_claude()) == "ANTHROPIC_API_KEY"
    # An edge box never gets the user's Anthropic key by default.
    assert key_env_var(_claude(kind="edge", base_url="http://10.0.0.2:8642")) is None
    assert key_env_var(_claude(api="openai", base_url="http://x/v1")) is None
    assert key_env_var(_claude(api="openai", api_key_env="OPENAI_API_KEY")) == "OPENAI_API_KEY"


def test_delete_removes_the_key(tandem_home: TandemPaths, no_keyring: None) -> None:
    set_api_key("claude", KEY, tandem_home)
    assert delete_api_key("claude", tandem_home) is True
    assert get_api_key(_claude(), tandem_home) is None
    assert delete_api_key("claude", tandem_home) is False
    assert KEY not in (tandem_home.config_dir / "secrets.json").read_text()


def test_world_readable_file_is_repaired_with_a_warning(
    tandem_home: TandemPaths, no_keyring: None, caplog: pytest.LogCaptureFixture
) -> None:
    set_api_key("claude", KEY, tandem_home)
    secrets_file = tandem_home.config_dir / "secrets.json"
    secrets_file.chmod(0o644)
    with caplog.at_level(logging.DEBUG):
        assert get_api_key(_claude(), tandem_home) == KEY
    assert _mode(secrets_file) == 0o600
    assert "could be read by other users" in caplog.text
    assert KEY not in caplog.text


def test_unreadable_or_foreign_file_is_refused(
    tandem_home: TandemPaths, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets_file = tandem_home.config_dir / "secrets.json"
    secrets_file.write_text('{"keys": ')
    secrets_file.chmod(0o600)
    with pytest.raises(SecretsError, match="cannot read"):
        get_api_key(_claude(), tandem_home)
    secrets_file.write_text('{"keys": {}}')
    monkeypatch.setattr(os, "getuid", lambda: os.stat(secrets_file).st_uid + 1)
    with pytest.raises(SecretsError, match="belongs to another user"):
        get_api_key(_claude(), tandem_home)


def test_keyring_is_used_when_a_backend_exists(
    tandem_home: TandemPaths, memory_keyring: MemoryKeyring
) -> None:
    assert set_api_key("claude", f"  {KEY}\n", tandem_home) == "the OS keyring"
    assert memory_keyring.store == {("tandem", "claude"): KEY}
    assert not (tandem_home.config_dir / "secrets.json").exists()
    assert get_api_key(_claude(), tandem_home) == KEY
    assert delete_api_key("claude", tandem_home) is True
    assert memory_keyring.store == {}
    assert get_api_key(_claude(), tandem_home) is None


def test_empty_key_is_refused(tandem_home: TandemPaths, no_keyring: None) -> None:
    with pytest.raises(SecretsError, match="empty"):
        set_api_key("claude", "  \n", tandem_home)


def test_redact_masks_known_and_key_shaped_secrets() -> None:
    text = f"bad key {KEY}; also sk-ant-other-XYZ and sk-proj-abcdefghijklmnopqrstuv; tok edge-1"
    out = redact(text, ["edge-1", None, ""])
    assert KEY not in out and "sk-ant-other" not in out and "sk-proj-abc" not in out
    assert "edge-1" not in out
    assert out.count(REDACTED) == 4
    assert redact(out) == out  # idempotent
    assert redact("nothing secret here") == "nothing secret here"
