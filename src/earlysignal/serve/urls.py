"""The service's addresses."""

from pathlib import Path

import django.contrib.admin
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.static import serve

from earlysignal.serve import _views

_ADMIN_STATIC = Path(django.contrib.admin.__file__).parent / "static" / "admin"

urlpatterns = [
    path("", _views.home),
    path("login/", _views.ThrottledLogin.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"),
         name="logout"),
    path("caseload/", _views.caseload),
    path("caseload.csv", _views.caseload_csv),
    path("person/<str:person_id>/", _views.person),
    path("person/<str:person_id>/judgement/", _views.judge),
    path("person/<str:person_id>/assign/", _views.assign),
    path("team/reviews/", _views.reviews),
    path("ethics/", _views.ethics),
    path("audit/", _views.audit),
    path("audit.csv", _views.audit_csv),
    path("admin/", admin.site.urls),
    # the admin's own style sheets and scripts, served from the installed package
    re_path(r"^static/admin/(?P<path>.*)$", serve,
            {"document_root": str(_ADMIN_STATIC)}),
]
