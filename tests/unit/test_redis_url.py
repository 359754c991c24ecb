from paas import settings as settings_module


def _url_with(monkeypatch, tmp_path, password: str | None, **environ: str) -> str:
    monkeypatch.setattr(settings_module, "ROOT_DIR", tmp_path)
    for name in ("REDIS_URL", "PAAS_REDIS_DB"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if password is not None:
        (tmp_path / "var" / "redis").mkdir(parents=True)
        (tmp_path / "var" / "redis" / "password").write_text(password + "\n")
    return settings_module._redis_url()


def test_the_installs_redis_url_carries_the_password_scripts_redis_generated(monkeypatch, tmp_path):
    assert _url_with(monkeypatch, tmp_path, "5ecret", PAAS_REDIS_DB="15") == "redis://:5ecret@127.0.0.1:6379/15"


def test_a_password_is_quoted_in_the_url(monkeypatch, tmp_path):
    assert _url_with(monkeypatch, tmp_path, "a/b@c:d") == "redis://:a%2Fb%40c%3Ad@127.0.0.1:6379/0"


def test_without_a_password_file_the_url_has_none(monkeypatch, tmp_path):
    assert _url_with(monkeypatch, tmp_path, None) == "redis://127.0.0.1:6379/0"


def test_an_explicit_redis_url_wins(monkeypatch, tmp_path):
    own = "redis://:theirs@10.0.0.5:6380/2"
    assert _url_with(monkeypatch, tmp_path, "5ecret", REDIS_URL=own, PAAS_REDIS_DB="15") == own
