"""Write a catalogue back to YAML (empty lists and maps, unset fields, ``disable: false`` and ``public: false`` left out)."""

from __future__ import annotations

from typing import Any

import yaml

from sms_metrics.catalogue.model import Catalogue


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items()}
        return {
            k: v for k, v in out.items() if v not in (None, {}, []) and not (k in ("disable", "public") and v is False)
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def catalogue_data(catalogue: Catalogue) -> dict:
    """The catalogue as plain data, as it would be written."""
    return _clean(catalogue.model_dump(mode="json", exclude_none=True))


def dump_catalogue(catalogue: Catalogue) -> str:
    return yaml.safe_dump(catalogue_data(catalogue), sort_keys=False, allow_unicode=True)
