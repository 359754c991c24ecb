from django.conf import settings
from django.db import models


class Activity(models.Model):
    """One thing someone did to a team or one of its apps: who, what, when.

    Names are kept as text beside the keys, so the record still reads right after the app is
    deleted or the user is gone."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="activity")
    app = models.ForeignKey("applications.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="activity")
    app_name = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # "" when the platform itself did it
    verb = models.CharField(max_length=20)  # app, deploy, config, rollback, scale, restart, settings, member, team
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="activity_by_team"),
            models.Index(fields=["app", "-created_at"], name="activity_by_app"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name or 'platform'}: {self.text}"
