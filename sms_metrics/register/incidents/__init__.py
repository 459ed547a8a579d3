"""Incidents (ISO/IEC 20000-1 8.1): opened by alerts or people, with priorities and SLA clocks."""
