"""Buildpack detection, the Dockerfiles they write and how their output is shown (pure logic:
the builds themselves are in tests/e2e/test_buildpack_builds.py)."""
import json
import tarfile

import pytest

from builds import build_hints, buildpacks, django_static
from builds.errors import BuildFailed
from builds.narrator import Narrator
from builds.source import SourceArchive
from tests.support import source_archive


def _dir(tmp_path, name):
    """A second source archive's own directory."""
    (tmp_path / name).mkdir(exist_ok=True)
    return tmp_path / name

IMAGES = {
    "python": {"3.11": "paas-base/python:3.11-bookworm", "3.13": "paas-base/python:3.13-trixie", "3.14": "paas-base/python:3.14-forky"},
    "node": {"18": "paas-base/node:18-bookworm", "20": "paas-base/node:20-trixie", "24": "paas-base/node:24-forky"},
    "static": "paas-base/static:busybox",
}


@pytest.fixture(autouse=True)
def built_images(settings, tmp_path):
    """The images `make base-images` lists on a host that built them all."""
    listed = tmp_path / "base-images.json"
    listed.write_text(json.dumps(IMAGES))
    settings.PAAS_BASE_IMAGES_FILE = listed
    settings.PAAS_BASE_IMAGES = {}


@pytest.mark.parametrize(
    "files, language",
    [
        ({"requirements.txt": "", "package.json": "{}", "index.html": ""}, "Python"),
        ({"pyproject.toml": "", "index.html": ""}, "Python"),
        ({"package.json": "{}", "index.html": ""}, "Node.js"),
        ({"index.html": "hi"}, "Static HTML"),
    ],
)
def test_buildpacks_are_tried_in_order_python_node_static(tmp_path, files, language):
    assert buildpacks.detect(source_archive(tmp_path, files)).language == language


def test_only_files_at_the_root_count(tmp_path):
    source = source_archive(tmp_path, {"docs/index.html": "", "src/requirements.txt": "", "README": ""})
    assert buildpacks.detect(source) is None


def test_python_installs_dependencies_from_requirements_alone_before_copying_the_code(tmp_path, settings):
    settings.PAAS_BASE_IMAGES = {**settings.PAAS_BASE_IMAGES, "python": "local/python:3.12"}
    plan = buildpacks.Python().plan(source_archive(tmp_path, {"requirements.txt": "flask\n"}), ["PIP_INDEX_URL"])
    lines = plan.dockerfile().splitlines()
    assert lines[0] == "FROM local/python:3.12"
    copy_requirements = lines.index('COPY ["requirements.txt", "/opt/paas/requirements.txt"]')
    build_arg = lines.index("ARG PIP_INDEX_URL")
    install = lines.index('RUN ["pip", "install", "-r", "/opt/paas/requirements.txt"]')
    copy_app = lines.index('COPY [".", "/app"]')
    assert copy_requirements < build_arg < install < copy_app == len(lines) - 1
    assert plan.default_process_types is None  # a Python app says how to start it in its Procfile


def test_pyproject_dependencies_become_the_requirements_the_layer_is_keyed_on(tmp_path):
    pyproject = '[project]\nname = "shop"\ndependencies = ["flask>=3", "gunicorn"]\n'
    plan = buildpacks.Python().plan(source_archive(tmp_path, {"pyproject.toml": pyproject}), [])
    assert plan.generated == {buildpacks.PYPROJECT_REQUIREMENTS: "flask>=3\ngunicorn\n"}
    assert f'COPY ["{buildpacks.PYPROJECT_REQUIREMENTS}", "/opt/paas/requirements.txt"]' in plan.dockerfile()


def test_pyproject_without_project_dependencies_says_nothing_is_installed(tmp_path):
    plan = buildpacks.Python().plan(source_archive(tmp_path, {"pyproject.toml": "[tool.poetry]\nname = 'x'\n"}), [])
    assert plan.generated == {buildpacks.PYPROJECT_REQUIREMENTS: ""}
    assert any("no [project] dependencies" in note for note in plan.notes)


