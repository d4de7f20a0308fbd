"""What the review service stores: teams, roles, published runs, assignments,
professional judgements and the audit log. Nothing here is written to a run
folder's files."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

__all__ = ["AGREEMENT", "ROLES", "Assignment", "AuditEntry", "Judgement", "Profile",
           "Run", "Team"]

ROLES = {
    "practitioner": "Practitioner",
    "team_manager": "Team manager",
    "ethics_reviewer": "Ethics reviewer",
    "administrator": "Administrator",
}
AGREEMENT = {
    "agree": "I agree with the band",
    "partly": "I partly agree",
    "disagree": "I disagree",
}


class Team(models.Model):
    """A team, named as in the run's ``team`` column."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """A user's role and teams."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="review")
    role = models.CharField(max_length=32, choices=list(ROLES.items()))
    teams = models.ManyToManyField(Team, blank=True, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} ({ROLES.get(self.role, self.role)})"


class Run(models.Model):
    """A run folder published in the service; the latest published is current."""

    name = models.CharField(max_length=200)
    path = models.CharField(max_length=1000, unique=True)
    model_version = models.CharField(max_length=64, blank=True)
    extract_date = models.CharField(max_length=32, blank=True)
    as_of = models.CharField(max_length=32, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (as of {self.as_of})"


class Assignment(models.Model):
    """Who follows a person up, set by a team manager (kept across runs)."""

    person_id = models.CharField(max_length=200, unique=True)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL,
                                     on_delete=models.PROTECT,
                                     related_name="assignments")
    assigned_by = models.CharField(max_length=150)
    assigned_at = models.DateTimeField(auto_now=True)


class Judgement(models.Model):
    """A practitioner's professional judgement of one person's band in one run."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="judgements")
    person_id = models.CharField(max_length=200, db_index=True)
    as_of = models.CharField(max_length=32)
    band = models.CharField(max_length=100)
    team = models.CharField(max_length=200, blank=True)
    agreement = models.CharField(max_length=16, choices=list(AGREEMENT.items()))
    why = models.TextField()
    action = models.TextField(help_text='What will be done; "nothing" is an answer.')
    action_by = models.CharField(max_length=200, blank=True)
    action_when = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                    on_delete=models.PROTECT,
                                    related_name="judgements")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]


class AppendOnly(Exception):
    """An audit entry cannot be changed or removed."""


class AuditEntry(models.Model):
    """One access to a person's data, chained to the entry before it by hash."""

    at = models.DateTimeField()
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=32)
    person_id = models.CharField(max_length=200, blank=True)
    run = models.CharField(max_length=200, blank=True)
    client = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)
    # unique: two entries can never claim the same predecessor (no forks)
    previous_hash = models.CharField(max_length=64, unique=True)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("audit entries are append-only")
