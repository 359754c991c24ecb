"""The login form, with failed logins throttled (accounts.login_throttle)."""
import math

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse

from accounts.login_throttle import login_failed, login_refused_for, login_succeeded


class ThrottledLoginForm(AuthenticationForm):
    retry_after = 0  # seconds, when the attempt was refused unheard

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:  # nothing was tried: the fields' own errors say why
            return super().clean()
        # REMOTE_ADDR is the client's own behind a proxy too: uvicorn takes it from
        # X-Forwarded-For when the proxy is one it trusts (FORWARDED_ALLOW_IPS).
        who = {"username": username, "address": self.request.META.get("REMOTE_ADDR") or "unknown"}
        self.retry_after = login_refused_for(**who)
        if self.retry_after:
            minutes = math.ceil(self.retry_after / 60)
            raise ValidationError(
                f"Too many failed logins for this user name or from this address: try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}.", code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failed(**who)
            raise
        login_succeeded(**who)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    form_class = ThrottledLoginForm

    def form_invalid(self, form: ThrottledLoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
