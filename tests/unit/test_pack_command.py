from pathlib import Path

from builds.pack import pack_command


def test_pack_runs_as_an_argument_list_with_the_builder_and_an_env_file():
    command = pack_command(
        binary="/usr/local/bin/pack", tag="paas-x/shop:build-3", builder="heroku/builder:24",
        path=Path("/tmp/my src; rm -rf x"), env_file=Path("/tmp/build.env"),
    )
    assert command == [
        "/usr/local/bin/pack", "build", "paas-x/shop:build-3",
        "--builder", "heroku/builder:24",
        "--path", "/tmp/my src; rm -rf x",  # one argument: nothing is parsed by a shell
        "--env-file", "/tmp/build.env",
        "--pull-policy", "if-not-present",
        "--no-color",
    ]
