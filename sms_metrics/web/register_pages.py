"""The register's pages, for every kind from its declaration: an index of kinds, a list with filters,
search and paging, a record with its fields, moves, links and history, and forms to create and edit.
Every read and write goes through the records service, so permissions, gates and history are the API's."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from sms_metrics.errors import Conflict, GateRefused, RecordError, RecordInvalid
from sms_metrics.register.records.access import require
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import update_schema
from sms_metrics.register.records.service import validated
from sms_metrics.web import views
from sms_metrics.web.auth import Form, check_csrf, first, form_data, signed_in
from sms_metrics.web.forms import FormField, attach, shown, submitted
from sms_metrics.web.incident_panel import PANELS
from sms_metrics.web.links import display_name, incoming, outgoing, record_href
from sms_metrics.web.render import page
from sms_metrics.web.sessions import Signed


def status_for(exc: Exception) -> int:
    from sms_metrics.app import STATUSES  # the one HTTP mapping of domain errors

    return next((code for t, code in STATUSES if isinstance(exc, t)), 500)


@dataclass
class Posted:
    """A form posted to a kind's page, its CSRF token checked."""

    signed: Signed
    form: Form
    kind: RecordKind

    @property
    def reason(self) -> str | None:
        return first(self.form, "reason") or None


def router(pages) -> APIRouter:
    r = APIRouter(prefix="/register", include_in_schema=False)
    records = pages.records

    def posted(path: str, form: Form = Depends(form_data), signed: Signed = Depends(signed_in)) -> Posted:
        check_csrf(signed, form)
        return Posted(signed, form, pages.kind(path, signed.who))

    @r.get("")
    def index(request: Request, signed: Signed = Depends(signed_in)) -> Response:
        rows = []
        for kind in pages.visible_kinds(signed.who):
            _, total = records.list(kind, signed.who, status="open", limit=1)
            rows.append((kind, total))
        return page(request, "register.html.j2", rows=rows)

    @r.get("/{path}")
    def list_(request: Request, path: str, signed: Signed = Depends(signed_in)) -> Response:
        return list_page(pages, request, pages.kind(path, signed.who), signed)

    @r.get("/{path}/new")
    def new(request: Request, path: str, signed: Signed = Depends(signed_in)) -> Response:
        kind = pages.kind(path, signed.who)
        require(signed.who, kind.write_role, f"create {kind.path}")
        if not kind.creatable:
            raise Conflict(f"{kind.path} are not created by hand: {kind.description}")
        return form_page(request, kind, views.create_fields(kind, pages.services()), None)

    @r.post("/{path}/new")
    def create(request: Request, p: Posted = Depends(posted)) -> Response:
        fields = views.create_fields(p.kind, pages.services())
        try:
            rec = records.create(p.kind, p.signed.who, submitted(fields, p.form, editing=False), reason=p.reason)
        except RecordError as exc:
            return form_page(request, p.kind, fields, None, exc, p.reason or "")
        return RedirectResponse(f"{record_href(p.kind, rec.id)}?done=created", status_code=303)

    @r.get("/{path}/{record_id}")
    def detail(request: Request, path: str, record_id: int, signed: Signed = Depends(signed_in)) -> Response:
        return detail_page(pages, request, pages.kind(path, signed.who), record_id, signed)

    @r.get("/{path}/{record_id}/edit")
    def edit(request: Request, path: str, record_id: int, signed: Signed = Depends(signed_in)) -> Response:
        kind = pages.kind(path, signed.who)
        require(signed.who, kind.write_role, f"change {kind.path}")
        rec = records.get(kind, signed.who, record_id)
        fields = shown(views.edit_fields(kind, pages.services()), rec.model_dump())
        return form_page(request, kind, fields, rec)

    @r.post("/{path}/{record_id}/edit")
    def update(request: Request, record_id: int, p: Posted = Depends(posted)) -> Response:
        rec = records.get(p.kind, p.signed.who, record_id)
        fields = views.edit_fields(p.kind, pages.services())
        try:
            changes = changed(p.kind, rec, submitted(fields, p.form, editing=True))
            records.update(p.kind, p.signed.who, record_id, changes, reason=p.reason)
        except RecordError as exc:
            return form_page(request, p.kind, fields, rec, exc, p.reason or "")
        return RedirectResponse(f"{record_href(p.kind, record_id)}?done=updated", status_code=303)

    @r.post("/{path}/{record_id}/move")
    def move(request: Request, record_id: int, p: Posted = Depends(posted)) -> Response:
        to, override = first(p.form, "to"), first(p.form, "override") or None
        extra = {n: first(p.form, n) for n in views.move_extra_names(p.kind) if first(p.form, n)}
        try:
            records.move(p.kind, p.signed.who, record_id, to, reason=p.reason, override=override, body=extra)
        except RecordError as exc:
            return detail_page(pages, request, p.kind, record_id, p.signed, failed=(to, exc), given=p.form)
        return RedirectResponse(f"{record_href(p.kind, record_id)}?done={to}", status_code=303)

    return r


