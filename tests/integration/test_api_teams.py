"""Teams, members and API tokens through the REST API: what each call does and its errors."""
import pytest
from django.contrib.auth import get_user_model

from accounts.models import ApiToken, Membership


def call(client, members, who, method, path, body=None):
    kwargs = members.auth(who) if who else {}
    return getattr(client, method.lower())(f"/api{path}", body, content_type="application/json", **kwargs)


def test_a_user_creates_a_team_and_becomes_its_admin(client, members):
    response = call(client, members, "outsider", "POST", "/teams", {"name": "ops-team"})
    assert response.status_code == 201 and response.json()["role"] == "admin"
    teams = call(client, members, "outsider", "GET", "/teams").json()
    assert [(t["name"], t["role"]) for t in teams] == [("ops-team", "admin")]
    assert call(client, members, "outsider", "GET", "/teams/ops-team/members").json() == [{"user": "outsider", "role": "admin"}]


@pytest.mark.parametrize("name", ["Ops", "-ops", "o", "ops_team", "a" * 64, 7, None])
def test_bad_team_names_get_a_400(client, members, name):
    response = call(client, members, "admin", "POST", "/teams", {"name": name})
    assert response.status_code == 400 and "team names" in response.json()["error"]


def test_a_taken_team_name_is_a_conflict(client, members):
    assert call(client, members, "admin", "POST", "/teams", {"name": "acme"}).status_code == 409


def test_each_user_sees_their_own_teams_with_their_role(client, members):
    assert [(t["name"], t["role"]) for t in call(client, members, "developer", "GET", "/teams").json()] == [("acme", "developer")]
    assert call(client, members, "outsider", "GET", "/teams").json() == []


def test_an_admin_adds_changes_and_removes_a_member(client, members):
    get_user_model().objects.create(username="newbie")
    added = call(client, members, "admin", "POST", "/teams/acme/members", {"user": "newbie", "role": "viewer"})
    assert added.status_code == 201 and added.json() == {"user": "newbie", "role": "viewer"}
    changed = call(client, members, "admin", "PATCH", "/teams/acme/members/newbie", {"role": "operator"})
    assert changed.status_code == 200 and changed.json()["role"] == "operator"
    assert call(client, members, "admin", "DELETE", "/teams/acme/members/newbie").status_code == 204
    assert not Membership.objects.filter(user__username="newbie").exists()

    texts = [entry["text"] for entry in call(client, members, "viewer", "GET", "/teams/acme/activity").json()]
    assert texts == ["Removed newbie from the team", "Changed newbie's role to operator", "Added newbie as viewer"]


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"user": "nobody", "role": "viewer"}, 404, "no user named 'nobody'"),
        ({"user": "outsider", "role": "owner"}, 400, '"role" must be one of viewer, developer, operator, admin'),
        ({"role": "viewer"}, 400, '"user" must be a user name'),
        ({"user": "viewer", "role": "admin"}, 409, "already a member"),
    ],
)
def test_bad_member_additions_get_clear_errors(client, members, body, status, message):
    response = call(client, members, "admin", "POST", "/teams/acme/members", body)
    assert response.status_code == status and message in response.json()["error"]


def test_the_last_admin_can_neither_leave_nor_step_down(client, members):
    removed = call(client, members, "admin", "DELETE", "/teams/acme/members/admin")
    demoted = call(client, members, "admin", "PATCH", "/teams/acme/members/admin", {"role": "viewer"})
    assert removed.status_code == 409 and "last admin" in removed.json()["error"]
    assert demoted.status_code == 409 and "last admin" in demoted.json()["error"]
    call(client, members, "admin", "PATCH", "/teams/acme/members/operator", {"role": "admin"})
    assert call(client, members, "admin", "PATCH", "/teams/acme/members/admin", {"role": "viewer"}).status_code == 200


def test_changing_a_non_member_is_a_404(client, members):
    response = call(client, members, "admin", "PATCH", "/teams/acme/members/outsider", {"role": "viewer"})
    assert response.status_code == 404 and "not a member" in response.json()["error"]


def test_a_new_token_is_shown_once_listed_without_its_secret_and_revocable(client, members):
    created = call(client, members, "viewer", "POST", "/tokens", {"description": "laptop"})
    assert created.status_code == 201
    token = created.json()["token"]
    listed = call(client, members, "viewer", "GET", "/tokens").json()
    assert [t["description"] for t in listed] == ["laptop", ""]  # the fixture's own token too
    assert all("token" not in t and "digest" not in t for t in listed)

    with_new = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/teams", **with_new).status_code == 200
    assert call(client, members, "viewer", "DELETE", f"/tokens/{created.json()['id']}").status_code == 204
    assert client.get("/api/teams", **with_new).status_code == 401


def test_nobody_revokes_or_sees_another_users_token(client, members):
    others = ApiToken.objects.get(user__username="admin").pk
    assert call(client, members, "viewer", "DELETE", f"/tokens/{others}").status_code == 404
    assert ApiToken.objects.filter(pk=others).exists()


def test_a_token_description_must_be_short_text(client, members):
    assert call(client, members, "viewer", "POST", "/tokens", {"description": "x" * 201}).status_code == 400
    assert call(client, members, "viewer", "POST", "/tokens", {"description": 5}).status_code == 400


def test_a_member_leaves_a_team_they_were_added_to_and_it_is_in_the_activity_log(client, members):
    assert call(client, members, "developer", "POST", "/teams/acme/leave").status_code == 204
    assert not Membership.objects.filter(user__username="developer").exists()
    assert call(client, members, "developer", "GET", "/teams/acme/members").status_code == 404  # an outsider now
    entry = call(client, members, "viewer", "GET", "/teams/acme/activity").json()[0]
    assert (entry["actor"], entry["verb"], entry["text"]) == ("developer", "member", "developer left the team")


def test_the_last_admin_cannot_leave_until_there_is_another(client, members):
    refused = call(client, members, "admin", "POST", "/teams/acme/leave")
    assert refused.status_code == 409 and "last admin" in refused.json()["error"] and "before you leave" in refused.json()["error"]
    assert Membership.objects.filter(user__username="admin").exists()
    call(client, members, "admin", "PATCH", "/teams/acme/members/operator", {"role": "admin"})
    assert call(client, members, "admin", "POST", "/teams/acme/leave").status_code == 204


def test_an_outsider_cannot_leave_a_team_it_is_not_in(client, members):
    assert call(client, members, "outsider", "POST", "/teams/acme/leave").status_code == 404


def test_the_dashboards_leave_button_leaves_the_team_and_goes_to_the_team_list(client, members):
    client.force_login(get_user_model().objects.get(username="viewer"))
    page = client.get("/teams/acme/").content.decode()
    assert 'action="/teams/acme/leave"' in page and "Leave team" in page
    response = client.post("/teams/acme/leave", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/teams/"
    assert not Membership.objects.filter(user__username="viewer").exists()


def test_the_dashboard_refuses_the_last_admins_leaving_with_a_message(client, members):
    client.force_login(get_user_model().objects.get(username="admin"))
    response = client.post("/teams/acme/leave", HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and "last admin" in response.content.decode()
    assert Membership.objects.filter(user__username="admin").exists()
