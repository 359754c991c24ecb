#!/usr/bin/env python3
"""Django's command-line utility for the platform's control plane."""
import faulthandler
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# platform/ is a source root, never a package: see docs/architecture.md.
for path in (str(ROOT), str(ROOT / "platform")):
    if path not in sys.path:
        sys.path.insert(0, path)


def main() -> None:
    # `kill -USR1 PID` writes every thread's stack to the process's stderr (its log under var/log/
    # for the platform's services): how to see where a stuck reconciler or shipper is.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # What the platform's processes create under var/ (the database, keys, tokens, repositories,
    # logs), and what the git, nginx and SQLite they start create, is root's alone from the start:
    # see controlplane/var_modes.py. The settings create var/ itself, so this comes first.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
