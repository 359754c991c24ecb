from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from controlplane import var_modes
from controlplane.bootstrap import ADMIN, bootstrap
from controlplane.processes import StartFailed, start_all
from controlplane.supervision import SupervisorError
from controlplane.supervisor_config import ConfigRefused
from controlplane.systemd import SystemdError
from router.routing import RouterError
from runtime.processes import BackendError


class Command(BaseCommand):
    help = "Start the platform's processes under supervision (idempotent) and print how to use them."

    def add_arguments(self, parser):
        parser.add_argument("--new-admin-token", action="store_true",
                            help="write a new admin API token to var/admin.token, revoking the one it held")

    def handle(self, *args, **options):
        var_modes.restrict()
        files = bootstrap(new_token=options["new_admin_token"])
        try:
            start_all(self.stdout.write)
        except (StartFailed, RouterError, BackendError, SupervisorError, ConfigRefused, SystemdError) as error:
            raise CommandError(str(error)) from None
        web = f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}"
        router = f"{settings.PAAS_APPS_DOMAIN}:{settings.PAAS_ROUTER_PORT}"
        token = files["token"]
        self.stdout.write(
            f"""
The platform is up.
  Dashboard   {web}/  (user {ADMIN}, password in {files['password']})
  API token   {token}  (mode 0600; kept across `make up`; `make admin-token` writes a new one)
  Create app  curl -H "Authorization: Bearer $(cat {token})" -d '{{"name": "myapp"}}' {web}/api/apps
  Deploy      git remote add paas {web}/git/myapp.git
              git push paas main   (any user name; the API token is the password)
  Open        http://myapp.{router}/
"""
        )
