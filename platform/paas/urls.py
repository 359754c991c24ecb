from django.urls import include, path

urlpatterns = [
    path("api/", include("api.urls")),
    path("git/", include("builds.urls")),
    path("hooks/", include("registry.urls")),
    path("", include("dashboard.urls")),
]

# Anything no view answered: JSON for the API, never Django's bare "Server Error (500)".
handler500 = "paas.failures.server_error"
