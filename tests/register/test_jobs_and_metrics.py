"""The SLA clock job escalates, notifies and counts; /metrics shows the register's figures."""

from __future__ import annotations

import gc
import json
import threading
import weakref
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fastapi.testclient import TestClient

from sms_metrics.adapters.notifier import WebhookNotifier
from sms_metrics.jobs.sla import guarded, run_sla_clocks
from tests.conftest import forget_stopped_apps
from tests.register.conftest import WEBHOOK, alert, payload, register_app


class Inbox(BaseHTTPRequestHandler):
    """A notification receiver: answers the statuses queued in ``answers``, then 204."""

    answers: list = []
    received: list = []

    def do_POST(self):
        Inbox.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(Inbox.answers.pop(0) if Inbox.answers else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def test_clock_job_escalates_notifies_and_counts(client):
    inbox = ThreadingHTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=inbox.serve_forever, daemon=True).start()
    state = client.app.state.sms
    state.system.notifier = WebhookNotifier(f"http://127.0.0.1:{inbox.server_port}/")
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    client.hook(payload(alert("late", starts=two_hours_ago)))
    Inbox.answers, Inbox.received = [], []
    assert run_sla_clocks(state) == 2  # response warning and breach in one pass
    assert [(m["clock"], m["event"]) for m in Inbox.received] == [("response", "warning"), ("response", "breach")]
    [inc] = client.get("/api/v1/incidents", headers=client.admin).json()
    assert inc["status"] == "escalated" and inc["response_breached_at"] is not None
    text = client.get("/metrics").text
    assert 'sms_sla_clock_events_total{clock="response",event="breach"} 1.0' in text
    assert 'sms_incidents_open{priority="P1",service="checkout"} 1.0' in text
    assert 'sms_incident_sla_breaches_total{clock="response"} 1.0' in text
    assert 'sms_webhook_deliveries_total{result="ok"} 1.0' in text
    inbox.shutdown()


def test_a_failing_job_is_counted_not_raised(client):
    state = client.app.state.sms

    def boom(_state):
        raise RuntimeError("database on fire")

    guarded("demo", boom, state)()
    assert 'sms_job_failures_total{job="demo"} 1.0' in client.get("/metrics").text


def test_notifications_are_retried_on_5xx_and_counted_when_they_fail(client):
    inbox = ThreadingHTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=inbox.serve_forever, daemon=True).start()
    state = client.app.state.sms
    state.system.notifier = WebhookNotifier(f"http://127.0.0.1:{inbox.server_port}/")
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    client.hook(payload(alert("late", starts=two_hours_ago)))
    # the warning gets through on its second attempt; the breach is refused with 400 (not retried)
    Inbox.answers, Inbox.received = [503, 204, 400], []
    assert run_sla_clocks(state) == 2
    assert [(m["clock"], m["event"]) for m in Inbox.received] == [("response", "warning")] * 2 + [
        ("response", "breach")
    ]
    assert "sms_notification_failures_total 1.0" in client.get("/metrics").text
    inbox.shutdown()


def test_capacity_forecasts_are_scheduled_daily_at_the_configured_hour(client):
    job = client.app.state.jobs.get_job("capacity-forecast")
    assert str(job.trigger) == "cron[hour='3', minute='0']"
    assert job.next_run_time.hour == 3 and job.next_run_time.utcoffset().total_seconds() == 0
    assert client.app.state.jobs.get_job("sla-clocks") is not None


def test_every_job_runs_however_late_the_loop_reaches_it_and_only_once(client):
    jobs = client.app.state.jobs
    assert all(j.misfire_grace_time is None and j.coalesce for j in jobs.get_jobs())
    ran = threading.Event()
    # due 30 s ago, as a job is when the loop was busy at its time: APScheduler's default (1 s grace) drops it
    jobs.add_job(ran.set, "date", run_date=datetime.now(UTC) - timedelta(seconds=30), id="late")
    client.get("/healthz")  # lets the loop run
    assert ran.wait(10)
    assert jobs.get_job("late") is None


def test_a_stopped_app_leaves_nothing_alive_once_fastapi_forgets_its_functions(db):
    """A server builds one app; a test process builds hundreds. Nothing of ours may keep a stopped app (its
    register, its engines, its writer) alive: FastAPI's own caches of the functions it classified are the
    only holders, and tests/conftest.py clears them after every test."""
    app = register_app(db)
    with TestClient(app) as c:
        hook = {"Authorization": f"Bearer {WEBHOOK}"}
        assert c.post("/api/v1/webhooks/alertmanager", json=payload(alert("freed")), headers=hook).status_code == 200
    state = app.state.sms
    stopped = {
        "app": weakref.ref(app),
        "state": weakref.ref(state),
        "system": weakref.ref(state.system),
        "writer": weakref.ref(state.writer),
        "engine": weakref.ref(state.system.engine),
    }
    del app, c, state
    forget_stopped_apps()
    gc.collect()
    alive = {name: type(ref()).__name__ for name, ref in stopped.items() if ref() is not None}
    assert alive == {}, f"still referenced after the app stopped: {alive}; see gc.get_referrers"
