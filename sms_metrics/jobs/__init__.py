"""Scheduled jobs (APScheduler). A failing job is logged and counted, never kills the scheduler."""
