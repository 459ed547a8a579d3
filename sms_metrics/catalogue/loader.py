"""Load and validate ``sms.yaml``; every problem is reported, none raises a traceback."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from sms_metrics.catalogue.checks import query_problems
from sms_metrics.catalogue.model import API_VERSION, Catalogue
from sms_metrics.catalogue.yamlsource import error_lines, format_loc, line_of, load_yaml_documents
from sms_metrics.errors import CatalogueError


def parse_catalogue(text: str, source: str = "<catalogue>") -> Catalogue:
    """Validate catalogue YAML text; raise ``CatalogueError`` listing every error by path."""
    docs = load_yaml_documents(text, source)
    if len(docs) != 1 or not isinstance(docs[0][0], dict):
        raise CatalogueError(source, ["(top level): expected one YAML mapping with apiVersion and services"])
    data, node = docs[0]
    if data.get("apiVersion") != API_VERSION:
        hint = (
            " (a Sloth or OpenSLO file? use `sms-metrics catalogue import`)"
            if ("version" in data or str(data.get("apiVersion", "")).startswith("openslo"))
            else ""
        )
        raise CatalogueError(source, [f"apiVersion: must be {API_VERSION!r} (got {data.get('apiVersion')!r}){hint}"])
    errors: list[str] = []
    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as exc:
        errors = error_lines(exc, node)
        catalogue = None
    errors += _duplicate_services(data, node)
    if catalogue is not None and not catalogue.services:
        errors.append("services: the catalogue has no services; describe at least one")
    if catalogue is not None:
        for loc, why in query_problems(catalogue):
            line = line_of(node, loc)
            errors.append(f"{format_loc(loc)}: {why}" + (f" (line {line})" if line else ""))
    if errors or catalogue is None:
        raise CatalogueError(source, errors)
    return catalogue


def _duplicate_services(data: dict, node) -> list[str]:
    services = data.get("services") or []
    seen: dict[str, int] = {}
    out = []
    for i, svc in enumerate(services if isinstance(services, list) else []):
        name = svc.get("name") if isinstance(svc, dict) else None
        if name is None:
            continue
        if name in seen:
            line = line_of(node, ("services", i, "name"))
            out.append(
                f"services[{i}].name: duplicate service name {name!r} (first at services[{seen[name]}])"
                + (f" (line {line})" if line else "")
            )
        else:
            seen[name] = i
    return out


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate the catalogue file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(str(p), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(p), [f"cannot read: {exc}"]) from None
    return parse_catalogue(text, str(p))
