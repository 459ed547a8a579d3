"""Page sessions: a person signs in with a bearer token (the same tokens as the API); the cookie holds
a random session id and the ``web_sessions`` table its SHA-256, the digest of the token it came from
and the session's CSRF token. Every request resolves the token again, so a revoked token ends its
sessions at once. Sessions end after ``SMS_SESSION_IDLE_MINUTES`` unused or ``SMS_SESSION_MAX_HOURS``."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sms_metrics.register.base import Base, UTCDateTime
from sms_metrics.register.db import transaction
from sms_metrics.register.records.access import WEBHOOK_ROLE, Principal
from sms_metrics.register.tokens import ApiToken, digest, resolve

COOKIE = "sms_session"
TOUCH_SECONDS = 60  # seen_at is written at most once a minute per session


class WebSession(Base):
    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class Signed:
    """The person behind a page request and their session's CSRF token."""

    who: Principal
    csrf: str
    session_id: str

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())


class SessionStore:
    def __init__(self, system):
        self.system = system

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.system.settings.session_idle_minutes)

    @property
    def max_age(self) -> timedelta:
        return timedelta(hours=self.system.settings.session_max_hours)

    def sign_in(self, secret: str) -> tuple[str, Signed] | None:
        """A new session for a valid person's token (never the webhook token); None otherwise."""
        settings = self.system.settings
        with self.system.readers() as s:
            who = resolve(s, secret.strip(), admin=settings.admin_token, webhook=settings.webhook_token)
        if who is None or who.role == WEBHOOK_ROLE:
            return None
        sid, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.system.now()
        with transaction(self.system.sessions) as s:
            self._purge(s, now)
            s.add(
                WebSession(
                    id_sha256=digest(sid), token_sha256=digest(secret.strip()), csrf=csrf, created_at=now, seen_at=now
                )
            )
        return sid, Signed(who, csrf, sid)

    def current(self, sid: str | None) -> Signed | None:
        """The live session of cookie value ``sid``: None when unknown, idle too long, too old or revoked."""
        if not sid:
            return None
        now = self.system.now()
        with self.system.readers() as s:
            row = s.get(WebSession, digest(sid))
            if row is None:
                return None
            who = None if self._expired(row, now) else self._principal(s, row.token_sha256)
        if who is None:
            self.sign_out(sid)
            return None
        if (now - row.seen_at).total_seconds() >= TOUCH_SECONDS:
            with transaction(self.system.sessions) as s:
                found = s.get(WebSession, row.id_sha256)
                if found is not None:
                    found.seen_at = now
        return Signed(who, row.csrf, sid)

    def sign_out(self, sid: str | None) -> None:
        if sid:
            with transaction(self.system.sessions) as s:
                s.execute(delete(WebSession).where(WebSession.id_sha256 == digest(sid)))

    def _expired(self, row: WebSession, now: datetime) -> bool:
        return now - row.seen_at > self.idle or now - row.created_at > self.max_age

    def _purge(self, s: Session, now: datetime) -> None:
        s.execute(
            delete(WebSession).where(
                or_(WebSession.seen_at < now - self.idle, WebSession.created_at < now - self.max_age)
            )
        )

    def _principal(self, s: Session, token_sha256: str) -> Principal | None:
        """Who a stored token digest stands for now (the bootstrap admin token, or a token not revoked)."""
        admin = self.system.settings.admin_token
        if admin and hmac.compare_digest(digest(admin), token_sha256):
            return Principal("admin", "admin", restricted=True)
        row = s.scalar(select(ApiToken).where(ApiToken.secret_sha256 == token_sha256, ApiToken.revoked_at.is_(None)))
        return None if row is None else Principal(row.name, row.role, row.restricted)
