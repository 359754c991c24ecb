"""The builtin buildpacks: which language an app is written in, from its files, and the Dockerfile
that builds it.

Each Dockerfile installs the dependencies before it copies the code, from the dependency files
alone, so the engine's layer cache keeps the installed dependencies for as long as those files
are unchanged: a push that changes only code does not reinstall. The language version comes
from the app's files (builds/language_versions.py), checked before any step runs; the framework
steps Heroku's buildpacks run (Django's collectstatic, package.json's build script) run after
the code is copied in.
"""
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field

from builds import build_hints, buildpack_images, django_static, language_versions
from builds.errors import BuildFailed
from builds.source import SourceArchive

# Files the platform adds to the build context; the names keep clear of an app's own files.
DOCKERFILE = ".paas-buildpack.Dockerfile"
PYPROJECT_REQUIREMENTS = ".paas-buildpack-requirements.txt"
VENV = "/opt/paas/venv"


@dataclass(frozen=True)
class Step:
    instruction: str
    says: str | None = None  # the Heroku-style line printed as the engine starts the step
    cache_key: str | None = None  # for the dependency step: the files its cached layer is keyed on
    # When the step fails: a line of advice read from the step's output (None: nothing to add).
    explain: Callable[[list[str]], str | None] | None = None


@dataclass
class Plan:
    language: str
    base_image: str
    steps: list[Step]
    # The process types when the app has no Procfile; None means it needs one.
    default_process_types: dict[str, str] | None
    generated: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed after the detection line
    version_line: str | None = None  # "-----> Using Python 3.13 (from .python-version)"

    def dockerfile(self) -> str:
        return "".join(f"{step.instruction}\n" for step in self.steps)


def _build_args(names: list[str]) -> list[Step]:
    """ARG lines for the build-time config vars: declared just before the dependency step, so
    they reach it (a private package index, say) and a changed value reinstalls."""
    return [Step(f"ARG {name}") for name in names]


def _json_list(items: list[str]) -> str:
    return json.dumps(items)


class Python:
    language = "Python"
    key = "python"
    needs_network = True  # its package index
    start_hint = "add a Procfile saying how to start it, e.g. `web: python app.py`"

    def detect(self, source: SourceArchive) -> bool:
        return source.has("requirements.txt") or source.has("pyproject.toml")

    def plan(self, source: SourceArchive, build_vars: list[str]) -> Plan:
        choice = language_versions.choose_python(
            source, buildpack_images.versions(self.key), buildpack_images.patch_level
        )
        generated, notes = {}, list(choice.notes)
        if source.has("requirements.txt"):
            requirements, cache_key = "requirements.txt", "requirements.txt"
        else:
            dependencies = _pyproject_dependencies(source.read("pyproject.toml"))
            if not dependencies:
                notes.append("       pyproject.toml lists no [project] dependencies: nothing to install")
            generated[PYPROJECT_REQUIREMENTS] = "".join(f"{line}\n" for line in dependencies)
            requirements, cache_key = PYPROJECT_REQUIREMENTS, "pyproject.toml's dependencies"
        framework = []
        if source.has("manage.py"):
            generated[django_static.SCRIPT_NAME] = django_static.SCRIPT
            framework.append(Step(
                f"RUN {_json_list(['sh', django_static.SCRIPT_NAME])}",
                "-----> Django: collecting static files", explain=build_hints.collectstatic,
            ))
        return Plan(
            language=self.language,
            base_image=choice.image,
            version_line=choice.line("Python"),
            generated=generated,
            notes=notes,
            default_process_types=None,
            steps=[
                Step(f"FROM {choice.image}"),
                Step("WORKDIR /app"),
                Step(f"ENV PATH={VENV}/bin:$PATH PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1"),
                Step(f"RUN {_json_list(['python3', '-m', 'venv', VENV])}", "-----> Creating the virtualenv"),
                Step(f"COPY {_json_list([requirements, '/opt/paas/requirements.txt'])}"),
                *_build_args(build_vars),
                Step(
                    f"RUN {_json_list(['pip', 'install', '-r', '/opt/paas/requirements.txt'])}",
                    f"-----> Installing dependencies with pip ({cache_key})",
                    cache_key, build_hints.pip_index(build_vars),
                ),
                Step('COPY [".", "/app"]', "-----> Copying the app"),
                *framework,
            ],
        )


