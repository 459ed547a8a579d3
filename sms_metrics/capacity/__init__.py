"""Capacity management: reads each catalogue resource's history from Prometheus, forecasts it
(``forecasting``) in parallel processes and shapes the result for reports, plans and gauges."""
