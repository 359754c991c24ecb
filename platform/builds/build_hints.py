"""One line of advice after a buildpack step fails, read from what the step printed: the
package index it could not reach, or the framework step that can be skipped."""
import re

BUILD_VARS_API = 'PATCH /api/apps/APP {"build_vars": [...]}'

PIP_UNREACHABLE = re.compile(
    r"Could not find a version that satisfies the requirement|No matching distribution found|"
    r"Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|"
    r"Network is unreachable|Connection refused|ConnectTimeoutError|Max retries exceeded|Could not fetch URL",
)
NPM_UNREACHABLE = re.compile(
    r"\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b|"
    r"network request to \S+ failed|request to \S+ failed, reason:",
)


def pip_index(build_vars: list[str]):
    """For the pip step: whether its failure looks like an index it could not reach."""
    def explain(output: list[str]) -> str | None:
        if not any(PIP_UNREACHABLE.search(line) for line in output):
            return None
        if "PIP_INDEX_URL" in build_vars:
            return (
                "pip could not get the dependencies from the index PIP_INDEX_URL names: check that it is "
                "reachable from the app's network and has these packages (an http:// index also needs "
                "PIP_TRUSTED_HOST in build_vars)"
            )
        return (
            "pip could not reach a package index: a build's steps may reach no internet from this host. "
            "Set PIP_INDEX_URL to an index they can reach (and PIP_TRUSTED_HOST for an http:// one) "
            f"as config vars, and list them in the app's build_vars ({BUILD_VARS_API})"
        )
    return explain


def npm_registry(build_vars: list[str]):
    """For the npm step: whether its failure looks like a registry it could not reach."""
    def explain(output: list[str]) -> str | None:
        if not any(NPM_UNREACHABLE.search(line) for line in output):
            return None
        if "NPM_CONFIG_REGISTRY" in build_vars:
            return (
                "npm could not get the dependencies from the registry NPM_CONFIG_REGISTRY names: check that "
                "it is reachable from the app's network and has these packages"
            )
        return (
            "npm could not reach a package registry: a build's steps may reach no internet from this host. "
            "Set NPM_CONFIG_REGISTRY to a registry they can reach as a config var, and list it in the app's "
            f"build_vars ({BUILD_VARS_API})"
        )
    return explain


def collectstatic(output: list[str]) -> str:
    return (
        "`python manage.py collectstatic --noinput` failed (its output is above). A build sees only the "
        "config vars listed in the app's build_vars: list those your settings read when they load, fix "
        "the app, or skip the step with the config var DISABLE_COLLECTSTATIC=1 listed in build_vars "
        f"({BUILD_VARS_API})"
    )


def node_build(script: str):
    def explain(output: list[str]) -> str:
        return f"`npm run {script}` failed (its output is above); it runs with the devDependencies installed"
    return explain
