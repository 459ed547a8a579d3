"""How a delivery reaches its receiver: a JSON POST signed with HMAC-SHA256 (``X-SMS-Signature:
sha256=<hex>`` over the exact body), a Slack incoming webhook (``{"text": ...}``) or an email through
SMTP (host, port, TLS and credentials from the settings). Each answers an Outcome; a 4xx answer (other
than 408 and 429) and an SMTP 5xx are refusals that no retry will change."""

from __future__ import annotations

import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from sms_metrics import __version__
from sms_metrics.config import Settings
from sms_metrics.core.notify import SIGNATURE_HEADER, signature, slack, subject, text


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the subscription's channel and addresses, its secret (never logged)."""

    channel: str
    url: str | None = None
    secret: str | None = None
    email_to: tuple[str, ...] = ()
    shown: str = ""  # the address as it may appear in an error (a Slack URL masked)


def post(target: Target, body: bytes, headers: dict, timeout: float) -> Outcome:
    url = target.url if target.channel != "slack" else target.secret
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}".replace(url, target.shown)[:500])
    if answer.status_code < 300:
        return Outcome(True)
    permanent = 400 <= answer.status_code < 500 and answer.status_code not in (408, 429)
    return Outcome(False, f"HTTP {answer.status_code}: {answer.text[:200]}", permanent)


def send_webhook(target: Target, body: bytes, event: str, key: str, timeout: float) -> Outcome:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"sms-metrics/{__version__}",
        "X-SMS-Event": event,
        "X-SMS-Delivery": key,
    }
    if target.secret:
        headers[SIGNATURE_HEADER] = signature(target.secret, body)
    return post(target, body, headers, timeout)


def send_slack(target: Target, payload: dict, timeout: float) -> Outcome:
    body = json.dumps(slack(payload), ensure_ascii=False).encode()
    return post(target, body, {"Content-Type": "application/json"}, timeout)


def message(settings: Settings, to: tuple[str, ...], payload: dict) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(payload)
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(to)
    msg["X-SMS-Event"] = payload["event"]
    msg.set_content(text(payload))
    return msg


def send_email(settings: Settings, target: Target, payload: dict) -> Outcome:
    if not settings.smtp_host:
        return Outcome(False, "SMS_SMTP_HOST is not set: no email can be sent", permanent=True)
    context = ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)
    try:
        if settings.smtp_security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message(settings, target.email_to, payload))
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return Outcome(False, f"SMTP {exc.smtp_code}: {reply}"[:500], permanent=exc.smtp_code >= 500)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, f"SMTP refused the recipients: {', '.join(exc.recipients)}", permanent=True)
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(True)


def send(settings: Settings, target: Target, body: str, event: str, key: str) -> Outcome:
    """Deliver one queued body to its target."""
    timeout = settings.notify_timeout_seconds
    if target.channel == "webhook":
        return send_webhook(target, body.encode(), event, key, timeout)
    payload = json.loads(body)
    if target.channel == "slack":
        return send_slack(target, payload, timeout)
    if target.channel == "email":
        return send_email(settings, target, payload)
    return Outcome(False, f"unknown channel {target.channel!r}", permanent=True)
