"""sms-metrics: an ISO/IEC 20000-1 service management system that runs on measurements."""

__version__ = "0.1.0"
