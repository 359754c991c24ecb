from django.core.management.base import BaseCommand

from accounts.services import token_create, user_get_or_create


class Command(BaseCommand):
    help = "Print a new API token for USERNAME on the last line, creating the user (no team) if absent."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--description", default="created by manage.py create_token")

    def handle(self, *args, username: str, description: str, **options):
        user = user_get_or_create(username=username)
        self.stdout.write(token_create(user=user, description=description))
