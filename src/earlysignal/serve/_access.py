"""Who may see what, decided on the server for every request.

Practitioners and team managers see the people of their own teams; an ethics
reviewer sees aggregates only and never a person; an administrator manages users
and runs and sees people only when also given a team. A person outside the
user's teams is "not found" (404), so that the service does not confirm who is
in another team's caseload; a role that never sees people gets 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

__all__ = ["PERSON_ROLES", "check_person", "require", "role", "teams"]

#: Roles that can open a person's page (for the people of their teams).
PERSON_ROLES = ("practitioner", "team_manager", "administrator")


def role(user: Any) -> str:
    """The user's role ("" for none or an anonymous user)."""
    if not user.is_authenticated:
        return ""
    profile = getattr(user, "review", None)
    return profile.role if profile is not None else ""


def teams(user: Any) -> set[str]:
    """Names of the user's teams."""
    profile = getattr(user, "review", None) if user.is_authenticated else None
    if profile is None:
        return set()
    return {t.name for t in profile.teams.all()}


def require(user: Any, *roles: str) -> str:
    """The user's role when it is one of ``roles``; otherwise 403."""
    r = role(user)
    if r not in roles:
        raise PermissionDenied(f"this page is not open to the role '{r or 'none'}'")
    return r


def sees_people(user: Any) -> bool:
    """Whether the user can open any person's page at all."""
    r = role(user)
    return r in PERSON_ROLES and (r != "administrator" or bool(teams(user)))


def check_person(user: Any, person_team: str | None) -> None:
    """Allow a person's page, else raise: 403 for a role that never sees people,
    404 for a person who is not in the run or not in the user's teams."""
    if not sees_people(user):
        raise PermissionDenied("this role sees no individual's page")
    if person_team is None or person_team not in teams(user):
        raise Http404("no such person in your teams' caseload")