@pytest.mark.parametrize(
    "pyproject, message",
    [("[project\n", "not valid TOML"), ("[project]\ndependencies = 'flask'\n", "must be a list of strings")],
)
def test_malformed_pyproject_fails_the_build_saying_why(tmp_path, pyproject, message):
    with pytest.raises(BuildFailed, match=message):
        buildpacks.Python().plan(source_archive(tmp_path, {"pyproject.toml": pyproject}), [])


def test_node_uses_npm_ci_with_a_lockfile_and_starts_with_npm_start(tmp_path):
    files = {"package.json": '{"scripts": {"start": "node index.js"}}', "package-lock.json": "{}"}
    plan = buildpacks.Node().plan(source_archive(tmp_path, files), [])
    assert 'COPY ["package.json", "package-lock.json", "/app/"]' in plan.dockerfile()
    assert 'RUN ["npm", "ci", "--omit=dev"]' in plan.dockerfile()
    assert plan.default_process_types == {"web": "npm start"}
    assert "npm run" not in plan.dockerfile()  # no build script, no build step


def test_node_without_lockfile_installs_and_without_start_script_or_server_js_needs_a_procfile(tmp_path):
    plan = buildpacks.Node().plan(source_archive(tmp_path, {"package.json": '{"name": "x"}'}), [])
    assert 'RUN ["npm", "install", "--omit=dev"]' in plan.dockerfile()
    assert plan.default_process_types is None
    with_server = buildpacks.Node().plan(source_archive(tmp_path, {"package.json": "{}", "server.js": ""}), [])
    assert with_server.default_process_types == {"web": "npm start"}


@pytest.mark.parametrize("package, message", [("{nope", "not valid JSON"), ("[1]", "must be a JSON object")])
def test_malformed_package_json_fails_the_build_saying_why(tmp_path, package, message):
    with pytest.raises(BuildFailed, match=message):
        buildpacks.Node().plan(source_archive(tmp_path, {"package.json": package}), [])


def test_static_sites_are_served_by_httpd_on_port(tmp_path):
    plan = buildpacks.Static().plan(source_archive(tmp_path, {"index.html": "hi"}), [])
    assert plan.default_process_types == {"web": "httpd -f -p $PORT -h /app"}


def test_generated_files_are_added_to_the_archive(tmp_path):
    source = source_archive(tmp_path, {"index.html": "hi"})
    source.add(buildpacks.DOCKERFILE, "FROM x\n")
    assert SourceArchive(source.path).read(buildpacks.DOCKERFILE) == "FROM x\n"
    assert source.read("index.html") == "hi"


def test_narrator_names_steps_indents_their_output_and_drops_bookkeeping():
    steps = [buildpacks.Step("FROM x"), buildpacks.Step("RUN pip", "-----> Installing", "requirements.txt")]
    said = []
    narrator = Narrator(steps, said.append)
    for line in ["Step 1/2 : FROM x", " ---> 1234567890ab", "Step 2/2 : RUN pip", " ---> Running in abcdef",
                 "Collecting flask", "Removing intermediate container abcdef", " ---> fedcba098765",
                 "Successfully built fedcba098765", "Successfully tagged paas/x:1"]:
        narrator(line)
    assert said == ["-----> Installing", "       Collecting flask"]


def test_narrator_says_when_the_dependency_layer_is_reused():
    steps = [buildpacks.Step("FROM x"), buildpacks.Step("RUN pip", "-----> Installing", "requirements.txt")]
    said = []
    narrator = Narrator(steps, said.append)
    for line in ["Step 1/2 : FROM x", "Step 2/2 : RUN pip", " ---> Using cache", " ---> fedcba098765"]:
        narrator(line)
    assert said == ["-----> Installing", "       Reusing the dependencies installed before: requirements.txt unchanged"]


