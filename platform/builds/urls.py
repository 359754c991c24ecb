from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from builds import git_http

urlpatterns = [
    path("<str:app_name>.git/info/refs", git_http.info_refs),
    path("<str:app_name>.git/<str:service>", csrf_exempt(git_http.service_rpc)),
]
