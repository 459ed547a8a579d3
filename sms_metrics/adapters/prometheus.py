"""Prometheus HTTP API: the port the engine needs and its real implementation.

The real adapter is built on prometheus-api-client (``PrometheusConnect``) with a retrying
session. Range queries are split so no request asks for more than 11,000 points per series;
unreachable servers and rejected expressions become one-line errors naming the URL or the
expression.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sms_metrics.core.durations import parse_duration
from sms_metrics.errors import PrometheusError, PrometheusQueryError, PrometheusUnreachable

log = logging.getLogger(__name__)

MAX_POINTS = 11_000
_BODY = re.compile(r"\((b'.*'|b\".*\")\)\s*$", re.S)


@dataclass(frozen=True)
class Series:
    """One series of a range query: labels, timestamps (Unix seconds) and values."""

    labels: dict[str, str]
    timestamps: np.ndarray
    values: np.ndarray


class PrometheusPort(ABC):
    """What sms-metrics asks of a PromQL server."""

    url: str

    @abstractmethod
    def query_range(self, expr: str, start: datetime, end: datetime, step_seconds: float) -> list[Series]:
        """Evaluate ``expr`` at ``start, start+step, ..., end`` (both inclusive)."""

    @abstractmethod
    def query(self, expr: str, at: datetime) -> list[tuple[dict[str, str], float]]:
        """Evaluate ``expr`` at one instant."""

    @abstractmethod
    def major_version(self) -> int | None:
        """Major version of the server (2 or 3), None when it does not say."""

    @abstractmethod
    def retention_seconds(self) -> float | None:
        """The TSDB retention time, None when unknown."""


def chunk_ranges(start: float, end: float, step: float, max_points: int = MAX_POINTS) -> list[tuple[float, float]]:
    """Split evaluation instants ``start..end`` (inclusive) into ranges of at most ``max_points``."""
    if end < start:
        return []
    n = round((end - start) / step) + 1
    out = []
    for first in range(0, n, max_points):
        last = min(n, first + max_points) - 1
        out.append((start + first * step, start + last * step))
    return out


def _error_text(exc: Exception) -> str:
    """Prometheus' own ``error`` field out of prometheus-api-client's exception text."""
    m = _BODY.search(str(exc))
    if m:
        try:
            body = json.loads(ast.literal_eval(m.group(1)))
            return " ".join(str(body.get("error") or body).split())
        except (ValueError, SyntaxError, AttributeError):
            pass
    return str(exc)


class PrometheusHTTP(PrometheusPort):
    """The real Prometheus (or any server with its HTTP API: Thanos, Mimir, VictoriaMetrics)."""

    def __init__(self, url: str, *, timeout: float = 60.0, retries: int = 3, backoff: float = 0.5, pool_size: int = 8):
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        # Proxies from the environment are resolved once, not on every request (costly per call).
        self._session.proxies.update(requests.utils.get_environ_proxies(self.url))
        self._session.trust_env = False
        retry = Retry(
            total=retries,
            connect=retries,
            read=0,
            backoff_factor=backoff,
            status_forcelist=[429, 502, 503, 504],
            allowed_methods=["GET"],
            raise_on_status=False,
        )
        self._session.mount(self.url, HTTPAdapter(max_retries=retry, pool_maxsize=pool_size))
        self._client = PrometheusConnect(url=self.url, session=self._session, timeout=timeout, retry=retry)
        self._version: int | bool | None = False

    @classmethod
    def from_settings(cls, settings, url: str | None = None) -> PrometheusHTTP:
        return cls(
            url or settings.prometheus_url,
            timeout=settings.prometheus_timeout_seconds,
            retries=settings.prometheus_retries,
            backoff=settings.prometheus_backoff_seconds,
            pool_size=max(8, settings.prometheus_concurrency * 2),
        )

    def _call(self, fn, expr: str | None, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except requests.Timeout:
            raise PrometheusUnreachable(f"Prometheus at {self.url} did not answer within {self._timeout:g}s") from None
        except requests.RequestException as exc:
            reason = type(exc).__name__ if not str(exc) else re.sub(r"[\"')\s]+$", "", str(exc).split(": ")[-1])[:160]
            raise PrometheusUnreachable(f"cannot reach Prometheus at {self.url}: {reason}") from None
        except PrometheusApiClientException as exc:
            text = _error_text(exc)
            if expr is not None and ("HTTP Status Code 400" in str(exc) or "HTTP Status Code 422" in str(exc)):
                raise PrometheusQueryError(f"Prometheus at {self.url} rejected {expr!r}: {text}") from None
            raise PrometheusError(f"Prometheus at {self.url} failed: {text}") from None

    def query_range(self, expr: str, start: datetime, end: datetime, step_seconds: float) -> list[Series]:
        merged: dict[tuple, list[list]] = {}
        labels_of: dict[tuple, dict] = {}
        for a, b in chunk_ranges(start.timestamp(), end.timestamp(), step_seconds):
            log.debug("query_range %s [%s, %s] step %ss", expr, a, b, step_seconds)
            result = self._call(
                self._client.custom_query_range,
                expr,
                expr,
                datetime.fromtimestamp(a, UTC),
                datetime.fromtimestamp(b, UTC),
                f"{step_seconds:g}s",
            )
            for item in result:
                key = tuple(sorted(item["metric"].items()))
                labels_of[key] = item["metric"]
                merged.setdefault(key, []).extend(item.get("values", []))
        out = []
        for key, values in merged.items():
            arr = np.asarray(values, dtype=float).reshape(-1, 2)
            out.append(Series(labels_of[key], arr[:, 0], arr[:, 1]))
        return out

    def query(self, expr: str, at: datetime) -> list[tuple[dict[str, str], float]]:
        result = self._call(self._client.custom_query, expr, expr, params={"time": at.timestamp()})
        return [(item["metric"], float(item["value"][1])) for item in result]

    def _status(self, what: str) -> dict:
        def get():
            r = self._session.get(f"{self.url}/api/v1/status/{what}", timeout=self._timeout)
            if r.status_code != 200:
                raise PrometheusApiClientException(f"HTTP Status Code {r.status_code} ({r.content!r})")
            return r.json().get("data") or {}

        return self._call(get, None)

    def major_version(self) -> int | None:
        if self._version is False:
            try:
                version = str(self._status("buildinfo").get("version", ""))
                self._version = int(version.split(".")[0]) if version[:1].isdigit() else None
            except PrometheusUnreachable:
                raise
            except PrometheusError:
                self._version = None
        return self._version

    def retention_seconds(self) -> float | None:
        try:
            flags = self._status("flags")
        except PrometheusUnreachable:
            raise
        except PrometheusError:
            return None
        value = flags.get("storage.tsdb.retention.time") or flags.get("storage.tsdb.retention")
        try:
            seconds = parse_duration(value) if value else 0
        except ValueError:
            return None
        return seconds or float(timedelta(days=15).total_seconds())
