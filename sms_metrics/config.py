"""Settings: built once (``Settings()``) and passed down; nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of sms-metrics, read from ``SMS_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SMS_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'sms-metrics.db'}",
        description="Register database (SQLite file by default).",
    )
    prometheus_url: str = Field("http://127.0.0.1:9090", description="Prometheus HTTP API base URL.")
    prometheus_timeout_seconds: float = Field(60.0, gt=0, description="Timeout of one API request.")
    prometheus_retries: int = Field(3, ge=0, description="Retries of a failed request (with backoff).")
    prometheus_backoff_seconds: float = Field(0.5, ge=0, description="Backoff factor between retries.")
    prometheus_concurrency: int = Field(4, ge=1, description="Parallel queries when reporting many services.")
    prometheus_headers: dict[str, str] = Field(
        default_factory=dict,
        description='HTTP headers sent to the PromQL server, a JSON object (e.g. {"X-Scope-OrgID": "team-a"} for Mimir).',
    )
    webhook_token: str | None = Field(None, description="Bearer token Alertmanager sends.")
    admin_token: str | None = Field(None, description="Bearer token with the admin role.")
    probe_allowlist: list[str] = Field(
        default_factory=list,
        description="Regular expressions of extra targets that /probe may probe (besides those in the probe files).",
    )
    probe_concurrency: int = Field(512, ge=1, description="Probes in flight at once.")
    probe_shard: str = Field(
        "0/1", description="i/n: this replica probes shard i (0-based) of n; every target has one owner (--shard)."
    )
    database_busy_timeout_ms: int = Field(
        5000, ge=0, description="How long a write waits for the SQLite lock before the webhook answers 503."
    )
    webhook_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest webhook body accepted.")
    api_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body of the register API (the webhook has its own limit)."
    )
    reopen_window_seconds: float = Field(
        3600,
        ge=0,
        description="A resolved incident whose alert fires again "
        "within this window reopens; later, a new linked incident opens.",
    )
    sla_check_seconds: float = Field(30, gt=0, description="How often the SLA clock job runs.")
    notify_url: str | None = Field(None, description="Outgoing webhook for SLA warnings and escalations.")
    notify_secret: SecretStr | None = Field(
        None, description="Key that signs SMS_NOTIFY_URL bodies (X-SMS-Signature: sha256=<HMAC>); unsigned if unset."
    )
    notify_poll_seconds: float = Field(1.0, gt=0, description="How often the notification worker looks for events.")
    notify_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one notification attempt.")
    notify_max_attempts: int = Field(6, ge=1, description="Attempts of a delivery before it is failed.")
    notify_backoff_seconds: float = Field(30.0, ge=0, description="Wait after a first failed attempt (doubles).")
    notify_concurrency: int = Field(4, ge=1, description="Deliveries sent at once.")
    notify_gap_grace_seconds: float = Field(
        60.0, ge=0, description="How long the dispatcher waits for a history row still being committed."
    )
    smtp_host: str | None = Field(None, description="SMTP server for email notifications.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port (587 for STARTTLS, 465 for SSL).")
    smtp_security: Literal["none", "starttls", "ssl"] = Field("none", description="none, starttls or ssl.")
    smtp_username: str | None = Field(None, description="SMTP login (none: no AUTH).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("sms-metrics@localhost", description="Sender address of notification emails.")
    smtp_ca_file: Path | None = Field(None, description="CA bundle that verifies the SMTP server (default: system).")
    smtp_timeout_seconds: float = Field(10.0, gt=0, description="SMTP connection timeout.")
    webhook_max_pending: int = Field(
        64,
        ge=1,
        description="Deliveries waiting for the database beyond which the webhook answers 503 (Alertmanager retries).",
    )
    webhook_skip_write: bool = Field(
        False,
        description="Benchmark only: validate deliveries but skip the "
        "database write (the ceiling of benchmarks/webhook_ingest.py).",
    )
    forecast_hour_utc: int = Field(3, ge=0, le=23, description="Hour (UTC) of the daily capacity forecast job.")
    forecast_workers: int = Field(0, ge=0, description="Processes for forecasting (0: one per core).")
    forecast_on_start: bool = Field(False, description="Also run the capacity forecast job when `serve` starts.")
    catalogue: Path | None = Field(
        None,
        description="The catalogue (sms.yaml) the register's commands and `serve` use when no --catalogue is given.",
    )
    release_watch: str = Field(
        "1h", description="How long after a deployment a release is watched for burn before it is verified."
    )
    release_check_seconds: float = Field(60, gt=0, description="How often the release watch job runs.")
    alertmanager_url: str | None = Field(
        None,
        description="Alertmanager base URL: firing alerts on the pages and links to them (else ALERTS from Prometheus).",
    )
    grafana_url: str | None = Field(
        None, description="Grafana base URL: the pages link to its sla-overview and service-detail dashboards."
    )
    session_idle_minutes: float = Field(30, gt=0, description="A page session unused this long is signed out.")
    session_max_hours: float = Field(12, gt=0, description="A page session ends this long after sign-in, used or not.")
    session_cookie_secure: bool | None = Field(
        None,
        description="Secure flag of the session cookie; unset: set when the request came over HTTPS "
        "(directly, or X-Forwarded-Proto from a trusted proxy).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses whose X-Forwarded-Proto header the pages believe (JSON list)."
    )
    pages_cache_seconds: float = Field(
        60, ge=0, description="How long the pages keep live figures (states, availability)."
    )
    pages_prometheus_timeout_seconds: float = Field(
        5, gt=0, description="Timeout of the pages' own Prometheus and Alertmanager requests (no retries)."
    )
    review_check_seconds: float = Field(
        3600, gt=0, description="How often the review job flags overdue reviews and nonconformities."
    )
    service_report_day: int = Field(
        1, ge=1, le=28, description="First day of the month on which last month's missing service reports are saved."
    )
    service_report_hour_utc: int = Field(
        2, ge=0, le=23, description="Hour (UTC) of the daily run that saves last month's missing service reports."
    )
    log_level: str = Field("INFO", description="Logging level (DEBUG, INFO, WARNING, ERROR).")
    work_dir: Path = Field(Path(".sms-metrics"), description="Where `up` keeps the local stack's data.")

    @field_validator("release_watch")
    @classmethod
    def _duration(cls, v: str) -> str:
        from sms_metrics.core.durations import parse_duration

        parse_duration(v)
        return v
