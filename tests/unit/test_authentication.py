import base64

from accounts.authentication import token_from_header


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_bearer_token_is_read():
    assert token_from_header("Bearer paas_abc") == "paas_abc"


def test_basic_auth_password_is_the_token_whatever_the_user_name():
    assert token_from_header(_basic("anything", "paas_abc")) == "paas_abc"


def test_malformed_or_empty_credentials_give_no_token():
    assert token_from_header("") is None
    assert token_from_header("Basic !!!not-base64") is None
    assert token_from_header(_basic("user", "")) is None
    assert token_from_header("Digest abc") is None
