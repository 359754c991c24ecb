from django.urls import include, path

urlpatterns = [
    path("api/", include("api.urls")),
    path("git/", include("builds.urls")),
    path("hooks/", include("registry.urls")),
    path("", include("dashboard.urls")),
]
