import base64
import json

import pytest

from router.privacy.detectors.secrets import SecretsDetector, shannon_entropy

DET = SecretsDetector()


def _found(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in DET.detect(text):
        out.setdefault(f.type, []).append(text[f.start : f.end])
    return out


def _jwt() -> str:
    def enc(obj: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return (
        enc({"alg": "HS256", "typ": "JWT"})
        + "."
        + enc({"sub": "1234567890"})
        + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )


@pytest.mark.parametrize(
    "key",
    [
        "sk-ant-api03-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY",
        "sk-proj-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "xoxb-123456789012-abcdefghij",
        "AIza" + "SyD-1234567890abcdefghijklmnopqrstu",
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    ],
)
def test_api_keys(key: str) -> None:
    found = _found(f"my key is {key} ok")
    assert key in found.get("API_KEY", []), found


def test_aws_secret_with_context() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret in _found(f"aws_secret_access_key = {secret}")["API_KEY"]


def test_private_key_block() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert _found(f"here:\n{block}\nbye")["PRIVATE_KEY"] == [block]


def test_jwt() -> None:
    token = _jwt()
    assert _found(f"Authorization: Bearer {token}")["JWT"] == [token]


def test_jwt_like_without_alg_is_not_jwt() -> None:
    assert "JWT" not in _found("eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.abcdefgh")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password=hunter2!", "hunter2!"),
        ("passwd: s3cret", "s3cret"),
        ("pwd = 'abc def'", "abc def"),
        ('{"password": "p@ss w0rd"}', "p@ss w0rd"),
    ],
)
def test_passwords(text: str, value: str) -> None:
    assert _found(text)["PASSWORD"] == [value]


def test_high_entropy_token() -> None:
    tok = "Zx8kP2qLm9Vt4RwY7bN3cD5f"
    assert _found(f"token {tok}")["HIGH_ENTROPY_TOKEN"] == [tok]


@pytest.mark.parametrize(
    "text",
    [
        "the internationalization of characteristically long words",
        "id 550e8400-e29b-41d4-a716-446655440000 (UUIDs are not flagged)",
        "path /usr/local/lib/python3.11/site-packages",
        "CamelCaseIdentifierNameWithoutDigits",
        "password reset instructions were sent",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert _found(text) == {}


def test_entropy() -> None:
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2
