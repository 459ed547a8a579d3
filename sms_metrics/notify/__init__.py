"""Notifications (ISO/IEC 20000-1 4, communication): subscriptions, the dispatcher that turns register
events into queued deliveries, the channels (signed webhook, email, Slack) and the worker that sends."""
