"""What serves and what the branch says stay in step, even under concurrent pushes and crashes."""
import os
import signal
import subprocess
import threading
import time

import pytest

from tests.support import SourceTree, git, static_site

pytestmark = pytest.mark.e2e


def test_concurrent_pushes_to_one_app_leave_branch_and_live_release_in_step(platform, tmp_path):
    app = platform.new_app()
    base = SourceTree(tmp_path / "base")
    base.write(static_site("base\n")).commit()
    assert base.push(platform.git_url(app)).returncode == 0

    trees = []
    for name in ("alice", "bob"):
        git(tmp_path, "clone", "-q", platform.git_url(app), name)
        tree = SourceTree.__new__(SourceTree)
        tree.path = tmp_path / name
        tree.write({"index.html": f"from {name}\n"}).commit(name)
        trees.append(tree)
    results = {}
    threads = [threading.Thread(target=lambda t=t: results.update({t.path.name: t.push(platform.git_url(app))})) for t in trees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, push in results.items() if push.returncode == 0]
    assert len(winners) == 1, {name: push.output for name, push in results.items()}
    loser = results["bob" if winners == ["alice"] else "alice"]
    assert "another push updated this branch meanwhile" in loser.output or "fetch first" in loser.output
    winner_head = git(tmp_path / winners[0], "rev-parse", "HEAD").stdout.strip()
    assert git(tmp_path, "ls-remote", platform.git_url(app), "refs/heads/main").stdout.split()[0] == winner_head
    assert platform.get(app) == (200, f"from {winners[0]}\n")


def test_a_crashed_web_container_is_restarted_and_stays_routed(platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "src")
    source.write(static_site("still here\n")).commit()
    assert source.push(platform.git_url(app)).returncode == 0
    label = f"label=io.paas.app={app}"
    container = subprocess.run(["docker", "ps", "-q", "--filter", label], capture_output=True, text=True).stdout.split()
    assert len(container) == 1
    pid = int(subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", container[0]], capture_output=True, text=True).stdout)

    os.kill(pid, signal.SIGKILL)  # a crash, not a stop: the restart policy applies

    deadline = time.monotonic() + 20
    while platform.get(app) != (200, "still here\n"):
        assert time.monotonic() < deadline, "the restarted container never served again through the router"
        time.sleep(0.2)
    restarts = subprocess.run(["docker", "inspect", "-f", "{{.RestartCount}}", container[0]], capture_output=True, text=True).stdout
    assert int(restarts) >= 1
