import pytest
from django.contrib.auth import get_user_model

from accounts.models import Role, Team
from accounts.services import team_add_member, token_create


class Members:
    """Users with tokens, each in `team` with a role (or in no team at all)."""

    def __init__(self) -> None:
        self.team = Team.objects.create(name="acme")
        self.tokens: dict[str, str] = {}
        for role in Role:
            self.add(role.value, role)
        self.add("outsider", None)

    def add(self, username: str, role: Role | None, team: Team | None = None):
        user = get_user_model().objects.create(username=username)
        if role is not None:
            team_add_member(team=team or self.team, user=user, role=role)
        self.tokens[username] = token_create(user=user)
        return user

    def auth(self, username: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def members(db) -> Members:
    return Members()
