"""Write a catalogue back to YAML."""

from __future__ import annotations

import yaml

from sms_metrics.catalogue.model import Catalogue


def dump_catalogue(catalogue: Catalogue) -> str:
    data = catalogue.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