def changed(kind: RecordKind, rec, body: dict) -> dict:
    """Only the fields whose value differs from the record's (validated first, with the API's messages)."""
    schema = kind.update or update_schema(kind.create)
    wanted = validated(schema, body).model_dump(mode="json", exclude_unset=True)
    current = rec.model_dump(mode="json")
    changes = {k: body[k] for k, v in wanted.items() if v != current.get(k)}
    if not changes:
        raise RecordInvalid(["body: nothing was changed"])
    return changes


def list_page(pages, request: Request, kind: RecordKind, signed: Signed) -> Response:
    q = request.query_params
    names = views.filter_names(kind)
    filters = {n: q.get(n, "") for n in names}
    page_no = max(1, int(q.get("page", "1")) if q.get("page", "1").isdigit() else 1)
    error, items, total, code = None, [], 0, 200
    try:
        items, total = pages.records.list(
            kind,
            signed.who,
            status=q.get("status") or None,
            q=q.get("q") or None,
            filters={k: v for k, v in filters.items() if v},
            limit=views.PAGE_SIZE,
            offset=(page_no - 1) * views.PAGE_SIZE,
        )
    except RecordError as exc:
        error, code = str(exc), status_for(exc)
    services = pages.services()
    return page(
        request,
        "list.html.j2",
        status=code,
        kind=kind,
        items=items,
        total=total,
        page_no=page_no,
        pages_total=max(1, -(-total // views.PAGE_SIZE)),
        size=views.PAGE_SIZE,
        columns=views.list_columns(kind, pages.records.read_model(kind)),
        filters=[(n, filters[n], views.filter_choices(kind, n, services)) for n in names],
        statuses=views.status_choices(kind),
        chosen_status=q.get("status", ""),
        q=q.get("q", ""),
        query={k: v for k, v in q.items() if k != "page"},
        error=error,
        may_create=views.may_write(kind, signed.who) and kind.creatable,
        display_name=display_name,
    )


def detail_page(
    pages, request: Request, kind: RecordKind, record_id: int, signed: Signed, *, failed=None, given=None
) -> Response:
    records, who = pages.records, signed.who
    rec = records.get(kind, who, record_id)
    panel, hidden = None, ()
    if kind.name in PANELS:
        build, hidden = PANELS[kind.name]
        panel = build(pages, rec)
    refusal = None
    if failed and isinstance(failed[1], GateRefused):
        to, exc = failed
        refusal = {
            "to": to,
            "gate": exc.gate,
            "detail": str(exc),
            "override": who.has("manager") and views.overridable(kind, to, exc.gate),
        }
    return page(
        request,
        "detail.html.j2",
        status=status_for(failed[1]) if failed else 200,
        kind=kind,
        rec=rec,
        name=display_name(kind, rec),
        fields=views.record_fields(records, kind, rec, hidden),
        actions=views.actions(kind, who, rec.status),
        may_edit=views.may_write(kind, who) and rec.status not in kind.frozen,
        links_out=outgoing(records, who, kind, rec),
        links_in=incoming(records, who, kind, rec.id),
        history=records.history(kind, who, rec.id),
        panel=panel,
        error=None if failed is None or refusal else str(failed[1]),
        refusal=refusal,
        given={k: v[0] for k, v in (given or {}).items() if k != "csrf_token"},
        done=request.query_params.get("done"),
    )


def form_page(
    request: Request, kind: RecordKind, fields: list[FormField], rec, exc: Exception | None = None, reason: str = ""
) -> Response:
    problems = exc.problems if isinstance(exc, RecordInvalid) else ([str(exc)] if exc else [])
    general = attach(fields, problems) if isinstance(exc, RecordInvalid) else problems
    return page(
        request,
        "form.html.j2",
        status=status_for(exc) if exc else 200,
        kind=kind,
        rec=rec,
        fields=fields,
        general=general,
        problems=problems,
        reason=reason,
        name=display_name(kind, rec) if rec is not None else "",
    )
