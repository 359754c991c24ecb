from django.urls import path, re_path

from api import domains, registry_hooks, teams, tokens, usage, views
from api.http import not_found
from observability.views import log_stream

urlpatterns = [
    path("teams", teams.team_list),
    path("teams/<str:team_name>/members", teams.team_members),
    path("teams/<str:team_name>/members/<str:username>", teams.team_member),
    path("teams/<str:team_name>/leave", teams.team_leave),
    path("teams/<str:team_name>/activity", teams.team_activity),
    path("teams/<str:team_name>/usage", usage.team_usage),
    path("tokens", tokens.token_list),
    path("tokens/<int:token_id>", tokens.token_detail),
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
    path("apps/<str:app_name>/activity", views.app_activity),
    path("apps/<str:app_name>/usage", usage.app_usage),
    path("apps/<str:app_name>/dynos", views.app_dynos),
    path("apps/<str:app_name>/dynos/<str:dyno>", views.app_dynos),
    path("apps/<str:app_name>/domains", domains.app_domains),
    path("apps/<str:app_name>/domains/<str:hostname>", domains.app_domain),
    path("apps/<str:app_name>/domains/<str:hostname>/certificate", domains.app_domain_certificate),
    path("apps/<str:app_name>/domains/<str:hostname>/certificate/renewal", domains.app_domain_certificate_renewal),
    path("apps/<str:app_name>/registry-webhook", registry_hooks.app_registry_webhook),
    re_path(r"^.*$", not_found),
]
