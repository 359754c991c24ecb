"""Django's collectstatic as a build step, run the way Heroku's Python buildpacks run it.

After the code is copied in, when the app has a manage.py: skipped when the build-time config
var DISABLE_COLLECTSTATIC is set (not "0"), when Django is not installed, or when
django.contrib.staticfiles is not enabled (`manage.py help collectstatic` says "Unknown
command"), as Heroku does; skipped too, with a note, when STATIC_ROOT is not set (where Heroku
fails the build: an app that serves no collected files is left to deploy). Any other failure
fails the build with its output.
"""
SCRIPT_NAME = ".paas-buildpack-collectstatic.sh"

# POSIX sh (the Debian images' dash): no pipefail, so output goes through a file.
SCRIPT = """\
# Written by the platform's Python buildpack: Django's collectstatic, as Heroku runs it.
log=/tmp/paas-collectstatic.log
if [ "${DISABLE_COLLECTSTATIC:-0}" != 0 ]; then
  echo "Skipping Django collectstatic: the build-time config var DISABLE_COLLECTSTATIC is set"; exit 0
fi
if [ ! -e /opt/paas/venv/bin/django-admin ]; then
  echo "Skipping Django collectstatic: Django is not installed"; exit 0
fi
if ! python manage.py help collectstatic >"$log" 2>&1; then
  if grep -q "Unknown command" "$log"; then
    echo "Skipping Django collectstatic: django.contrib.staticfiles is not in INSTALLED_APPS"; exit 0
  fi
  cat "$log"; exit 1
fi
if ! python manage.py shell -c 'from django.conf import settings; print("paas-static-root=%s" % bool(settings.STATIC_ROOT))' >"$log" 2>&1; then
  cat "$log"; exit 1
fi
if grep -qx "paas-static-root=False" "$log"; then
  echo "Skipping Django collectstatic: STATIC_ROOT is not set, so there is nowhere to collect the static files to"
  echo "(set STATIC_ROOT, e.g. BASE_DIR / 'staticfiles', to have them collected and served, e.g. by WhiteNoise)"
  exit 0
fi
echo "$ python manage.py collectstatic --noinput"
python manage.py collectstatic --noinput >"$log" 2>&1
status=$?
grep -v -e '^Copying ' -e '^Post-processed ' -e '^$' "$log"
rm -f "$log"
exit $status
"""
