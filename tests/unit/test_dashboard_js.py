"""The dashboard's browser logic (ANSI colours, filters, de-duplication, reconnects, chart data),
tested with Node's own test runner: tests/js/*.test.mjs against static/dashboard/*.mjs."""
import shutil
import subprocess

from tests.support import ROOT, require


def test_the_dashboard_javascript_passes_its_node_tests():
    node = shutil.which("node")
    require("Node.js", node is not None, "apt-get install nodejs (v20 or later)")
    # Files, not the folder: Node 20 expands a folder, later versions take globs instead.
    files = sorted(str(path) for path in (ROOT / "tests" / "js").glob("*.test.mjs"))
    assert files, "no tests/js/*.test.mjs"
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", *files], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout, result.stdout
