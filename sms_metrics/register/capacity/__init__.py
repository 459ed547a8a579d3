"""Capacity plans (ISO/IEC 20000-1:2011 6.5, 2018 8.4.3): forecast figures kept as SMS records."""
