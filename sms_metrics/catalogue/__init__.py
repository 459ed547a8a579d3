"""Catalogue: the version-controlled definitions of services, SLAs, SLOs and capacity resources."""

from sms_metrics.catalogue.loader import load_catalogue, parse_catalogue
from sms_metrics.catalogue.model import SLA, SLI, SLO, Catalogue, Service

__all__ = ["SLA", "SLI", "SLO", "Catalogue", "Service", "load_catalogue", "parse_catalogue"]
