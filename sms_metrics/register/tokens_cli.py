"""``sms-metrics tokens create|list|revoke``: people's bearer tokens, from a shell on the register."""

from __future__ import annotations

import json

import typer

from sms_metrics.register.db import transaction
from sms_metrics.register.records.access import ROLES
from sms_metrics.register.records.cli import default_actor
from sms_metrics.register.records.service import validated
from sms_metrics.register.tokens import TokenCreate, create_token, list_tokens, revoke_token


def tokens_app(system_of) -> typer.Typer:
    app = typer.Typer(
        help="Bearer tokens for people and systems: a name, a role, restricted or not.", no_args_is_help=True
    )

    @app.command("create")
    def create(
        ctx: typer.Context,
        name: str = typer.Option(..., "--name", help="The person or system the token is for"),
        role: str = typer.Option(..., "--role", help=" < ".join(ROLES)),
        restricted: bool = typer.Option(False, "--restricted", help="May see restricted records"),
    ) -> None:
        """Create a token and print its secret (shown this once; only its hash is kept)."""
        system = system_of(ctx.find_root().obj, None)
        body = validated(TokenCreate, {"name": name, "role": role, "restricted": restricted})
        with transaction(system.sessions) as session:
            made = create_token(session, body, by=default_actor(), now=system.now())
        typer.echo(f"token {made.id} for {made.name} ({made.role}{', restricted' if made.restricted else ''}):")
        typer.echo(made.secret)

    @app.command("list")
    def list_(ctx: typer.Context, fmt: str = typer.Option("table", "--format", "-f", help="table or json")) -> None:
        """Every token: id, name, role, flags (never the secrets)."""
        with system_of(ctx.find_root().obj, None).readers() as session:
            tokens = list_tokens(session)
        if fmt == "json":
            typer.echo(json.dumps([t.model_dump(mode="json") for t in tokens], indent=2))
            return
        for t in tokens:
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            typer.echo(f"{t.id:>4}  {t.name:<24} {t.role:<8} {'restricted' if t.restricted else '-':<10} {state}")

    @app.command("revoke")
    def revoke(ctx: typer.Context, token_id: int = typer.Argument(..., help="The token's id")) -> None:
        """Revoke a token at once."""
        system = system_of(ctx.find_root().obj, None)
        with transaction(system.sessions) as session:
            t = revoke_token(session, token_id, now=system.now())
        typer.echo(f"token {t.id} ({t.name}) revoked")

    return app
