from django.urls import path

from registry.views import registry_hook

urlpatterns = [
    path("registry/<slug:hook_id>", registry_hook),
]
