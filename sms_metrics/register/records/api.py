"""The HTTP routes of a record kind, derived from its declaration: ``/api/v1/<path>`` list, create,
read, change, history and transitions. Every route needs a bearer token (``authenticate``)."""

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from sms_metrics.errors import Unauthorized
from sms_metrics.register.records.access import Principal, require_visible
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import MAX_ID, HistoryRow, MoveRequest, update_schema
from sms_metrics.register.records.service import Records
from sms_metrics.register.tokens import resolve

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id (the number of its reference)")]


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(system):
    """FastAPI dependency: the principal of the request's bearer token, else 401."""

    def principal(request: Request) -> Principal:
        secret = bearer(request)
        settings = system.settings
        with system.readers() as session:
            who = resolve(session, secret, admin=settings.admin_token, webhook=settings.webhook_token)
        if who is None:
            raise Unauthorized("missing or wrong bearer token")
        request.state.principal = who
        return who

    return principal


def _filters(kind: RecordKind):
    """A dependency taking the kind's list filters as query parameters (so /docs lists them)."""
    names = list(dict.fromkeys([*kind.filters, *(s.filter for s in kind.links.values() if s.filter)]))
    params = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=Query(None, max_length=500), annotation=str | None)
        for n in names
    ]

    def filters(**given: str | None) -> dict[str, str]:
        return {k: v for k, v in given.items() if v is not None}

    filters.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return filters


def kind_router(kind: RecordKind, records: Records, principal) -> APIRouter:
    def visible(who: Principal = Depends(principal)) -> Principal:
        require_visible(who, kind)  # before the body is read: a hidden kind is a 404 whatever is sent
        return who

    router = APIRouter(prefix=f"/api/v1/{kind.path}", tags=[kind.path])
    read = records.read_model(kind)
    states = ", ".join(["open", *kind.lifecycle.aliases, *kind.lifecycle.states])

    @router.get("", response_model=list[read], summary=f"List {kind.path}")
    def list_(
        response: Response,
        who: Principal = Depends(visible),
        status: str | None = Query(None, max_length=500, description=f"{states} (comma-separated)"),
        q: str | None = Query(None, max_length=500, description="Text search, or a reference"),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10_000_000),
        filters: dict = Depends(_filters(kind)),
    ) -> Any:
        items, total = records.list(kind, who, status=status, q=q, filters=filters, limit=limit, offset=offset)
        response.headers["X-Total-Count"] = str(total)
        return items

    create_body = kind.create

    @router.post("", response_model=read, status_code=201, summary=f"Create a {kind.title}")
    def create(body: create_body, who: Principal = Depends(visible)) -> Any:  # type: ignore[valid-type]
        return records.create(kind, who, body)

    @router.get("/{record_id}", response_model=read, summary=f"One {kind.title}")
    def get(record_id: RecordId, who: Principal = Depends(visible)) -> Any:
        return records.get(kind, who, record_id)

    update_body = kind.update or update_schema(kind.create)

    @router.patch("/{record_id}", response_model=read, summary=f"Change fields of a {kind.title}")
    def patch(
        record_id: RecordId,
        body: update_body,  # type: ignore[valid-type]
        who: Principal = Depends(visible),
        reason: str | None = Query(None, max_length=10_000, description="Why; kept in the history"),
    ) -> Any:
        return records.update(kind, who, record_id, body, reason=reason)

    @router.get("/{record_id}/history", response_model=list[HistoryRow], summary=f"History of a {kind.title}")
    def history(record_id: RecordId, who: Principal = Depends(visible)) -> Any:
        return records.history(kind, who, record_id)

    move_body = kind.move_body or MoveRequest

    @router.post("/{record_id}/transitions", response_model=read, summary=f"Move a {kind.title} ({states})")
    def move(record_id: RecordId, body: move_body, who: Principal = Depends(visible)) -> Any:  # type: ignore[valid-type]
        extra = body.model_dump(exclude={"to", "reason", "override"}, exclude_unset=True)
        return records.move(kind, who, record_id, body.to, reason=body.reason, override=body.override, body=extra)

    if kind.routes:
        kind.routes(router, records, visible)
    return router
