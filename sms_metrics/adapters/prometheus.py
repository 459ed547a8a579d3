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
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import numpy as np
import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sms_metrics.adapters import servers
from sms_metrics.adapters.servers import ServerInfo
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
        """The Prometheus major version whose range semantics the server follows (2 or 3)."""

    def server(self) -> ServerInfo:
        """What kind of PromQL server answers, and its range semantics (here: a Prometheus of
        ``major_version()``; the HTTP adapter detects it)."""
        major = self.major_version()
        return ServerInfo(servers.PROMETHEUS, str(major) if major else None, (major or 2) >= 3, measured=False)

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

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        pool_size: int = 8,
        headers: dict[str, str] | None = None,
    ):
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update(headers or {})  # e.g. Mimir's X-Scope-OrgID, an Authorization
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
        self._server: ServerInfo | None = None
        self._detecting = threading.Lock()

    @classmethod
    def from_settings(cls, settings, url: str | None = None) -> PrometheusHTTP:
        return cls(
            url or settings.prometheus_url,
            timeout=settings.prometheus_timeout_seconds,
            retries=settings.prometheus_retries,
            backoff=settings.prometheus_backoff_seconds,
            pool_size=max(8, settings.prometheus_concurrency * 2),
            headers=settings.prometheus_headers,
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
            for item in self._range(expr, a, b, step_seconds):
                key = tuple(sorted(item["metric"].items()))
                labels_of[key] = item["metric"]
                merged.setdefault(key, []).extend(item.get("values", []))
        out = []
        for key, values in merged.items():
            arr = np.asarray(values, dtype=float).reshape(-1, 2)
            out.append(Series(labels_of[key], arr[:, 0], arr[:, 1]))
        return out

    def _range(self, expr: str, a: float, b: float, step: float) -> list[dict]:
        """One range request; halved while VictoriaMetrics refuses it for too many points per series
        (its limit, 30,000 by default, also counts the inner points of subqueries)."""
        log.debug("query_range %s [%s, %s] step %ss", expr, a, b, step)
        try:
            return self._call(
                self._client.custom_query_range,
                expr,
                expr,
                datetime.fromtimestamp(a, UTC),
                datetime.fromtimestamp(b, UTC),
                f"{step:g}s",
                params=self.server().query_params or None,
            )
        except PrometheusQueryError as exc:
            if "maxPointsPerTimeseries" not in str(exc) or b - a < step:
                raise
        mid = a + (round((b - a) / step) // 2) * step
        log.info(
            "%s refused %d points per series of %r at once: asking in two halves",
            self.url,
            round((b - a) / step) + 1,
            expr,
        )
        return self._range(expr, a, mid, step) + self._range(expr, mid + step, b, step)

    def query(self, expr: str, at: datetime) -> list[tuple[dict[str, str], float]]:
        extra = self._server.query_params if self._server is not None else {}
        result = self._call(self._client.custom_query, expr, expr, params={"time": at.timestamp(), **extra})
        return [(item["metric"], float(item["value"][1])) for item in result]

    def _get(self, url: str) -> requests.Response | None:
        """GET ``url`` (no retries needed: detection only); None when it does not answer 200."""

        def get():
            r = self._session.get(url, timeout=self._timeout)
            return r if r.status_code == 200 else None

        return self._call(get, None)

    def _status(self, what: str) -> dict | None:
        r = self._get(f"{self.url}/api/v1/status/{what}")
        try:
            return (r.json().get("data") or {}) if r is not None else None
        except ValueError:
            return None

    @property
    def _root(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def major_version(self) -> int | None:
        return self.server().major

    def server(self) -> ServerInfo:
        """Detected once (threads that read histories share it) and logged at info level."""
        with self._detecting:
            if self._server is None:
                self._server = self._detect()
                log.info("PromQL server at %s: %s", self.url, self._server.describe())
        return self._server

    def _detect(self) -> ServerInfo:
        """The kind from buildinfo (or VictoriaMetrics' own endpoint), the range semantics from one
        query on ``vector(1)``."""
        build = self._status("buildinfo")
        marker = self._get(f"{self.url}/api/v1/status/top_queries")
        kind, version = servers.classify(build, marker is not None and "topByCount" in marker.text)
        if kind == servers.VICTORIA and version is None:
            metrics = self._get(f"{self._root}/metrics")
            version = servers.victoria_version(metrics.text) if metrics is not None else None
        at = datetime.fromtimestamp((datetime.now(UTC).timestamp() // 30 - 10) * 30, UTC)
        try:
            points = max((v for _, v in self.query(servers.BOUNDARY_PROBE, at)), default=None)
        except PrometheusUnreachable:
            raise
        except PrometheusError:
            points = None
        left_open, measured = servers.left_open_from_probe(points, kind, version)
        return ServerInfo(kind, version, left_open, measured)

    def retention_seconds(self) -> float | None:
        if self.server().kind == servers.VICTORIA:
            if "/select/" in urlsplit(self.url).path:  # cluster: retention lives on vmstorage
                return None
            flags = self._get(f"{self._root}/flags")
            return servers.victoria_retention_seconds(flags.text) if flags is not None else None
        try:
            flags = self._status("flags")
        except PrometheusUnreachable:
            raise
        except PrometheusError:
            return None
        if flags is None:
            return None
        value = flags.get("storage.tsdb.retention.time") or flags.get("storage.tsdb.retention")
        try:
            seconds = parse_duration(value) if value else 0
        except ValueError:
            return None
        return seconds or float(timedelta(days=15).total_seconds())
