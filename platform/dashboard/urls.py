from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard import views

urlpatterns = [
    path("healthz", views.healthz),
    path("login/", auth_views.LoginView.as_view(template_name="dashboard/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.app_list, name="app-list"),
    path("apps/<str:app_name>/", views.app_detail, name="app-detail"),
    path("apps/<str:app_name>/logs/", views.app_logs, name="app-logs"),
    path("apps/<str:app_name>/metrics/", views.app_metrics, name="app-metrics"),
]
