from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import ApiToken
from accounts.services import user_for_token


def test_create_token_prints_a_working_token_and_creates_a_user_in_no_team(db):
    out = StringIO()
    call_command("create_token", "carol", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]

    user = get_user_model().objects.get(username="carol")
    assert user_for_token(token) == user
    assert not user.memberships.exists()
    assert not ApiToken.objects.filter(digest=token).exists()  # stored hashed, never as given


def test_create_token_for_an_existing_user_adds_a_second_valid_token(db):
    tokens = []
    for _ in range(2):
        out = StringIO()
        call_command("create_token", "dave", stdout=out)
        tokens.append(out.getvalue().strip().splitlines()[-1])
    assert tokens[0] != tokens[1]
    assert all(user_for_token(t).username == "dave" for t in tokens)


def test_inactive_users_tokens_stop_working(db):
    out = StringIO()
    call_command("create_token", "erin", stdout=out)
    token = out.getvalue().strip()
    get_user_model().objects.filter(username="erin").update(is_active=False)
    assert user_for_token(token) is None
