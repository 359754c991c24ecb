from django.urls import path, re_path

from api import views
from api.http import not_found
from observability.views import log_stream

urlpatterns = [
    path("apps", views.apps),
    path("apps/<str:app_name>", views.app_detail),
    path("apps/<str:app_name>/builds", views.app_builds),
    path("apps/<str:app_name>/builds/<int:build_id>", views.app_build_detail),
    path("apps/<str:app_name>/releases", views.app_releases),
    path("apps/<str:app_name>/releases/<int:version>", views.app_release_detail),
    path("apps/<str:app_name>/config-vars", views.app_config_vars),
    path("apps/<str:app_name>/formation", views.app_formation),
    path("apps/<str:app_name>/log-stream", log_stream),
    path("apps/<str:app_name>/metrics", views.app_metrics),
    re_path(r"^.*$", not_found),
]
