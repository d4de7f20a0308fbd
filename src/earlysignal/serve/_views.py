"""The service's pages. Each view checks the user's role and teams on the server,
writes the audit entry for what it shows, then renders a report template."""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from earlysignal.serve import _access, _audit, _data, _pages
from earlysignal.serve.models import AGREEMENT, ROLES, Assignment, Judgement, Run

PAGE_SIZE = 50
#: Failed sign-ins allowed per user name and per address within the window.
MAX_FAILURES, FAILURE_WINDOW_S = 5, 15 * 60


def client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def current_run() -> Run:
    run = Run.objects.first()
    if run is None:
        raise PermissionDenied("no run is published yet")
    return run


def _base(request: HttpRequest, run: Run | None) -> dict[str, Any]:
    user = request.user
    return {"me": {"name": user.get_username(), "role": ROLES.get(
                _access.role(user), "no role"),
                   "teams": sorted(_access.teams(user)),
                   "sees_people": _access.sees_people(user),
                   "is": _access.role(user)},
            "published": run}


def _log(request: HttpRequest, action: str, run: Run | None, person: str = "",
         detail: str = "") -> None:
    _audit.append(username=request.user.get_username(), action=action,
                  person_id=person, run=run.name if run else "",
                  client=client(request), detail=detail)


# ------------------------------------------------------------------- sign in


class ThrottledLogin(auth_views.LoginView):
    """Django's sign-in, refusing further tries after repeated failures."""

    template_name = "serve/login.html.j2"
    redirect_authenticated_user = True

    def _keys(self) -> list[str]:
        name = str(self.request.POST.get("username", "")).lower()[:150]
        return [f"fail:user:{name}", f"fail:addr:{client(self.request)}"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if any((cache.get(k) or 0) >= MAX_FAILURES for k in self._keys()):
            return render(request, "serve/page.html.j2", {
                **_anon(), "title": "Too many attempts", "message":
                "Too many failed sign-ins for this name or address. Try again in "
                "15 minutes, or ask an administrator."}, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        for k in self._keys():
            cache.set(k, (cache.get(k) or 0) + 1, FAILURE_WINDOW_S)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **_anon()}


def _anon() -> dict[str, Any]:
    return {"me": None, "published": None, "trace": None}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    r = _access.role(request.user)
    if r == "ethics_reviewer":
        return HttpResponseRedirect("/ethics/")
    if _access.sees_people(request.user):
        return HttpResponseRedirect("/caseload/")
    if r == "administrator":
        return HttpResponseRedirect("/audit/")
    raise PermissionDenied("this account has no role; ask an administrator")


# ------------------------------------------------------------------ caseload


def _visible(request: HttpRequest
             ) -> tuple[Run, Any, dict[str, Any], _pages.Selection]:
    if not _access.sees_people(request.user):
        raise PermissionDenied("this role sees no caseload")
    run = current_run()
    folder = _data.open_run(run.path)
    s, select = _pages.caseload_summary(folder, _access.teams(request.user),
                                        _pages.PERSON_LINK)
    return run, folder, s, select


def _filtered(request: HttpRequest, s: dict[str, Any], select: _pages.Selection
              ) -> tuple[list, dict]:
    chosen = {"band": request.GET.get("band", "")}
    for f in s["filters"]:
        chosen[f["key"]] = request.GET.get(f["key"], "")
    q = request.GET.get("q", "").strip()[:100]
    rows = select.rows(chosen["band"], {k: v for k, v in chosen.items()
                                        if k != "band"}, q)
    if request.GET.get("mine"):
        mine = set(Assignment.objects.filter(practitioner=request.user)
                   .values_list("person_id", flat=True))
        rows = [r for r in rows if r["person_id"] in mine]
    return rows, {**chosen, "q": q, "mine": bool(request.GET.get("mine"))}


@login_required
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    run, folder, s, select = _visible(request)
    rows, chosen = _filtered(request, s, select)
    if chosen["q"]:
        _log(request, "search", run, detail=f"q={chosen['q']}; {len(rows)} found")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in chosen.items() if v and k != "mine"}
    if chosen["mine"]:
        query["mine"] = "1"
    return render(request, "serve/caseload.html.j2", {
        **_base(request, run), "s": {**s, "rows": list(page.object_list)},
        "trace": folder.trace, "v": folder.population, "page": page,
        "shown": len(rows), "chosen": chosen,
        "query": "&".join(f"{k}={v}" for k, v in query.items())})


@login_required
@require_GET
def caseload_csv(request: HttpRequest) -> HttpResponse:
    run, _, s, select = _visible(request)
    rows, chosen = _filtered(request, s, select)
    _log(request, "export", run, detail=f"caseload.csv; {len(rows)} people; "
         + "; ".join(f"{k}={v}" for k, v in chosen.items() if v))
    buf = io.StringIO()
    w = csv.writer(buf)
    keys = [f["key"] for f in s["filters"]]
    w.writerow(["rank", "person_id", "band", "since_last_score", "top_reasons",
                *keys])
    for r in rows:
        w.writerow([r["rank"], r["person_id"], r["band"], r["change"],
                    r["top_reason"], *(r["filters"].get(k, "") for k in keys)])
    resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="caseload-{run.name}.csv"'
    return resp


# -------------------------------------------------------------------- person


class JudgementForm(forms.Form):
    agreement = forms.ChoiceField(choices=list(AGREEMENT.items()),
                                  widget=forms.RadioSelect)
    why = forms.CharField(max_length=5000, widget=forms.Textarea)
    action = forms.CharField(max_length=5000, widget=forms.Textarea)
    action_by = forms.CharField(max_length=200, required=False)
    action_when = forms.DateField(required=False)


