"""The framework's admin, for administrators: users and their roles and teams,
published runs, and the audit log (read-only). Judgements and assignments are
about individuals, so they are not in the admin: administrators see no one's
case unless also given a team."""

from typing import Any

from django.contrib import admin

from earlysignal.serve.models import AuditEntry, Profile, Run, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role", "teams"]
    filter_horizontal = ["teams"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["name", "as_of", "extract_date", "model_version", "published_at",
                    "published_by"]


class ReadOnly(admin.ModelAdmin):
    """Shown, never added, changed or deleted through the service."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditAdmin(ReadOnly):
    list_display = ["id", "at", "username", "action", "person_id", "run", "client"]
    list_filter = ["action"]
    search_fields = ["username", "person_id"]


admin.site.site_header = "earlysignal review: administration"
