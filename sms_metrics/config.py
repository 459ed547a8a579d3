"""Settings: built once (``Settings()``) and passed down; nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
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
    webhook_token: str | None = Field(None, description="Bearer token Alertmanager sends.")
    admin_token: str | None = Field(None, description="Bearer token with the admin role.")
    probe_allowlist: list[str] = Field(
        default_factory=list,
        description="Regular expressions of extra targets that /probe may probe (besides those in the probe files).",
    )
    probe_concurrency: int = Field(512, ge=1, description="Probes in flight at once.")
    database_busy_timeout_ms: int = Field(
        5000, ge=0, description="How long a write waits for the SQLite lock before the webhook answers 503."
    )
    webhook_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest webhook body accepted.")
    reopen_window_seconds: float = Field(
        3600,
        ge=0,
        description="A resolved incident whose alert fires again "
        "within this window reopens; later, a new linked incident opens.",
    )
    sla_check_seconds: float = Field(30, gt=0, description="How often the SLA clock job runs.")
    notify_url: str | None = Field(None, description="Outgoing webhook for SLA warnings and escalations.")
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
