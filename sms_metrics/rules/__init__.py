"""Prometheus rules from the catalogue: SLO recording rules (Sloth's names and labels),
multiwindow multi-burn-rate alerts, no-data and certificate alerts, capacity alerts.

Pure: catalogue in, rule groups (dicts) out; ``writer`` renders them to YAML files.
"""
