"""The CLI group of a record kind (a Typer app), derived from its declaration:
``sms-metrics <path> list|show|create|update|history|move|<verb> ...``.

The shell works on the register directly (``SMS_DATABASE_URL``) with the admin role; ``--actor``
names who acts in the history (default ``cli:$USER``)."""

from __future__ import annotations

import getpass
import inspect
import json
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from sms_metrics.register.records.access import Principal
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import MoveRequest, update_schema

SystemFactory = Callable[[Any, Path | None], Any]  # (settings, catalogue path) -> System


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def cli_principal(actor: str | None) -> Principal:
    return Principal(actor or default_actor(), "admin", restricted=True)


def _is(annotation, origin) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is origin or any(typing.get_origin(a) is origin for a in args)


def _param(name: str, annotation, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def field_params(model: type[BaseModel], skip: tuple[str, ...] = (), aliases: dict | None = None) -> list:
    """One option per field of ``model``: lists repeat, dicts take JSON, booleans are flags."""
    out = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        flag = f"--{name.replace('_', '-')}"
        help_ = info.description or ""
        if _is(info.annotation, list):
            opt = typer.Option(None, flag, *(aliases or {}).get(name, []), help=help_ + " (repeat for several)")
            out.append(_param(name, list[str] | None, opt))
        elif info.annotation in (bool, bool | None):
            out.append(_param(name, bool | None, typer.Option(None, f"{flag}/--no-{flag[2:]}", help=help_)))
        else:
            suffix = " (JSON)" if _is(info.annotation, dict) else ""
            opt = typer.Option(None, flag, *(aliases or {}).get(name, []), help=help_ + suffix)
            out.append(_param(name, str | None, opt))
    return out


def given_fields(model: type[BaseModel], values: dict) -> dict:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        v = values.get(name)
        if v is None or v == []:
            continue
        if _is(info.annotation, dict):
            try:
                v = json.loads(v)
            except json.JSONDecodeError as exc:
                raise typer.BadParameter(f"--{name.replace('_', '-')}: not JSON ({exc.msg})") from None
        out[name] = [x.strip() for item in v for x in str(item).split(",") if x.strip()] if isinstance(v, list) else v
    return out


def _body(json_text: str | None, file: Path | None) -> dict:
    if json_text and file:
        raise typer.BadParameter("give --json or --file, not both")
    text = file.read_text() if file else json_text
    if not text:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{file or '--json'}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{file or '--json'}: expected a JSON object")
    return data


def dump(item: BaseModel | list, fmt: str) -> str:
    if isinstance(item, list):
        return json.dumps([i.model_dump(mode="json") for i in item], indent=2) + "\n"
    if fmt == "json":
        return item.model_dump_json(indent=2) + "\n"
    data = item.model_dump(mode="json")
    width = max(len(k) for k in data)
    return "".join(f"{k.ljust(width)}  {'' if v is None else v}\n" for k, v in data.items())


def _cell(v) -> str:
    if v in (None, []):
        return "-"
    return v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else str(v)[:60]


def _table(kind: RecordKind, items: list[BaseModel], total: int) -> Table:
    names = [c for c in ("ref", "status", *kind.table, "updated_at") if not items or c in type(items[0]).model_fields]
    table = Table(title=f"{kind.path} ({len(items)} of {total})")
    for name in names:
        table.add_column(name.replace("_", " "))
    for item in items:
        table.add_row(*(_cell(getattr(item, name)) for name in names))
    return table


def _command(app: typer.Typer, name: str, params: list[inspect.Parameter], run: Callable[..., str], help_: str):
    """Register ``run`` as ``app``'s command ``name``; it receives the root settings as ``settings``."""

    def command(ctx: typer.Context, **kw):
        typer.echo(run(ctx.find_root().obj, **kw), nl=False)

    ctx_param = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    command.__signature__ = inspect.Signature([ctx_param, *params])  # type: ignore[attr-defined]
    app.command(name, help=help_)(command)


def ID() -> inspect.Parameter:
    return _param("record_id", int, typer.Argument(..., help="The record's id (the number of its reference)"))


def FORMAT(default: str = "table") -> inspect.Parameter:
    return _param("fmt", str, typer.Option(default, "--format", "-f", help="table or json"))


def ACTOR() -> inspect.Parameter:
    return _param(
        "actor", str | None, typer.Option(None, "--actor", help="Who acts, in the history (default cli:$USER)")
    )


def CATALOGUE() -> inspect.Parameter:
    return _param("catalogue", Path | None, typer.Option(None, "--catalogue", "-c", help="Default: SMS_CATALOGUE"))


def REASON() -> inspect.Parameter:
    return _param("reason", str | None, typer.Option(None, "--reason", help="Why; kept in the history"))


def kind_app(kind: RecordKind, system_of: SystemFactory) -> typer.Typer:
    """``sms-metrics <path> ...`` for one kind; ``system_of(settings, catalogue)`` builds the system."""
    app = typer.Typer(help=f"{kind.description} References: {kind.prefix}-000042.", no_args_is_help=True)
    filters = list(dict.fromkeys([*kind.filters, *(s.filter for s in kind.links.values() if s.filter)]))
    states = ", ".join(["open", *kind.lifecycle.aliases, *kind.lifecycle.states])

    def list_(settings, status, q, limit, offset, fmt, **given):
        records = system_of(settings, None).records
        items, total = records.list(
            kind,
            cli_principal(None),
            status=status,
            q=q,
            limit=limit,
            offset=offset,
            filters={k: v for k, v in given.items() if v is not None},
        )
        if fmt == "json":
            return dump(items, fmt)
        Console().print(_table(kind, items, total))
        return ""

    params = [
        _param("status", str | None, typer.Option(None, "--status", help=f"{states} (comma-separated)")),
        _param("q", str | None, typer.Option(None, "--search", "-q", help="Text search, or a reference")),
        _param("limit", int, typer.Option(100, "--limit")),
        _param("offset", int, typer.Option(0, "--offset")),
        FORMAT(),
        *(_param(f, str | None, typer.Option(None, f"--{f.replace('_', '-')}")) for f in filters),
    ]
    _command(app, "list", params, list_, f"List {kind.path}, newest first.")

    def show(settings, record_id, fmt):
        return dump(system_of(settings, None).records.get(kind, cli_principal(None), record_id), fmt)

    _command(app, "show", [ID(), FORMAT()], show, f"Show one {kind.title}.")

    def history(settings, record_id, fmt):
        rows = system_of(settings, None).records.history(kind, cli_principal(None), record_id)
        if fmt == "json":
            return dump(rows, fmt)
        return "".join(
            f"{r.at:%Y-%m-%d %H:%M:%S}  {r.actor}  {r.field}: {r.old} -> {r.new}"
            + (f"  ({r.reason})" if r.reason else "")
            + "\n"
            for r in rows
        )

    _command(app, "history", [ID(), FORMAT()], history, f"Every change of a {kind.title}: when, who, what, why.")
    _writes(app, kind, system_of)
    if kind.cli:
        kind.cli(app, system_of)
    return app


def _body_params() -> list[inspect.Parameter]:
    return [
        _param("json_text", str | None, typer.Option(None, "--json", help="The whole body as JSON")),
        _param("file", Path | None, typer.Option(None, "--file", help="The body from a JSON file")),
    ]


def _writes(app: typer.Typer, kind: RecordKind, system_of: SystemFactory) -> None:
    if kind.creatable:

        def create(settings, json_text, file, actor, catalogue, reason, fmt, **given):
            data = {**_body(json_text, file), **given_fields(kind.create, given)}
            item = system_of(settings, catalogue).records.create(kind, cli_principal(actor), data, reason=reason)
            return dump(item, "json") if fmt == "json" else f"{item.ref} created ({item.status})\n"

        params = [*_body_params(), ACTOR(), CATALOGUE(), REASON(), FORMAT(), *field_params(kind.create)]
        _command(app, "create", params, create, f"Create a {kind.title} (fields as options or --json).")

    update_model = kind.update or update_schema(kind.create)

    def update(settings, record_id, json_text, file, actor, catalogue, reason, **given):
        data = {**_body(json_text, file), **given_fields(update_model, given)}
        item = system_of(settings, catalogue).records.update(kind, cli_principal(actor), record_id, data, reason=reason)
        return f"{item.ref} updated\n"

    params = [ID(), *_body_params(), ACTOR(), CATALOGUE(), REASON(), *field_params(update_model)]
    _command(app, "update", params, update, f"Change fields of a {kind.title}.")

    move_model = kind.move_body or MoveRequest
    aliases = {"assignee": ["--to"]} if "assignee" in move_model.model_fields else {}
    extra = field_params(move_model, skip=("to", "reason", "override"), aliases=aliases)
    override = _param(
        "override", str | None, typer.Option(None, "--override", help="Managers: pass a gate, saying why")
    )

    def mover(target: str | None):
        def run(settings, record_id, actor, catalogue, reason, override, state=None, **given):
            records = system_of(settings, catalogue).records
            item = records.move(
                kind,
                cli_principal(actor),
                record_id,
                target or state,
                reason=reason,
                override=override,
                body=given_fields(move_model, given),
            )
            return f"{kind.title} {item.id}: {item.status}\n"

        return run

    common = [ACTOR(), CATALOGUE(), REASON(), override, *extra]
    state = _param("state", str, typer.Argument(..., help=", ".join(kind.lifecycle.states)))
    _command(app, "move", [ID(), state, *common], mover(None), f"Move a {kind.title} to STATE.")
    for verb, target in kind.verbs.items():
        _command(app, verb, [ID(), *common], mover(target), f"Move a {kind.title} to {target}.")
