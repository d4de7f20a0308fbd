"""Response headers that every page of the service carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ADMIN_CSP", "CSP", "ContentSecurityPolicy"]

#: No script at all, no request leaves the page; inline styles only (the report
#: pages carry their CSS inline), inline SVG and data images; forms post here.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
#: The framework's admin loads its own scripts and style sheets from this origin.
ADMIN_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' "
             "'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'")


class ContentSecurityPolicy:
    """Django middleware adding the Content-Security-Policy header.

    The admin's own pages need its scripts and style sheets from ``/static/``;
    they get a policy allowing those from this origin only.
    """

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        policy = ADMIN_CSP if request.path.startswith("/admin/") else CSP
        response.setdefault("Content-Security-Policy", policy)
        return response
