"""Releases (ISO/IEC 20000-1 9.3): planned, tested, deployed only with passing test evidence (the
``release_tests`` gate), then watched: a page-level burn within ``SMS_RELEASE_WATCH`` of the deployment
marks it failed and opens an emergency rollback change; a quiet watch marks it verified
(``register/releases_watch.py`` runs the watch)."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.control import tests_refusal
from sms_metrics.core.durations import parse_duration
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.records.api import RecordId
from sms_metrics.register.records.kind import Gate, Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id, read_schema

LIFECYCLE = Lifecycle(
    initial="planned",
    moves={
        "planned": ("tested", "cancelled"),
        "tested": ("deployed", "planned", "cancelled"),
        "deployed": ("verified", "failed"),
        "verified": ("closed",),
        "failed": ("rolled_back",),
        "rolled_back": ("closed",),
        "cancelled": (),
        "closed": (),
    },
    closed=frozenset({"verified", "rolled_back", "cancelled", "closed"}),
)


class TestResult(BaseModel):
    """One recorded test: its name, whether it passed, where the evidence is."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500)
    passed: bool
    url: str | None = Field(None, max_length=2000, description="The run, report or ticket that shows it")
    at: datetime | None = None


class Release(RecordColumns, Base):
    __tablename__ = "releases"

    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(200))
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    plan: Mapped[str | None] = mapped_column(Text, nullable=True)
    test_evidence: Mapped[list] = mapped_column(JSON, default=list)
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    watch_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    rollback_change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"), nullable=True)


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=SERVICE, description="The catalogue service released")
    version: str = Field(min_length=1, max_length=200)
    title: str = Field("", max_length=500, description="Default: the service and version")
    planned_at: datetime | None = None
    plan: str | None = Field(None, max_length=100_000, description="How it is deployed and rolled back")
    test_evidence: list[TestResult] = Field(default_factory=list, max_length=1000)
    changes: list[Id] = Field(default_factory=list, description="Ids of the changes it delivers")


class ReleaseFields(BaseModel):
    deployed_at: datetime | None = None
    watch_until: datetime | None = None
    failure: str | None = None
    rollback_change_id: int | None = None


def plain_tests(items) -> list[dict]:
    """Recorded tests as JSON-ready dicts (for a JSON column)."""
    return [TestResult.model_validate(t).model_dump(mode="json") for t in items or []]


def release_tests_gate(g) -> str | None:
    return tests_refusal([t.model_dump() for t in g.record.test_evidence or []], "test evidence")


def before_create(ctx, values: dict) -> None:
    values["title"] = values["title"] or f"{values['service']} {values['version']}"
    values["test_evidence"] = plain_tests(values["test_evidence"])


def on_update(ctx, row, changes: dict) -> None:
    if "test_evidence" in changes:
        row.test_evidence = plain_tests(row.test_evidence)


def on_move(ctx) -> None:
    row = ctx.record
    if ctx.target == "deployed":
        row.deployed_at = ctx.now
        row.watch_until = ctx.now + timedelta(seconds=parse_duration(ctx.system.settings.release_watch))
        row.failure = None
    if ctx.target == "failed":
        row.failure = ctx.reason


def after_move(ctx) -> None:
    """A failed release opens an emergency change to roll it back, linked to it."""
    if ctx.target != "failed":
        return
    row = ctx.record
    change = ctx.create(
        "change",
        {
            "title": f"Roll back {row.service} {row.version}",
            "services": [row.service],
            "type": "emergency",
            "risk": "high",
            "description": f"Release REL-{row.id:06d} failed: {ctx.reason}",
            "implementation_plan": row.plan or "roll back to the previous version",
        },
        reason=f"release REL-{row.id:06d} failed",
    )
    row.rollback_change_id = change.id
    ctx.notes.append(f"emergency change CHG-{change.id:06d} opened to roll back")


def routes(router, records, visible) -> None:
    from fastapi import Depends

    from sms_metrics.register.kinds import release_watch
    from sms_metrics.register.records.access import require

    @router.post("/{record_id}/watch", summary="Check a deployed release now (fail, verify or keep watching)")
    def watch(record_id: RecordId, who=Depends(visible)) -> dict:
        require(who, "manager", "watch releases")
        outcome = release_watch.check(records.system, record_id)
        return {
            "ref": outcome.ref,
            "outcome": outcome.outcome,
            "reason": outcome.reason,
            "release": records.get(KIND, who, record_id).model_dump(mode="json"),
        }


def cli(app, system_of) -> None:

    from sms_metrics.register.kinds import release_watch

    @app.command("watch")
    def watch_cmd(
        ctx: typer.Context, record_id: int | None = typer.Argument(None, help="One release (default: all deployed)")
    ) -> None:
        """Check deployed releases now: a page-level burn fails them, a quiet watch verifies them."""
        system = system_of(ctx.find_root().obj, None)
        outcomes = [release_watch.check(system, record_id)] if record_id else release_watch.watch_all(system)
        for o in outcomes:
            typer.echo(f"{o.ref}: {o.outcome}" + (f" ({o.reason})" if o.reason else ""))


KIND = RecordKind(
    name="release",
    path="releases",
    prefix="REL",
    title="release",
    model=Release,
    create=ReleaseCreate,
    read=read_schema(ReleaseCreate, ReleaseFields),
    lifecycle=LIFECYCLE,
    links={"changes": LinkField(to="change", filter="change")},
    filters={"service": "service", "version": "version"},
    search=("title", "version", "plan"),
    table=("title", "service", "version", "deployed_at"),
    write_role="manager",
    gates={"deployed": (Gate("release_tests", release_tests_gate),)},
    verbs={
        "test": "tested",
        "deploy": "deployed",
        "verify": "verified",
        "fail": "failed",
        "roll-back": "rolled_back",
        "close": "closed",
        "cancel": "cancelled",
    },
    example={
        "service": "checkout",
        "version": "2.4.0",
        "plan": "blue/green; switch back on failure",
        "test_evidence": [{"name": "end-to-end suite", "passed": True, "url": "https://ci/run/981"}],
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    after_move=after_move,
    routes=routes,
    cli=cli,
    description="Releases of a service: tested, deployed, then watched for burn before they are verified.",
)
