import pytest

from access.policy import Action, check_app
from paas.errors import Forbidden, NotFound
from accounts.models import Role, Team
from applications.models import App

# Expected answer per role: the role may do its own action and every one below it.
TABLE = {
    "viewer": {Action.VIEW},
    "developer": {Action.VIEW, Action.DEPLOY},
    "operator": {Action.VIEW, Action.DEPLOY, Action.OPERATE},
    "admin": set(Action),
}


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("action", list(Action))
def test_roles_are_cumulative(members, role, action):
    app = App.objects.create(name="shop", team=members.team)
    user = members.team.memberships.get(user__username=role).user
    if action in TABLE[role]:
        check_app(user, action, app)
    else:
        with pytest.raises(Forbidden):
            check_app(user, action, app)


def test_outsiders_and_anonymous_users_do_not_learn_the_app_exists(members):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth import get_user_model

    app = App.objects.create(name="shop", team=members.team)
    other_team_admin = members.add("rival", Role.ADMIN, team=Team.objects.create(name="rivals"))
    for user in (get_user_model().objects.get(username="outsider"), other_team_admin, AnonymousUser()):
        with pytest.raises(NotFound):
            check_app(user, Action.VIEW, app)
