from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard.views import apps, config, login, observability, platform_status, processes, releases, teams, tokens
from dashboard.views import domains, usage

APP = "apps/<str:app_name>/"
TEAM = "teams/<str:team_name>/"

urlpatterns = [
    path("healthz", apps.healthz),
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", apps.app_list, name="app-list"),
    path("apps/new", apps.app_new, name="app-new"),
    path(APP, apps.app_detail, name="app-detail"),
    path(APP + "rename", apps.app_rename_view, name="app-rename"),
    path(APP + "delete", apps.app_remove, name="app-delete"),
    path(APP + "releases/", releases.release_list, name="app-releases"),
    path(APP + "releases/table", releases.release_table, name="app-release-table"),
    path(APP + "releases/<int:version>/rollback", releases.release_rollback_view, name="app-rollback"),
    path(APP + "releases/<int:version>/progress", releases.release_progress, name="app-release-progress"),
    path(APP + "builds/", releases.build_list, name="app-builds"),
    path(APP + "builds/<int:build_id>/", releases.build_detail, name="app-build"),
    path(APP + "builds/<int:build_id>/output", releases.build_output, name="app-build-output"),
    path(APP + "config/", config.config_page, name="app-config"),
    path(APP + "config/set", config.config_set, name="app-config-set"),
    path(APP + "config/<str:name>/reveal", config.config_reveal, name="app-config-reveal"),
    path(APP + "config/<str:name>/unset", config.config_unset, name="app-config-unset"),
    path(APP + "scale/", processes.scale_page, name="app-scale"),
    path(APP + "scale/set", processes.scale, name="app-scale-set"),
    path(APP + "restart", processes.restart, name="app-restart"),
    path(APP + "maintenance", processes.maintenance, name="app-maintenance"),
    path(APP + "activity/", processes.activity_page, name="app-activity"),
    path(APP + "logs/", observability.app_logs, name="app-logs"),
    path(APP + "metrics/", observability.app_metrics, name="app-metrics"),
    path(APP + "usage/", usage.app_usage, name="app-usage"),
    path(APP + "domains/", domains.domains_page, name="app-domains"),
    path(APP + "domains/add", domains.domain_add, name="app-domain-add"),
    path(APP + "domains/https", domains.https_set, name="app-https"),
    path(APP + "domains/<str:hostname>/remove", domains.domain_remove, name="app-domain-remove"),
    path(APP + "domains/<str:hostname>/certificate", domains.certificate_upload, name="app-domain-certificate"),
    path(APP + "domains/<str:hostname>/automatic", domains.certificate_automatic, name="app-domain-automatic"),
    path("teams/", teams.team_list, name="team-list"),
    path("teams/new", teams.team_new, name="team-new"),
    path(TEAM, teams.team_detail, name="team-detail"),
    path(TEAM + "members/add", teams.member_add, name="team-member-add"),
    path(TEAM + "members/<str:username>/role", teams.member_role, name="team-member-role"),
    path(TEAM + "members/<str:username>/remove", teams.member_remove, name="team-member-remove"),
    path(TEAM + "leave", teams.team_leave, name="team-leave"),
    path(TEAM + "usage/", usage.team_usage, name="team-usage"),
    path("tokens/", tokens.token_list, name="token-list"),
    path("tokens/new", tokens.token_new, name="token-new"),
    path("tokens/<int:token_id>/revoke", tokens.token_remove, name="token-revoke"),
    path("platform/", platform_status.platform_status, name="platform-status"),
]
