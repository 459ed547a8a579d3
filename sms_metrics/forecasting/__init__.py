"""Capacity forecasting (pure): series preparation, models, rolling-origin backtests, model
selection and time to exhaustion. Takes numpy arrays and returns data; no I/O."""
