"""What documents have beyond the common routes: a new version drafted from a published one, a published
document marked reviewed (its next review date set, the overdue flag cleared), and the chain of versions."""

from __future__ import annotations

import json
from datetime import date, timedelta

import typer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from sms_metrics.core.reviews import next_version
from sms_metrics.errors import Conflict
from sms_metrics.register.kinds.documents import KIND, Document, DocumentCreate, ref
from sms_metrics.register.kinds.writes import write_record
from sms_metrics.register.records import store
from sms_metrics.register.records.access import require_visible
from sms_metrics.register.records.api import RecordId


class NewVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(None, min_length=1, max_length=40, description="Default: the next number")
    reason: str | None = Field(None, max_length=10_000)


class Reviewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    next_review: date | None = Field(None, description="Default: today + the document's review interval")
    reason: str | None = Field(None, max_length=10_000, description="What the review found")


def new_version(records, who, record_id: int, version: str | None = None, reason: str | None = None):
    """A draft copy of a published document that will supersede it once published."""
    with records.reading() as s:
        require_visible(who, KIND, record_id)
        row = records.load(s, KIND, record_id)
        if row.status != "published":
            raise Conflict(f"{ref(row.id)} is {row.status}: a new version is drafted from the published one")
        links = store.links_of(s, KIND, [row.id])[row.id]
        fields = {f: getattr(row, f) for f in DocumentCreate.model_fields if f not in KIND.links}
    body = {**fields, **links, "version": version or next_version(row.version), "supersedes_id": row.id}
    body["review_due"] = None
    return records.create(KIND, who, body, reason=reason or f"new version of {ref(record_id)}")


def mark_reviewed(records, who, record_id: int, next_review: date | None = None, reason: str | None = None):
    """A published document was reviewed and stays as it is: the review date moves on."""

    def change(ctx, row) -> None:
        if row.status != "published":
            raise Conflict(f"{ref(row.id)} is {row.status}: only a published document is reviewed in place")
        today = ctx.now.date()
        due = next_review or today + timedelta(days=row.review_interval_days)
        if due <= today:
            raise Conflict(f"the next review ({due}) must be after today ({today})")
        row.last_reviewed, row.last_reviewed_by = today, ctx.who.name
        row.review_due, row.review_overdue_since = due, None

    return write_record(records, KIND, who, record_id, change, reason=reason or "reviewed, no change")


def versions(records, who, record_id: int) -> list[dict]:
    """Every version of the document's family, oldest first."""
    require_visible(who, KIND, record_id)
    with records.reading() as s:
        row = records.load(s, KIND, record_id)
        seen = {row.id}
        while row.supersedes_id is not None and row.supersedes_id not in seen:
            row = s.get(Document, row.supersedes_id)
            seen.add(row.id)
        chain, frontier = [row], [row.id]
        while frontier:
            nxt = list(s.scalars(select(Document).where(Document.supersedes_id.in_(frontier)).order_by(Document.id)))
            nxt = [d for d in nxt if d.id not in {c.id for c in chain}]
            chain += nxt
            frontier = [d.id for d in nxt]
        return [
            {
                "id": d.id,
                "ref": ref(d.id),
                "version": d.version,
                "status": d.status,
                "published_at": d.published_at,
                "supersedes_id": d.supersedes_id,
                "superseded_by_id": d.superseded_by_id,
            }
            for d in chain
        ]


def routes(router, records, visible) -> None:
    from fastapi import Depends

    read = records.read_model(KIND)

    @router.post("/{record_id}/versions", status_code=201, response_model=read, summary="Draft a new version")
    def new_version_(record_id: RecordId, body: NewVersion | None = None, who=Depends(visible)):
        body = body or NewVersion()
        return new_version(records, who, record_id, body.version, body.reason)

    @router.get("/{record_id}/versions", summary="Every version of this document, oldest first")
    def versions_(record_id: RecordId, who=Depends(visible)) -> list[dict]:
        return versions(records, who, record_id)

    @router.post("/{record_id}/review", response_model=read, summary="Mark a published document reviewed")
    def reviewed_(record_id: RecordId, body: Reviewed | None = None, who=Depends(visible)):
        body = body or Reviewed()
        return mark_reviewed(records, who, record_id, body.next_review, body.reason)


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal

    @app.command("new-version")
    def new_version_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The published document"),
        version: str | None = typer.Option(None, "--version", help="Default: the next number"),
        reason: str | None = typer.Option(None, "--reason"),
        actor: str | None = typer.Option(None, "--actor"),
    ) -> None:
        """Draft a new version of a published document (it supersedes it once published)."""
        records = system_of(ctx.find_root().obj, None).records
        item = new_version(records, cli_principal(actor), record_id, version, reason)
        typer.echo(f"{item.ref} created (version {item.version}, supersedes {ref(record_id)})")

    @app.command("reviewed")
    def reviewed_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The published document"),
        next_review: str | None = typer.Option(None, "--next-review", help="YYYY-MM-DD (default: + interval)"),
        reason: str | None = typer.Option(None, "--reason"),
        actor: str | None = typer.Option(None, "--actor"),
    ) -> None:
        """Record that a published document was reviewed and stays as it is."""
        records = system_of(ctx.find_root().obj, None).records
        try:
            due = date.fromisoformat(next_review) if next_review else None
        except ValueError:
            raise typer.BadParameter(f"--next-review {next_review!r}: use YYYY-MM-DD") from None
        item = mark_reviewed(records, cli_principal(actor), record_id, due, reason)
        typer.echo(f"{item.ref} reviewed; next review {item.review_due}")

    @app.command("versions")
    def versions_cmd(ctx: typer.Context, record_id: int = typer.Argument(...)) -> None:
        """Every version of a document, oldest first."""
        records = system_of(ctx.find_root().obj, None).records
        typer.echo(json.dumps(versions(records, cli_principal(None), record_id), indent=2, default=str))
