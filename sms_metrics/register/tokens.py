"""People's bearer tokens: a name, a role and the ``restricted`` flag. The secret is shown once at
creation; only its SHA-256 is stored (secrets are 256 random bits, so a fast hash is enough)."""

import hashlib
import hmac
import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sms_metrics.errors import Conflict, RecordNotFound
from sms_metrics.register.base import Base, UTCDateTime
from sms_metrics.register.records.access import ROLES, WEBHOOK_ROLE, Principal

PREFIX = "sms_"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(20))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\s:][^:]*$", description="The person or system")
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$", description=" < ".join(ROLES))
    restricted: bool = Field(False, description="May see restricted records (security incidents)")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    restricted: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    secret: str = Field(description="The bearer token; shown this once, only its hash is kept")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, body: TokenCreate, *, by: str, now: datetime) -> TokenCreated:
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=body.name,
        role=body.role,
        restricted=body.restricted,
        secret_sha256=digest(secret),
        created_at=now,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), secret=secret)


def list_tokens(session: Session) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_token(session: Session, token_id: int, *, now: datetime) -> TokenRead:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise RecordNotFound(f"token {token_id} does not exist")
    if row.revoked_at is not None:
        raise Conflict(f"token {token_id} ({row.name}) was revoked already")
    row.revoked_at = now
    return TokenRead.model_validate(row)


def resolve(session: Session | None, secret: str, *, admin: str | None, webhook: str | None) -> Principal | None:
    """The principal a bearer secret stands for, None when it is unknown or revoked."""
    if not secret:
        return None
    if admin and hmac.compare_digest(secret.encode(), admin.encode()):
        return Principal("admin", "admin", restricted=True)
    if webhook and hmac.compare_digest(secret.encode(), webhook.encode()):
        return Principal("alertmanager", WEBHOOK_ROLE)
    if session is None or not secret.startswith(PREFIX):
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.secret_sha256 == digest(secret), ApiToken.revoked_at.is_(None))
    )
    return None if row is None else Principal(row.name, row.role, row.restricted)


def tokens_router(system, principal):
    """/api/v1/tokens: admins create, list and revoke tokens; /api/v1/whoami tells anyone who they are."""
    from typing import Annotated

    from fastapi import APIRouter, Depends, Path

    from sms_metrics.register.db import transaction
    from sms_metrics.register.records.access import require

    router = APIRouter(prefix="/api/v1", tags=["tokens"])

    def admin(who: Principal = Depends(principal)) -> Principal:
        require(who, "admin", "manage tokens")
        return who

    @router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Create a token (shown once)")
    def create(body: TokenCreate, who: Principal = Depends(admin)) -> TokenCreated:
        with transaction(system.sessions) as session:
            return create_token(session, body, by=who.name, now=system.now())

    @router.get("/tokens", response_model=list[TokenRead], summary="Every token (never the secrets)")
    def list_(who: Principal = Depends(admin)) -> list[TokenRead]:
        with system.readers() as session:
            return list_tokens(session)

    @router.delete("/tokens/{token_id}", response_model=TokenRead, summary="Revoke a token")
    def revoke(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], who: Principal = Depends(admin)) -> TokenRead:
        with transaction(system.sessions) as session:
            return revoke_token(session, token_id, now=system.now())

    @router.get("/whoami", summary="The name, role and restricted flag of the caller's token")
    def whoami(who: Principal = Depends(principal)) -> dict:
        return {"name": who.name, "role": who.role, "restricted": who.restricted}

    return router