def _person(request: HttpRequest, person_id: str) -> tuple[Run, Any, dict]:
    if not _access.sees_people(request.user):
        raise PermissionDenied("this role sees no individual's page")
    run = current_run()
    folder = _data.open_run(run.path)
    row = _data.person(folder, person_id)
    _access.check_person(request.user, None if row is None else str(row["team"]))
    return run, folder, dict(row or {})


def _person_page(request: HttpRequest, person_id: str, form: JudgementForm,
                 status: int = 200) -> HttpResponse:
    run, folder, row = _person(request, person_id)
    ctx = _pages.person_summary(folder, person_id)
    band = ctx["s"]["band"]["name"]
    _log(request, "view", run, person_id)
    earlier = Judgement.objects.filter(person_id=person_id).select_related(
        "run", "recorded_by")
    team_members = (User.objects.filter(review__teams__name=row["team"],
                                        review__role="practitioner")
                    .order_by("username").distinct()
                    if _access.role(request.user) == "team_manager" else [])
    assigned = Assignment.objects.filter(person_id=person_id).select_related(
        "practitioner").first()
    return render(request, "serve/person.html.j2", {
        **ctx, **_base(request, run), "form": form,
        "history": _pages.history(person_id, Run.objects.all(), earlier, band),
        "assigned": assigned, "team_members": team_members,
        "agreement_words": AGREEMENT,
        "can_judge": _access.role(request.user) in ("practitioner", "team_manager",
                                                   "administrator")}, status=status)


@login_required
@require_GET
def person(request: HttpRequest, person_id: str) -> HttpResponse:
    return _person_page(request, person_id, JudgementForm())


@login_required
@require_POST
def judge(request: HttpRequest, person_id: str) -> HttpResponse:
    run, folder, row = _person(request, person_id)
    form = JudgementForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person_id, form, status=400)
    s = _pages.person_summary(folder, person_id)["s"]
    d = form.cleaned_data
    j = Judgement.objects.create(
        run=run, person_id=person_id, as_of=s["as_of"], band=s["band"]["name"],
        team=str(row.get("team", "")), agreement=d["agreement"], why=d["why"],
        action=d["action"], action_by=d["action_by"] or request.user.get_username(),
        action_when=d["action_when"], recorded_by=request.user)
    _log(request, "judgement", run, person_id,
         detail=f"judgement {j.pk}: {d['agreement']} with band {j.band}")
    return HttpResponseRedirect(f"/person/{person_id}/#history")


@login_required
@require_POST
def assign(request: HttpRequest, person_id: str) -> HttpResponse:
    _access.require(request.user, "team_manager")
    run, _, row = _person(request, person_id)
    target = User.objects.filter(username=request.POST.get("practitioner", ""),
                                 review__teams__name=row["team"],
                                 review__role="practitioner").first()
    if target is None:
        raise PermissionDenied("choose a practitioner of this person's team")
    Assignment.objects.update_or_create(person_id=person_id, defaults={
        "practitioner": target, "assigned_by": request.user.get_username()})
    _log(request, "assign", run, person_id, detail=f"assigned to {target}")
    return HttpResponseRedirect(f"/person/{person_id}/#assignment")


# ------------------------------------------------------- managers and ethics


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    _access.require(request.user, "team_manager")
    run = current_run()
    mine = _access.teams(request.user)
    js = Judgement.objects.filter(team__in=mine).select_related("run", "recorded_by")
    page = Paginator(js, PAGE_SIZE).get_page(request.GET.get("page"))
    _log(request, "search", run, detail=f"team reviews page {page.number}; teams "
         + ", ".join(sorted(mine)))
    return render(request, "serve/reviews.html.j2", {
        **_base(request, run), "page": page, "trace": None,
        "agreement_words": AGREEMENT})


def latest_judgements(run: Run) -> pd.DataFrame:
    """Each person's latest judgement in the run."""
    rows = list(Judgement.objects.filter(run=run).order_by(
        "person_id", "-recorded_at", "-id").values("person_id", "agreement"))
    df = pd.DataFrame(rows, columns=["person_id", "agreement"])
    return df.drop_duplicates("person_id", keep="first")


@login_required
@require_GET
def ethics(request: HttpRequest) -> HttpResponse:
    _access.require(request.user, "ethics_reviewer")
    run = current_run()
    folder = _data.open_run(run.path)
    min_cell = int((folder.config.get("fairness") or {}).get("min_cell", 10))
    s = _pages.ethics_summary(folder, latest_judgements(run), min_cell)
    return render(request, "serve/ethics.html.j2", {
        **_base(request, run), "e": s, "trace": folder.trace,
        "v": folder.population})


# --------------------------------------------------------------------- audit


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    _access.require(request.user, "administrator")
    from earlysignal.serve.models import AuditEntry

    page = Paginator(AuditEntry.objects.order_by("-id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "serve/audit.html.j2", {
        **_base(request, Run.objects.first()), "page": page,
        "check": _audit.verify(), "trace": None})


@login_required
@require_GET
def audit_csv(request: HttpRequest) -> HttpResponse:
    _access.require(request.user, "administrator")
    from earlysignal.serve.models import AuditEntry

    _log(request, "export", Run.objects.first(), detail="audit.csv")
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = ["id", "at", "username", "action", "person_id", "run", "client",
            "detail", "previous_hash", "entry_hash"]
    w.writerow(cols)
    for e in AuditEntry.objects.order_by("id").values_list(*cols).iterator():
        w.writerow(e)
    resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return resp
