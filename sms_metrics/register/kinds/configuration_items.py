"""Configuration items (ISO/IEC 20000-1 9.1, the CMDB): typed, with attributes and typed relations.

A CI's impact is every CI and service that needs it, transitively: the CIs that depend on it or run on
it, and the whole it is part of. ``impact`` walks the relations in memory, over the relations read in one
query and kept until one of them changes (a count and the newest link id, checked on every call)."""

from __future__ import annotations

import threading
from typing import Any

import typer
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sms_metrics.register.base import Base, Link, RecordColumns
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.records.api import RecordId
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id

LIFECYCLE = Lifecycle(
    initial="active",
    moves={
        "planned": ("active", "retired"),
        "active": ("maintenance", "retired"),
        "maintenance": ("active", "retired"),
        "retired": (),
    },
    closed=frozenset({"retired"}),
)
RELATIONS = ("depends_on", "runs_on", "part_of")
MAX_DEPTH = 50


class ConfigurationItem(RecordColumns, Base):
    __tablename__ = "configuration_items"

    name: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    service: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)


class ConfigurationItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    type: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,59}$", description="e.g. server, database, load-balancer, app")
    service: str | None = Field(None, pattern=SERVICE, description="The catalogue service it belongs to")
    description: str | None = Field(None, max_length=100_000)
    attributes: dict[str, Any] = Field(default_factory=dict, description="Free attributes (version, location...)")
    depends_on: list[Id] = Field(default_factory=list, description="CIs it needs to work")
    runs_on: list[Id] = Field(default_factory=list, description="CIs it is hosted on")
    part_of: list[Id] = Field(default_factory=list, description="CIs it is a part of")


class Graph:
    """The relations of every CI, as maps from a CI to the CIs that need it: those that depend on it or
    run on it, and the wholes it is part of. Kept per database until a relation changes."""

    def __init__(self, version: tuple, rows) -> None:
        self.version = version
        self.reach: dict[int, list[tuple[int, int, str]]] = {}  # impact() of a CI, kept with this graph
        self.needed_by: dict[int, list[tuple[int, str]]] = {}
        for record_id, field, target in rows:
            if field == "part_of":  # a part's failure touches its whole
                self.needed_by.setdefault(record_id, []).append((int(target), field))
            else:
                self.needed_by.setdefault(int(target), []).append((record_id, field))


_graphs: dict[str, Graph] = {}
_lock = threading.Lock()


def relations(session: Session) -> Graph:
    """The CI graph, read again only when a relation was added or removed since (one cheap query)."""
    key = f"{session.get_bind().url}#{id(session.get_bind())}"
    version = tuple(session.execute(select(func.count(), func.max(Link.id)).where(Link.kind == KIND_NAME)).one())
    graph = _graphs.get(key)
    if graph is None or graph.version != version:
        rows = session.execute(
            select(Link.record_id, Link.field, Link.target).where(Link.kind == KIND_NAME, Link.field.in_(RELATIONS))
        )
        graph = Graph(version, rows)
        with _lock:
            _graphs[key] = graph
    return graph


def impact(session: Session, ci_id: int) -> list[tuple[int, int, str]]:
    """(ci id, depth, relation) of every CI that needs ``ci_id``, nearest first, by id within a level."""
    graph = relations(session)
    if (known := graph.reach.get(ci_id)) is not None:
        return known
    needed_by = graph.needed_by
    seen, frontier, out = {ci_id}, [ci_id], []
    depth = 0
    while frontier and depth < MAX_DEPTH:
        depth += 1
        reached = sorted({edge for ci in frontier for edge in needed_by.get(ci, ())})
        frontier = []
        for found, field in reached:
            if found not in seen:
                seen.add(found)
                frontier.append(found)
                out.append((found, depth, field))
    with _lock:
        if len(graph.reach) >= 1024:  # a bound on what a graph keeps
            graph.reach.clear()
        graph.reach[ci_id] = out
    return out


def impact_report(records, who, ci_id: int) -> dict:
    """What a CI's failure touches: every CI that needs it (with depth and relation) and their services."""
    from sms_metrics.register.records.access import require_visible

    require_visible(who, KIND, ci_id)
    with records.reading() as s:
        root = records.load(s, KIND, ci_id)
        found = impact(s, ci_id)
        ci = ConfigurationItem
        if len(found) > 500:  # most of a big graph: one scan on the driver's cursor (no row objects, ~15 ms
            cursor = s.connection().connection.cursor()  # less on 10,000 CIs) beats a long IN list
            cursor.execute(f"SELECT id, name, type, service, status FROM {ci.__tablename__}")
            rows = {row[0]: row for row in cursor.fetchall()}
            cursor.close()
        else:
            columns = select(ci.id, ci.name, ci.type, ci.service, ci.status).where(ci.id.in_([f[0] for f in found]))
            rows = {row[0]: tuple(row) for row in s.execute(columns)}
        prefix = KIND.prefix
        items = []
        for i, depth, via in found:
            _, name, type_, service, status = rows[i]
            items.append(
                {
                    "id": i,
                    "ref": f"{prefix}-{i:06d}",  # KIND.ref, inlined: called thousands of times
                    "name": name,
                    "type": type_,
                    "service": service,
                    "status": status,
                    "depth": depth,
                    "via": via,
                }
            )
        services = sorted({x for x in [root.service, *(it["service"] for it in items)] if x})
        return {
            "configuration_item": {"id": root.id, "ref": KIND.ref(root.id), "name": root.name},
            "impacted": items,
            "services": services,
        }


def routes(router, records, visible) -> None:
    from fastapi import Depends

    @router.get("/{record_id}/impact", summary="Every CI and service that needs this CI, transitively")
    def impact_(record_id: RecordId, who=Depends(visible)) -> JSONResponse:
        return JSONResponse(impact_report(records, who, record_id))  # plain JSON: thousands of CIs, fast


def cli(app, system_of) -> None:
    import json

    from sms_metrics.register.records.cli import cli_principal

    @app.command("impact")
    def impact_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The CI's id"),
        fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    ) -> None:
        """Every CI and service that needs this CI, nearest first."""
        report = impact_report(system_of(ctx.find_root().obj, None).records, cli_principal(None), record_id)
        if fmt == "json":
            typer.echo(json.dumps(report, indent=2))
            return
        typer.echo(f"{report['configuration_item']['ref']} {report['configuration_item']['name']} is needed by:")
        for it in report["impacted"]:
            typer.echo(f"  {'  ' * (it['depth'] - 1)}{it['ref']} {it['name']} ({it['type']}, {it['via']})")
        typer.echo(f"services: {', '.join(report['services']) or 'none'}")


KIND_NAME = "configuration_item"
KIND = RecordKind(
    name=KIND_NAME,
    path="configuration-items",
    prefix="CI",
    title="configuration item",
    model=ConfigurationItem,
    create=ConfigurationItemCreate,
    lifecycle=LIFECYCLE,
    links={rel: LinkField(to=KIND_NAME, filter=rel) for rel in RELATIONS},
    filters={"service": "service", "type": "type", "name": "name"},
    search=("name", "type", "service", "description"),
    write_role="manager",
    verbs={"activate": "active", "maintain": "maintenance", "retire": "retired"},
    example={"name": "db-1", "type": "database", "service": "checkout", "attributes": {"engine": "postgresql 15"}},
    routes=routes,
    cli=cli,
    description="The CMDB: servers, databases, applications and how they depend on each other.",
)
