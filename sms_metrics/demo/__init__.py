"""The demo catalogue and its generated history (what `sms-metrics up` runs on by default)."""

from pathlib import Path

DEMO_CATALOGUE = Path(__file__).with_name("sms.yaml")
