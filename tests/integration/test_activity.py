"""The activity log: each change to an app or a team is recorded with who did it, and read back
newest first, per app and per team."""
from applications.models import App
from applications.services import release_create


def api(client, members, who, method, path, body=None):
    return getattr(client, method.lower())(f"/api{path}", body, content_type="application/json", **members.auth(who))


def test_changes_to_an_app_are_recorded_with_their_author(client, members):
    assert api(client, members, "admin", "POST", "/apps", {"name": "shop"}).status_code == 201
    app = App.objects.get(name="shop")
    api(client, members, "developer", "PATCH", "/apps/shop/config-vars", {"GREETING": "hi"})  # before any deploy
    release_create(app=app, image="img:1", process_types={"web": ""}, description="Deploy aaaaaaa")
    api(client, members, "developer", "PATCH", "/apps/shop/config-vars", {"GREETING": None})
    api(client, members, "operator", "PATCH", "/apps/shop", {"maintenance": True})
    api(client, members, "admin", "PATCH", "/apps/shop", {"checks": {"path": "/health"}})

    entries = api(client, members, "viewer", "GET", "/apps/shop/activity").json()
    assert [(e["actor"], e["verb"], e["text"]) for e in entries] == [
        ("admin", "settings", "Changed the health check settings"),
        ("operator", "maintenance", "Turned maintenance mode on"),
        ("developer", "config", "Remove GREETING config vars (v2)"),
        (None, "deploy", "Deploy aaaaaaa (v1)"),
        ("developer", "config", "Set GREETING config vars"),
        ("admin", "app", "Created app shop"),
    ]
    assert all(e["app"] == "shop" and e["created_at"] for e in entries)
    team_texts = [e["text"] for e in api(client, members, "viewer", "GET", "/teams/acme/activity").json()]
    assert team_texts[-1] == "Created app shop" and len(team_texts) == len(entries)


def test_maintenance_mode_is_the_operators_and_health_checks_the_admins(client, members):
    App.objects.create(name="shop", team=members.team)
    assert api(client, members, "developer", "PATCH", "/apps/shop", {"maintenance": True}).status_code == 403
    response = api(client, members, "operator", "PATCH", "/apps/shop", {"maintenance": True})
    # Accepted, and recorded at once; a job points the router (202, as a restart).
    assert response.status_code == 202 and response.json()["maintenance"] is True
    assert App.objects.get(name="shop").maintenance is True
    assert api(client, members, "operator", "PATCH", "/apps/shop", {"checks": {"path": "/"}}).status_code == 403
    both = api(client, members, "operator", "PATCH", "/apps/shop", {"maintenance": False, "checks": {"path": "/"}})
    assert both.status_code == 403 and App.objects.get(name="shop").maintenance is True  # nothing half done
    bad = api(client, members, "operator", "PATCH", "/apps/shop", {"maintenance": "yes"})
    assert bad.status_code == 400 and "true or false" in bad.json()["error"]


def test_restarting_needs_a_live_release_and_a_process_it_runs(client, members):
    App.objects.create(name="shop", team=members.team)
    assert api(client, members, "developer", "DELETE", "/apps/shop/dynos").status_code == 403
    response = api(client, members, "operator", "DELETE", "/apps/shop/dynos")
    assert response.status_code == 400 and "no live release" in response.json()["error"]
