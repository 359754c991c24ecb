from pathlib import Path

from builds.pack import pack_command


def test_pack_runs_as_an_argument_list_with_the_builder_an_env_file_and_the_apps_network():
    command = pack_command(
        binary="/usr/local/bin/pack", tag="paas-x/shop:build-3", builder="heroku/builder:24",
        path=Path("/tmp/my src; rm -rf x"), env_file=Path("/tmp/build.env"), network="paas-x-app-3",
    )
    assert command == [
        "/usr/local/bin/pack", "build", "paas-x/shop:build-3",
        "--builder", "heroku/builder:24",
        "--path", "/tmp/my src; rm -rf x",  # one argument: nothing is parsed by a shell
        "--env-file", "/tmp/build.env",
        "--network", "paas-x-app-3",  # the app's own network, as a Dockerfile build's steps
        "--pull-policy", "if-not-present",
        "--no-color",
    ]
