from observability import router_log

LINE = (
    '2026-11-23T10:00:00+00:00 app={app} host={host} method=GET path="{path}" status=200 bytes=12 '
    "duration=0.003 upstream=172.17.0.1:40007 connect=0.001 upstream_status=200 request_id=r1\n"
)


def _shipped(monkeypatch, tmp_path, text: str, apps: set[int]) -> tuple[dict[int, list[str]], dict[int, int]]:
    """Per app id, the router lines a follower appends for `text` and the requests it counts."""
    appended: dict[int, list[str]] = {}
    counted: dict[int, int] = {}
    monkeypatch.setattr(router_log.logstream, "cursor", lambda field: None)
    monkeypatch.setattr(router_log.logstream, "append",
                        lambda app_id, lines, cursor: appended.setdefault(app_id, []).extend(line.line for line in lines))
    monkeypatch.setattr(router_log.router_stats, "record",
                        lambda app_id, records: counted.update({app_id: counted.get(app_id, 0) + len(records)}))
    (tmp_path / "router-access.log").write_text(text)
    follower = router_log.RouterLogFollower(tmp_path / "router-access.log", apps.__contains__)
    try:
        assert follower.poll()
    finally:
        follower.close()
    return appended, counted


def test_a_request_by_any_host_name_of_the_apps_server_block_is_the_apps(monkeypatch, tmp_path):
    text = (LINE.format(app=7, host="shop.localhost", path="/a")
            + LINE.format(app=7, host="www.example.com", path="/b")  # a custom domain of the same app
            + LINE.format(app=8, host="shop.localhost", path="/c"))  # the host says nothing: the id does
    appended, counted = _shipped(monkeypatch, tmp_path, text, {7, 8})
    assert [line.split(" host=")[1].split(" ")[0] for line in appended[7]] == ["shop.localhost", "www.example.com"]
    assert counted == {7: 2, 8: 1}


def test_lines_of_no_app_and_of_a_deleted_app_belong_to_no_app(monkeypatch, tmp_path):
    text = (LINE.format(app="-", host="nosuchapp.localhost", path="/a")
            + LINE.format(app=9, host="gone.localhost", path="/b")
            # An older config's line, without the app's id: not guessed from the host name.
            + LINE.format(app=7, host="shop.localhost", path="/c").replace("app=7 ", ""))
    assert _shipped(monkeypatch, tmp_path, text, {7}) == ({}, {})