def _pyproject_dependencies(text: str) -> list[str]:
    try:
        project = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError as error:
        raise BuildFailed(f"pyproject.toml is not valid TOML: {error}") from None
    dependencies = project.get("dependencies", []) if isinstance(project, dict) else []
    if not isinstance(dependencies, list) or not all(isinstance(item, str) for item in dependencies):
        raise BuildFailed("pyproject.toml's [project] dependencies must be a list of strings")
    return dependencies


class Node:
    language = "Node.js"
    key = "node"
    needs_network = True  # its package registry
    start_hint = 'add a "start" script to package.json, a server.js, or a Procfile'
    LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")

    def detect(self, source: SourceArchive) -> bool:
        return source.has("package.json")

    def plan(self, source: SourceArchive, build_vars: list[str]) -> Plan:
        try:
            package = json.loads(source.read("package.json"))
        except ValueError as error:
            raise BuildFailed(f"package.json is not valid JSON: {error}") from None
        if not isinstance(package, dict):
            raise BuildFailed("package.json must be a JSON object")
        scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
        choice = language_versions.choose_node(package, buildpack_images.versions(self.key))
        # npm start runs scripts.start, or server.js when there is none: Heroku's default web process.
        web = "npm start" if "start" in scripts or source.has("server.js") else None
        lockfiles = [name for name in self.LOCKFILES if source.has(name)]
        # Heroku runs heroku-postbuild instead of build when there is one, with the devDependencies.
        build_script = next((name for name in ("heroku-postbuild", "build") if name in scripts), None)
        omit = ["--include=dev"] if build_script else ["--omit=dev"]
        install = ["npm", "ci", *omit] if lockfiles else ["npm", "install", *omit]
        cache_key = " and ".join(["package.json", *lockfiles])
        what = "all dependencies, for the build script" if build_script else cache_key
        framework = []
        if build_script:
            framework = [
                Step(f"RUN {_json_list(['npm', 'run', build_script])}", f"-----> Running the {build_script} script",
                     explain=build_hints.node_build(build_script)),
                Step(f"RUN {_json_list(['npm', 'prune', '--omit=dev'])}", "-----> Pruning devDependencies"),
            ]
        return Plan(
            language=self.language,
            base_image=choice.image,
            version_line=choice.line("Node.js"),
            default_process_types={"web": web} if web else None,
            steps=[
                Step(f"FROM {choice.image}"),
                Step("WORKDIR /app"),
                Step("ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false"),
                Step(f"COPY {_json_list(['package.json', *lockfiles, '/app/'])}"),
                *_build_args(build_vars),
                Step(
                    f"RUN {_json_list(install)}",
                    f"-----> Installing dependencies with {' '.join(install[:2])} ({what})",
                    cache_key, build_hints.npm_registry(build_vars),
                ),
                Step('COPY [".", "/app"]', "-----> Copying the app"),
                *framework,
            ],
        )


class Static:
    language = "Static HTML"
    key = "static"
    needs_network = False
    start_hint = ""  # it always has one: the web server

    def detect(self, source: SourceArchive) -> bool:
        return source.has("index.html")

    def plan(self, source: SourceArchive, build_vars: list[str]) -> Plan:
        base = buildpack_images.static_image()
        return Plan(
            language=self.language,
            base_image=base,
            default_process_types={"web": "httpd -f -p $PORT -h /app"},
            steps=[Step(f"FROM {base}"), Step('COPY [".", "/app"]', "-----> Copying the site")],
        )


# In the order they are tried: the first that recognises the app builds it.
BUILDPACKS = (Python(), Node(), Static())
WHAT_IS_DETECTED = "requirements.txt or pyproject.toml (Python), package.json (Node.js) or index.html (a static site)"


def detect(source: SourceArchive):
    return next((buildpack for buildpack in BUILDPACKS if buildpack.detect(source)), None)
