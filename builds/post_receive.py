"""The post-receive hook: git has moved the branch, so the next push to this app may start."""
import os
import sys

from builds.pre_receive import parse_updates


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    import django

    django.setup()
    from builds.receive import release_push_lock

    for _, new, _ in parse_updates(sys.stdin):
        release_push_lock(os.environ["PAAS_APP"], new)
    return 0
