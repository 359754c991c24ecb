"""Which language version an app asks for (Heroku's rules for Python, npm's semver ranges for
Node.js) and which of the platform's images that picks (pure logic)."""
import pytest

from builds import semver_range
from builds.errors import BuildFailed
from builds.language_versions import choose_node, choose_python
from tests.support import source_archive


def _dir(tmp_path, name):
    """A second source archive's own directory."""
    (tmp_path / name).mkdir(exist_ok=True)
    return tmp_path / name

PYTHON = {"3.11": "py:3.11", "3.13": "py:3.13", "3.14": "py:3.14"}
NODE = {"18": "node:18", "20": "node:20", "24": "node:24"}
PATCHES = {"py:3.11": "3.11.2", "py:3.13": "3.13.5", "py:3.14": "3.14.8"}


def _python(tmp_path, files):
    return choose_python(source_archive(tmp_path, {"requirements.txt": "", **files}), PYTHON, PATCHES.get)


@pytest.mark.parametrize(
    "files, version, origin",
    [
        ({}, "3.14", "default"),
        ({".python-version": "3.13\n"}, "3.13", ".python-version"),
        ({".python-version": "  # comment\n\n 3.11 \n"}, "3.11", ".python-version"),
        ({".python-version": "3\n"}, "3.14", ".python-version"),  # major only: the newest 3.x
        ({".python-version": "3.13.5\n"}, "3.13", ".python-version"),  # the image's own patch release
        ({"runtime.txt": "python-3.11\n"}, "3.11", "runtime.txt"),
        ({"runtime.txt": "python-3.13.5"}, "3.13", "runtime.txt"),
        ({"runtime.txt": "python-3.11", ".python-version": "3.13"}, "3.13", ".python-version"),
    ],
)
def test_python_version_rules(tmp_path, files, version, origin):
    choice = _python(tmp_path, files)
    assert (choice.version, choice.image, choice.origin) == (version, PYTHON[version], origin)


def test_runtime_txt_is_read_with_a_deprecation_note_and_loses_to_python_version(tmp_path):
    assert any("runtime.txt is deprecated" in note for note in _python(tmp_path, {"runtime.txt": "python-3.11"}).notes)
    both = _python(_dir(tmp_path, "both"), {"runtime.txt": "python-3.11", ".python-version": "3.13"})
    assert any("runtime.txt is ignored: .python-version takes precedence" in note for note in both.notes)


@pytest.mark.parametrize(
    "files, message",
    [
        ({".python-version": "3.12"}, "Python 3.12 is not available on this platform: available 3.11, 3.13, 3.14 (.python-version asked for 3.12)"),
        ({".python-version": "2"}, "Python 2 is not available on this platform: available 3.11, 3.13, 3.14"),
        ({"runtime.txt": "python-3.10.4"}, "Python 3.10.4 is not available on this platform: available 3.11, 3.13, 3.14 (runtime.txt asked for 3.10.4)"),
        ({".python-version": "3.13.4"}, "Python 3.13.4 is not available on this platform: this platform's Python 3.13 is 3.13.5"),
        ({".python-version": "python-3.13"}, "asks for Python 'python-3.13': write a version such as 3.13"),
        ({".python-version": "3.13\n3.11\n"}, ".python-version has 2 versions"),
        ({".python-version": "# only a comment\n"}, ".python-version has no version"),
        ({"runtime.txt": "3.13"}, "runtime.txt must say python-<major>.<minor>"),
    ],
)
def test_python_version_that_cannot_be_had_fails_saying_what_can(tmp_path, files, message):
    with pytest.raises(BuildFailed) as failed:
        _python(tmp_path, files)
    assert message in str(failed.value)


@pytest.mark.parametrize(
    "wanted, version",
    [
        (None, "24"), ("18.x", "18"), ("18", "18"), (">=20", "24"), ("^20.1", "20"), ("24", "24"), ("~20.4.1", "20"),
        (">=18 <21", "20"), ("18 || 20", "20"), ("*", "24"), ("", "24"), ("16 - 20", "20"), ("<=20", "20"),
        (">19", "24"), ("v20.11.0", "20"), (">= 18.0.0 < 19", "18"),
    ],
)
def test_node_picks_the_newest_major_the_range_admits(wanted, version):
    package = {"engines": {"node": wanted}} if wanted is not None else {}
    choice = choose_node(package, NODE)
    assert (choice.version, choice.image) == (version, NODE[version])


@pytest.mark.parametrize("wanted, message", [("22.x", "Node.js 22.x is not available on this platform: available 18, 20, 24"),
                                             ("latest", "is not a semver range npm accepts")])
def test_node_range_no_image_meets_fails_listing_the_majors(wanted, message):
    with pytest.raises(BuildFailed, match=message):
        choose_node({"engines": {"node": wanted}}, NODE)


@pytest.mark.parametrize(
    "text, admitted",
    [
        ("^0.2.3", {0}), ("^1.2.3", {1}), ("~1", {1}), (">1", {2, 3}), (">1.2", {1, 2, 3}), ("<1", {0}),
        ("<=1.2", {0, 1}), ("<1.0.0", {0}), (">=2 <2", set()), ("1.2.3 - 2", {1, 2}), ("=3.0.0", {3}),
        (">=1.5 <=1.4", set()), ("2.x || >=3.1", {2, 3}), ("<0.0.0", set()),
    ],
)
def test_semver_range_admits_these_majors(text, admitted):
    assert {major for major in range(4) if semver_range.admits_major(text, major)} == admitted
