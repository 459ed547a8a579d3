"""What one probe run found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProbeResult:
    name: str
    service: str
    module: str
    target: str
    success: bool = False
    duration_seconds: float = 0.0
    status_code: int | None = None
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)  # http: resolve, connect, tls, processing, transfer
    ssl_earliest_cert_expiry: float | None = None  # Unix seconds
    dns_lookup_seconds: float | None = None
    redirects: int = 0
    supplier: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def fail(self, reason: str) -> ProbeResult:
        self.success = False
        self.error = " ".join(str(reason).split())[:300] or "failed"
        return self

    def as_json(self) -> dict:
        """The contract of ``sms-metrics probe --once --format json`` (DESIGN.md)."""
        return {
            "name": self.name,
            "service": self.service,
            "module": self.module,
            "target": self.target,
            "success": self.success,
            "duration_seconds": round(self.duration_seconds, 6),
            "status_code": self.status_code,
            "error": self.error,
        }