def test_a_commit_that_would_unpack_outside_its_directory_fails_the_build_saying_so(tmp_path):
    path = tmp_path / "source.tar"
    with tarfile.open(path, "w") as tar:
        link = tarfile.TarInfo("etc-passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    target = tmp_path / "app"
    target.mkdir()
    with pytest.raises(BuildFailed, match="cannot be unpacked for the build"):
        SourceArchive(path).extract_to(target)


def test_python_uses_the_version_asked_for_and_says_where_it_came_from(tmp_path):
    files = {"requirements.txt": "", ".python-version": "# pinned\n3.13\n"}
    plan = buildpacks.Python().plan(source_archive(tmp_path, files), [])
    assert plan.dockerfile().startswith("FROM paas-base/python:3.13-trixie\n")
    assert plan.version_line == "-----> Using Python 3.13 (from .python-version)"

    default = buildpacks.Python().plan(source_archive(_dir(tmp_path, "d"), {"requirements.txt": ""}), [])
    assert default.base_image == "paas-base/python:3.14-forky"
    assert default.version_line == "-----> Using Python 3.14 (the newest available; no version was asked for)"


def test_python_version_not_available_fails_before_any_step_listing_those_that_are(tmp_path):
    with pytest.raises(BuildFailed) as failed:
        buildpacks.Python().plan(source_archive(tmp_path, {"requirements.txt": "", ".python-version": "3.12\n"}), [])
    assert str(failed.value) == (
        "Python 3.12 is not available on this platform: available 3.11, 3.13, 3.14 (.python-version asked for 3.12)"
    )


def test_a_django_app_collects_static_files_after_the_code_is_copied(tmp_path):
    plan = buildpacks.Python().plan(source_archive(tmp_path, {"requirements.txt": "django\n", "manage.py": ""}), [])
    lines = plan.dockerfile().splitlines()
    assert lines.index('COPY [".", "/app"]') == lines.index(f'RUN ["sh", "{django_static.SCRIPT_NAME}"]') - 1
    assert plan.generated[django_static.SCRIPT_NAME] == django_static.SCRIPT
    assert "DISABLE_COLLECTSTATIC" in django_static.SCRIPT and "collectstatic --noinput" in django_static.SCRIPT
    without = buildpacks.Python().plan(source_archive(_dir(tmp_path, "flask"), {"requirements.txt": "flask\n"}), [])
    assert django_static.SCRIPT_NAME not in without.dockerfile()


@pytest.mark.parametrize("scripts, ran", [({"build": "x"}, "build"), ({"build": "x", "heroku-postbuild": "y"}, "heroku-postbuild")])
def test_node_build_script_runs_with_dev_dependencies_which_are_pruned_after(tmp_path, scripts, ran):
    files = {"package.json": json.dumps({"scripts": {"start": "node s.js", **scripts}}), "package-lock.json": "{}"}
    lines = buildpacks.Node().plan(source_archive(tmp_path, files), []).dockerfile().splitlines()
    install = lines.index('RUN ["npm", "ci", "--include=dev"]')
    copy_app = lines.index('COPY [".", "/app"]')
    build = lines.index(f'RUN ["npm", "run", "{ran}"]')
    assert install < copy_app < build < lines.index('RUN ["npm", "prune", "--omit=dev"]') == len(lines) - 1


def test_node_picks_the_newest_major_engines_node_admits(tmp_path):
    files = {"package.json": json.dumps({"engines": {"node": ">=18 <24"}})}
    plan = buildpacks.Node().plan(source_archive(tmp_path, files), [])
    assert plan.base_image == "paas-base/node:20-trixie"
    assert plan.version_line == "-----> Using Node.js 20 (from package.json engines.node)"
    with pytest.raises(BuildFailed, match=r"Node.js \^22 is not available on this platform: available 18, 20, 24"):
        buildpacks.Node().plan(source_archive(_dir(tmp_path, "x"), {"package.json": '{"engines": {"node": "^22"}}'}), [])


def test_a_failed_step_is_explained_from_its_own_output():
    steps = [buildpacks.Step("FROM x"), buildpacks.Step("RUN pip", "-----> Installing", "r", build_hints.pip_index([]))]
    narrator = Narrator(steps, [].append)
    for line in ["Step 1/2 : FROM x", "Step 2/2 : RUN pip", "ERROR: Could not find a version that satisfies the requirement flask"]:
        narrator(line)
    assert "Set PIP_INDEX_URL" in narrator.explanation() and "build_vars" in narrator.explanation()
    narrator("Step 2/2 : RUN pip")
    narrator("ERROR: flask-9.whl is not a supported wheel on this platform")
    assert narrator.explanation() is None  # an index was reached: nothing to say about one


def test_index_hints_name_the_build_var_that_is_already_set():
    unreachable = ["npm ERR! network request to http://10.0.0.1/x failed, reason: connect ECONNREFUSED"]
    assert "Set NPM_CONFIG_REGISTRY" in build_hints.npm_registry([])(unreachable)
    assert "the registry NPM_CONFIG_REGISTRY names" in build_hints.npm_registry(["NPM_CONFIG_REGISTRY"])(unreachable)
    assert "the index PIP_INDEX_URL names" in build_hints.pip_index(["PIP_INDEX_URL"])(["No matching distribution found for x"])


@pytest.mark.parametrize(
    "listed_by, says, never",
    [
        ("file", ("is listed in {file} but is no longer in the Docker engine (removed since it was built?): "
                  "`make base-images` on the host builds it again"), "For hosts with no registry"),
        ("official", ("is not on this host and could not be pulled from a registry: on a host with no registry, "
                      "`make base-images` builds local base images"), "is listed in"),
        ("setting", "that PAAS_STATIC_BASE_IMAGE names is not in the Docker engine", "make base-images"),
    ],
)
def test_a_missing_base_image_is_explained_by_where_it_was_listed(tmp_path, settings, listed_by, says, never):
    from builds.builders import _missing_base_image

    if listed_by == "official":
        settings.PAAS_BASE_IMAGES_FILE = tmp_path / "never-written.json"
    elif listed_by == "setting":
        settings.PAAS_BASE_IMAGES = {"static": "my/static:1"}
    buildpack = buildpacks.Static()
    plan = buildpack.plan(source_archive(tmp_path, {"index.html": "hi"}), [])

    message = _missing_base_image(buildpack, plan)

    assert says.format(file=settings.PAAS_BASE_IMAGES_FILE) in message
    assert never not in message


def test_narrator_drops_lines_that_are_only_colour_codes():
    said = []
    narrator = Narrator([buildpacks.Step("RUN pip", "-----> Installing")], said.append)
    for line in ["Step 1/1 : RUN pip", "\x1b[91mERROR: no index", "\x1b[0m", "\x1b[0m  "]:
        narrator(line)
    assert said == ["-----> Installing", "       \x1b[91mERROR: no index"]


def test_a_lost_base_image_says_which_versions_the_engine_still_has(tmp_path, monkeypatch):
    from builds import builders

    class Engine:
        def image_exists(self, image):
            return image != IMAGES["python"]["3.13"]

    monkeypatch.setattr(builders, "get_scheduler", Engine)
    buildpack = buildpacks.Python()
    plan = buildpack.plan(source_archive(tmp_path, {"requirements.txt": "", ".python-version": "3.13"}), [])

    message = builders._missing_base_image(buildpack, plan)

    assert message.startswith(f"the base image {IMAGES['python']['3.13']} is listed in ")
    assert message.endswith("`make base-images` on the host builds it again; meanwhile the engine has Python 3.11, 3.14")
