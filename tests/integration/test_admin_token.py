"""`make up` keeps the admin's API token while it works; a new one is written on first run, when
the old one stopped working, or when asked (make admin-token, platform_up --new-admin-token)."""
from django.core.management import call_command

from accounts.services import user_for_token
from controlplane.bootstrap import bootstrap


def _token(files) -> str:
    return files["token"].read_text().strip()


def test_a_second_make_up_keeps_the_admin_token_working(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = _token(bootstrap())
    second = _token(bootstrap())
    assert second == first
    assert user_for_token(first).username == "admin"


def test_asking_for_a_new_admin_token_revokes_the_old_one(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    old = _token(bootstrap())
    call_command("admin_token", stdout=open("/dev/null", "w"))
    new = (tmp_path / "admin.token").read_text().strip()
    assert new != old
    assert user_for_token(old) is None
    assert user_for_token(new).username == "admin"
    assert (tmp_path / "admin.token").stat().st_mode & 0o777 == 0o600


def test_a_token_file_whose_token_was_revoked_is_written_anew(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    (tmp_path / "admin.token").write_text("paas_not-a-token-we-issued\n")
    token = _token(bootstrap())
    assert token != "paas_not-a-token-we-issued"
    assert user_for_token(token).username == "admin"
