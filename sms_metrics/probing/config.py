"""Probe files ``probes/*.yaml`` (apiVersion sms-metrics/v1): modules like blackbox_exporter's, and
targets with their service, supplier, labels, interval and optional timeout."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sms_metrics.catalogue.model import NAME_PATTERN
from sms_metrics.catalogue.yamlsource import error_lines, load_yaml_documents
from sms_metrics.core.durations import parse_duration
from sms_metrics.errors import CatalogueError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regexes(values: list[str]) -> list[str]:
    for v in values:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {v!r}: {exc}") from None
    return values


def _duration(v: str) -> str:
    parse_duration(v)
    return v


class HeaderMatch(_Strict):
    header: str
    regexp: str
    allow_missing: bool = False

    _re = field_validator("regexp")(lambda v: _regexes([v])[0])


class TLSConfig(_Strict):
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None


class HTTPOptions(_Strict):
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    valid_status_codes: list[int] = Field(default_factory=list)
    fail_if_body_matches_regexp: list[str] = Field(default_factory=list)
    fail_if_body_not_matches_regexp: list[str] = Field(default_factory=list)
    fail_if_header_matches: list[HeaderMatch] = Field(default_factory=list)
    fail_if_header_not_matches: list[HeaderMatch] = Field(default_factory=list)
    follow_redirects: bool = True
    max_redirects: int = Field(10, ge=0)
    fail_if_ssl: bool = False
    fail_if_not_ssl: bool = False
    preferred_ip_protocol: Literal["ip4", "ip6"] = "ip4"
    ip_protocol_fallback: bool = True
    tls_verify: bool = True
    tls_config: TLSConfig = Field(default_factory=TLSConfig)

    _bodies = field_validator("fail_if_body_matches_regexp", "fail_if_body_not_matches_regexp")(_regexes)

    @field_validator("valid_status_codes")
    @classmethod
    def _codes(cls, v: list[int]) -> list[int]:
        bad = [c for c in v if not 100 <= c <= 599]
        if bad:
            raise ValueError(f"status codes must be 100..599, got {bad}")
        return v


class QueryResponse(_Strict):
    expect: str | None = None
    send: str | None = None
    starttls: bool = False

    _re = field_validator("expect")(lambda v: v if v is None else _regexes([v])[0])


class TCPOptions(_Strict):
    query_response: list[QueryResponse] = Field(default_factory=list)
    tls: bool = False
    tls_verify: bool = True
    tls_config: TLSConfig = Field(default_factory=TLSConfig)
    preferred_ip_protocol: Literal["ip4", "ip6"] = "ip4"


class DNSOptions(_Strict):
    query_name: str
    query_type: str = "A"
    transport_protocol: Literal["udp", "tcp"] = "udp"
    valid_rcodes: list[str] = Field(default_factory=lambda: ["NOERROR"])
    fail_if_answer_matches_regexp: list[str] = Field(default_factory=list)
    fail_if_answer_not_matches_regexp: list[str] = Field(default_factory=list)

    _re = field_validator("fail_if_answer_matches_regexp", "fail_if_answer_not_matches_regexp")(_regexes)


class Module(_Strict):
    prober: Literal["http", "tcp", "dns"]
    timeout: str = "5s"
    http: HTTPOptions = Field(default_factory=HTTPOptions)
    tcp: TCPOptions = Field(default_factory=TCPOptions)
    dns: DNSOptions | None = None

    _timeout = field_validator("timeout")(_duration)

    @model_validator(mode="after")
    def _dns_needs_query(self) -> Module:
        if self.prober == "dns" and self.dns is None:
            raise ValueError("a dns module needs dns.query_name")
        return self

    @property
    def timeout_seconds(self) -> float:
        return parse_duration(self.timeout)


class Target(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    service: str = Field(pattern=NAME_PATTERN)
    module: str
    target: str = Field(min_length=1)
    interval: str = "30s"
    timeout: str | None = None
    supplier: str | None = Field(None, pattern=NAME_PATTERN)
    labels: dict[str, str] = Field(default_factory=dict)

    _durations = field_validator("interval", "timeout")(lambda v: v if v is None else _duration(v))

    @field_validator("labels")
    @classmethod
    def _label_names(cls, v: dict[str, str]) -> dict[str, str]:
        reserved = {"service", "probe", "supplier", "job", "instance"} & set(v)
        bad = [k for k in v if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", k) or k.startswith("__")]
        if reserved or bad:
            raise ValueError(
                f"label names must be [a-zA-Z_][a-zA-Z0-9_]* and not one of service, probe, "
                f"supplier, job, instance: {sorted(reserved | set(bad))}"
            )
        return v

    @property
    def interval_seconds(self) -> float:
        return parse_duration(self.interval)


class ProbeFile(_Strict):
    apiVersion: Literal["sms-metrics/v1"]
    modules: dict[str, Module] = Field(default_factory=dict)
    targets: list[Target] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> ProbeFile:
        problems = []
        for i, t in enumerate(self.targets):
            mod = self.modules.get(t.module)
            if mod is None:
                problems.append(
                    f"targets[{i}].module: unknown module {t.module!r} (defined: "
                    f"{', '.join(sorted(self.modules)) or 'none'})"
                )
            elif why := _target_problem(mod.prober, t.target):
                problems.append(f"targets[{i}].target: {why}")
            if t.timeout and t.interval and parse_duration(t.timeout) > parse_duration(t.interval):
                problems.append(f"targets[{i}].timeout: longer than the interval {t.interval}")
        names = [t.name for t in self.targets]
        problems += [f"targets: duplicate name {n!r}" for n in sorted({n for n in names if names.count(n) > 1})]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _target_problem(prober: str, target: str) -> str | None:
    if prober == "http":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"{target!r} is not an http:// or https:// URL"
        return None
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return f"{target!r} is not host:port"
    return None


def parse_probe_file(text: str, source: str) -> ProbeFile:
    docs = load_yaml_documents(text, source)
    if len(docs) != 1 or not isinstance(docs[0][0], dict):
        raise CatalogueError(source, ["(top level): expected one YAML mapping with apiVersion, modules, targets"])
    try:
        return ProbeFile.model_validate(docs[0][0])
    except ValidationError as exc:
        lines = []
        for line in error_lines(exc, docs[0][1]):
            head, _, rest = line.partition(": ")
            if head == "(top level)":
                lines += [re.sub(r" \(line \d+\)$", "", part) for part in rest.split("; ")]
            else:
                lines.append(line)
        raise CatalogueError(source, lines) from None


def load_probe_files(paths: list[Path]) -> tuple[dict[str, Module], list[Target]]:
    """Modules and targets of several files (module names are per file; targets must be unique)."""
    modules: dict[str, Module] = {}
    targets: list[Target] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            pf = parse_probe_file(Path(path).read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise CatalogueError(str(path), [f"cannot read: {exc.strerror or exc}"]) from None
        for t in pf.targets:
            if t.name in seen:
                raise CatalogueError(str(path), [f"target {t.name!r} is also defined in {seen[t.name]}"])
            seen[t.name] = str(path)
            key = f"{path}:{t.module}"
            modules[key] = pf.modules[t.module]
            targets.append(t.model_copy(update={"module": key}))
    return modules, targets
