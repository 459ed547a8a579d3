"""Alertmanager's HTTP API v2: the firing alerts the pages show, and links into its UI."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from sms_metrics.errors import AlertmanagerError


@dataclass(frozen=True)
class FiringAlert:
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: str | None = None
    generator_url: str | None = None
    fingerprint: str | None = None

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def service(self) -> str | None:
        return self.labels.get("service")


class AlertmanagerPort(ABC):
    url: str

    @abstractmethod
    def firing(self) -> list[FiringAlert]:
        """Alerts firing now (active, neither silenced nor inhibited)."""


def alerts_link(base_url: str, labels: dict[str, str]) -> str:
    """A link to Alertmanager's UI listing the alerts with these labels (alertname and service)."""
    wanted = {k: labels[k] for k in ("alertname", "service", "slo") if labels.get(k)}
    matchers = ",".join(f'{k}="{v}"' for k, v in wanted.items())
    return f"{base_url.rstrip('/')}/#/alerts?filter={quote('{' + matchers + '}', safe='')}"


class AlertmanagerHTTP(AlertmanagerPort):
    def __init__(self, url: str, *, timeout: float = 5.0):
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        self._session.proxies.update(requests.utils.get_environ_proxies(self.url))
        self._session.trust_env = False

    def firing(self) -> list[FiringAlert]:
        params = {"active": "true", "silenced": "false", "inhibited": "false", "unprocessed": "false"}
        try:
            r = self._session.get(f"{self.url}/api/v2/alerts", params=params, timeout=self._timeout)
        except requests.RequestException as exc:
            reason = type(exc).__name__ if not str(exc) else str(exc).split(": ")[-1][:160]
            raise AlertmanagerError(f"cannot reach Alertmanager at {self.url}: {reason}") from None
        if r.status_code != 200:
            raise AlertmanagerError(f"Alertmanager at {self.url} answered {r.status_code}: {r.text[:200]}")
        try:
            items = r.json()
            return [
                FiringAlert(
                    labels=dict(a.get("labels") or {}),
                    annotations=dict(a.get("annotations") or {}),
                    starts_at=a.get("startsAt"),
                    generator_url=a.get("generatorURL"),
                    fingerprint=a.get("fingerprint"),
                )
                for a in items
                if (a.get("status") or {}).get("state", "active") == "active"
            ]
        except (ValueError, AttributeError, TypeError) as exc:
            raise AlertmanagerError(f"Alertmanager at {self.url} sent an answer that is not its API's: {exc}") from None
