"""Alertmanager's webhook (v4) into the register."""
