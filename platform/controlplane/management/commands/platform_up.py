from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from controlplane import var_modes
from controlplane.bootstrap import ADMIN, bootstrap
from controlplane.processes import StartFailed, start_all
from router.routing import RouterError
from runtime.backend import BackendError


class Command(BaseCommand):
    help = "Start the web server, build workers and router (idempotent) and print how to use them."

    def handle(self, *args, **options):
        var_modes.restrict()
        files = bootstrap()
        try:
            start_all(self.stdout.write)
        except (StartFailed, RouterError, BackendError) as error:
            raise CommandError(str(error)) from None
        web = f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}"
        router = f"{settings.PAAS_APPS_DOMAIN}:{settings.PAAS_ROUTER_PORT}"
        token = files["token"]
        self.stdout.write(
            f"""
The platform is up.
  Dashboard   {web}/  (user {ADMIN}, password in {files['password']})
  API token   {token}  (mode 0600; a fresh one on every `make up`)
  Create app  curl -H "Authorization: Bearer $(cat {token})" -d '{{"name": "myapp"}}' {web}/api/apps
  Deploy      git remote add paas {web}/git/myapp.git
              git push paas main   (any user name; the API token is the password)
  Open        http://myapp.{router}/
"""
        )
