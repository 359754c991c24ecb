import base64

from django.test import RequestFactory

from accounts.authentication import NO_TOKEN, TOKEN_REFUSED, token_from_header, unauthenticated_reason


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


def _request(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return RequestFactory().get("/api/apps", **headers)


def test_no_token_says_authentication_is_required():
    for header in (None, "", "Basic !!!not-base64", _basic("user", "")):
        assert unauthenticated_reason(_request(header)) == NO_TOKEN, header


def test_a_token_that_matched_nobody_is_called_refused_with_the_way_to_a_new_one():
    for header in ("Bearer paas_wrong", _basic("git", "paas_revoked")):
        reason = unauthenticated_reason(_request(header))
        assert reason == TOKEN_REFUSED, header
        assert reason.startswith("the token was refused") and "make admin-token" in reason
