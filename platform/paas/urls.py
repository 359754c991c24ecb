from django.urls import include, path

urlpatterns = [
    path("api/", include("api.urls")),
    path("git/", include("builds.urls")),
    path("", include("dashboard.urls")),
]
