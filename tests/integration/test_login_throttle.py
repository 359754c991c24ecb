"""The login form's throttle (real Redis): failures counted per user name and per client
address, refusals without the password being tried, and what a success clears; and the
password validators the install's own passwords must pass."""
import time
import uuid

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from controlplane.bootstrap import bootstrap
from paas.redis_client import redis_client

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(db, redis_server, settings):
    # An instance name of its own: the counters are keyed by it, and no other test shares them.
    settings.PAAS_INSTANCE = f"tests-login-{uuid.uuid4().hex[:8]}"
    # Each login hashes a password; the real hasher takes about a second on these machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield get_user_model().objects.create_user("alice", password=PASSWORD)
    client = redis_client()
    for key in client.scan_iter(f"paas:{settings.PAAS_INSTANCE}:*"):
        client.delete(key)


def login(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_user_name_out_even_with_the_right_password(client, alice):
    for _ in range(5):
        assert login(client, "alice", "wrong").status_code == 200  # the form again, with its error
    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode() and "try again in 15 minutes" in refused.content.decode()
    assert 890 <= int(refused["Retry-After"]) <= 900
    assert not logged_in(client)
    # From another address too: the user name itself is locked.
    assert login(client, "alice", PASSWORD, address="10.0.0.2").status_code == 429


def test_four_failures_do_not_lock_and_a_success_forgives_them(client, alice):
    for _ in range(4):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302 and logged_in(client)
    client.logout()
    for _ in range(4):  # counted from zero again, for the name and for the address
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302 and logged_in(client)


def test_failures_at_many_user_names_lock_out_the_address_but_not_other_addresses(client, alice):
    for number in range(5):
        login(client, f"nobody{number}", "guess")
    assert login(client, "alice", PASSWORD).status_code == 429
    assert login(client, "alice", PASSWORD, address="10.0.0.2").status_code == 302 and logged_in(client)


def test_logging_in_to_ones_own_account_clears_none_of_the_guesses_at_others(client, alice):
    get_user_model().objects.create_user("mallory", password=PASSWORD)
    for _ in range(4):
        login(client, "alice", "guess")
    assert login(client, "mallory", PASSWORD).status_code == 302
    client.logout()
    login(client, "bob", "guess")  # the address's fifth failure
    assert login(client, "mallory", PASSWORD).status_code == 429


def test_the_lockout_ends_when_its_time_has_passed(client, alice, settings):
    settings.PAAS_LOGIN_MAX_FAILURES, settings.PAAS_LOGIN_LOCKOUT_SECONDS = 2, 2
    login(client, "alice", "wrong")
    login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 429
    time.sleep(2.2)
    assert login(client, "alice", PASSWORD).status_code == 302 and logged_in(client)


def test_the_four_standard_password_validators_are_on(db):
    user = get_user_model()(username="carol")
    for weak in ("carol123", "short", "password", "83920174659"):
        with pytest.raises(ValidationError):
            password_validation.validate_password(weak, user)
    password_validation.validate_password(PASSWORD, user)


def test_the_admin_password_make_up_writes_passes_the_validators(db, settings, tmp_path):
    """The e2e browser tests log in with it (tests/e2e/conftest.py `page`)."""
    settings.VAR_DIR = tmp_path
    files = bootstrap()
    password_validation.validate_password(files["password"].read_text().strip(),
                                          get_user_model().objects.get(username="admin"))
