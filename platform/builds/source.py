"""The pushed commit as a build sees it: the tar archive git wrote, read at its root."""
import tarfile
import time
from io import BytesIO
from pathlib import Path

from builds.errors import BuildFailed

ROOT_FILE_LIMIT = 256 * 1024


def _root_name(member_name: str) -> str | None:
    name = member_name.removeprefix("./")
    return name if name and "/" not in name.rstrip("/") else None


class SourceArchive:
    """The root of a build context: which files it has, their text, and files the platform adds
    (a buildpack's Dockerfile) before the engine gets it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with tarfile.open(path) as tar:
            self._files = {
                name: member.size
                for member in tar.getmembers()
                if member.isfile() and (name := _root_name(member.name)) is not None
            }

    def has(self, name: str) -> bool:
        return name in self._files

    def read(self, name: str) -> str | None:
        """A small text file at the root (Procfile, package.json...), or None if absent."""
        if name not in self._files:
            return None
        if self._files[name] > ROOT_FILE_LIMIT:
            raise BuildFailed(f"{name} is larger than {ROOT_FILE_LIMIT // 1024} KiB")
        with tarfile.open(self.path) as tar:
            for member_name in (name, f"./{name}"):
                try:
                    member = tar.getmember(member_name)
                except KeyError:
                    continue
                return tar.extractfile(member).read().decode(errors="replace")
        return None

    def add(self, name: str, text: str) -> None:
        """Append a generated file to the archive (the platform's own, named so as not to clash)."""
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
        with tarfile.open(self.path, "a") as tar:
            tar.addfile(info, BytesIO(data))
        self._files[name] = len(data)

    def extract_to(self, directory: Path) -> None:
        """The whole commit, as files; refused (not half written) if a member would land outside
        `directory`, such as a symlink to an absolute path."""
        with tarfile.open(self.path) as tar:
            try:
                tar.extractall(directory, filter="data")
            except tarfile.FilterError as error:
                raise BuildFailed(f"the pushed commit cannot be unpacked for the build: {error}") from None

