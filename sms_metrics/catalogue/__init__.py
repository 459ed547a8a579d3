"""Catalogue: the version-controlled definitions of services, SLAs, SLOs and capacity resources."""

from sms_metrics.catalogue.loader import load_catalogue, parse_catalogue
from sms_metrics.catalogue.model import SLA, SLI, SLO, Catalogue, Service

__all__ = ["Catalogue", "Service", "SLA", "SLO", "SLI", "load_catalogue", "parse_catalogue"]
