"""The pages in headless Chromium against real components: Prometheus over 91 days of backfilled probe
history and budget recordings, Alertmanager delivering to the served app's webhook. A person signs in,
sees the alert's incident, posts a public update, acknowledges and resolves it with the buttons and reads
its history; a manager approves a change and sees the error-budget gate refuse another; the public status
page shows the outage and its incident. Every main page is checked with axe-core and photographed."""

from __future__ import annotations

import time

import pytest
import requests

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.localstack.alertmanager import LocalAlertmanager
from sms_metrics.localstack.prometheus import free_port
from tests.web import scenario
from tests.web.conftest import Served, axe_violations

pytestmark = pytest.mark.integration
ADMIN, WEBHOOK = "pages-admin", "pages-hook"


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def world(tmp_path_factory, scenario_prometheus):
    work, prom = tmp_path_factory.mktemp("pages"), scenario_prometheus
    port = free_port()
    hook = f"http://127.0.0.1:{port}/api/v1/webhooks/alertmanager"
    with LocalAlertmanager(work / "am", webhook_url=hook, token=WEBHOOK) as am:
        settings = Settings(
            database_url=f"sqlite:///{work / 'register.db'}",
            prometheus_url=prom.url,
            alertmanager_url=am.url,
            grafana_url="http://grafana.example:3000",
            admin_token=ADMIN,
            webhook_token=WEBHOOK,
            prometheus_retries=0,
        )
        system = build(settings, catalogue=parse_catalogue(scenario.CATALOGUE), now=Clock(scenario.NOW))
        with Served(create_app(settings, system=system), port=port) as served:
            yield {"url": served.url, "am": am, "prom": prom, "system": system}
        system.close()


def _token(world, name: str, role: str) -> str:
    r = requests.post(
        f"{world['url']}/api/v1/tokens",
        json={"name": name, "role": role},
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return r.json()["secret"]


def _fire(world) -> dict:
    """An ErrorBudgetBurn alert posted to Alertmanager, delivered by it to the webhook: the incident."""
    alert = {
        "labels": {
            "alertname": "ErrorBudgetBurn",
            "service": "checkout",
            "slo": "availability",
            "severity": "page",
            "instance": "db-7.internal",
        },
        "annotations": {"summary": "checkout burns its error budget"},
        "generatorURL": f"{world['prom'].url}/graph?g0.expr=slo%3Asli_error%3Aratio_rate5m",
    }
    assert requests.post(f"{world['am'].url}/api/v2/alerts", json=[alert], timeout=10).status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = requests.get(
            f"{world['url']}/api/v1/incidents", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10
        ).json()
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError("Alertmanager's delivery opened no incident within a minute")


def _sign_in(context, url: str, token: str):
    page = context.new_page()
    page.goto(f"{url}/")
    assert page.url.startswith(f"{url}/sign-in")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
    return page


def _keyboard_to(page, text: str, first: bool = False) -> None:
    """Tab until the focused element reads ``text`` (the page is used with the keyboard alone)."""
    for _ in range(1 if first else 40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.innerText.trim()") == text:
            return
    raise AssertionError(f"no element reading {text!r} is reachable with the Tab key")


def _check(page, name: str, axe_source: str, screenshots, problems: list) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    problems += [f"{name}: {v}" for v in axe_violations(page, axe_source)]


def test_a_person_works_an_alert_incident_and_the_status_page_shows_it(world, browser, axe_source, screenshots):
    incident = _fire(world)
    url, problems = world["url"], []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = _sign_in(context, url, _token(world, "alice", "agent"))
    row = page.locator("#service-checkout")
    assert "Outage" in row.inner_text() or "down" in row.inner_text().lower()
    assert "ErrorBudgetBurn (page)" in row.inner_text()
    assert page.get_by_role("link", name="Grafana dashboard of Checkout").get_attribute("href") == (
        "http://grafana.example:3000/d/service-detail?var-service=checkout"
    )
    _check(page, "home", axe_source, screenshots, problems)

    page.get_by_role("link", name="Incidents", exact=True).click()
    _check(page, "incidents", axe_source, screenshots, problems)
    page.get_by_role("link", name=f"{incident['ref']}").first.click()
    assert page.locator("h1").inner_text().startswith(incident["ref"])
    assert "db-7.internal" in page.locator("table.labels").inner_text()
    assert page.get_by_role("link", name="The alert in Alertmanager").get_attribute("href").startswith(world["am"].url)
    assert (
        page.get_by_role("link", name="The alert's expression in Prometheus")
        .get_attribute("href")
        .startswith(world["prom"].url)
    )
    clocks = page.locator("table.clocks").inner_text()
    assert "Response" in clocks and "running" in clocks
    _check(page, "incident", axe_source, screenshots, problems)

    # a public update, posted through the status-updates form
    page.goto(f"{url}/register/status-updates/new")
    page.get_by_label("Title").fill("Checkout payments fail")
    page.get_by_label("Message").fill("Some customers cannot pay. We are on it.")
    page.get_by_label("checkout").check()
    page.get_by_label("Incidents").fill(incident["ref"])
    page.get_by_role("button", name="Create status update").click()
    assert "Created." in page.locator("main").inner_text()

    status = context.new_page()
    status.goto(f"{url}/status")
    text = status.locator("main").inner_text()
    assert "Some services are down" in text and "Outage" in text
    assert "Checkout payments fail" in text and "Some customers cannot pay." in text
    assert (
        "db-7" not in status.content() and "alice" not in status.content() and "ErrorBudgetBurn" not in status.content()
    )
    assert "Database upgrade" in text
    _check(status, "status", axe_source, screenshots, problems)

    page.goto(f"{url}/register/incidents/{incident['id']}")
    _keyboard_to(page, "Skip to content", first=True)
    page.keyboard.press("Enter")  # past the navigation, into the page's content
    _keyboard_to(page, "Ack → acknowledged")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Moved to acknowledged." in page.locator("main").inner_text()
    page.get_by_label("Reason (optional, kept in the history)").fill("restarted the database pool")
    page.get_by_role("button", name="Resolve").click()
    assert "Moved to resolved." in page.locator("main").inner_text()
    history = page.locator("table.history").inner_text()
    assert "acknowledged" in history and "restarted the database pool" in history and "alice" in history
    _check(page, "incident-resolved", axe_source, screenshots, problems)
    assert problems == []


def test_a_manager_approves_a_change_and_the_budget_gate_refuses_another(world, browser, axe_source, screenshots):
    url, problems = world["url"], []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = _sign_in(context, url, _token(world, "mia", "manager"))
    start, end = (
        scenario.NOW.replace(hour=1) + scenario.timedelta(days=5),
        scenario.NOW.replace(hour=3) + scenario.timedelta(days=5),
    )
    for title, service in (("Upgrade the checkout database", "checkout"), ("Tune payments timeouts", "payments")):
        page.goto(f"{url}/register/changes/new")
        page.get_by_label("Title").fill(title)
        page.get_by_label(service, exact=True).check()
        page.get_by_label("Planned start").fill(f"{start:%Y-%m-%dT%H:%M:%SZ}")
        page.get_by_label("Planned end").fill(f"{end:%Y-%m-%dT%H:%M:%SZ}")
        page.get_by_label("Maintenance window").check()
        page.get_by_role("button", name="Create change").click()
        assert "Created." in page.locator("main").inner_text()
        page.get_by_role("button", name="Approve").click()
        if service == "checkout":
            assert "Moved to approved." in page.locator("main").inner_text()
    alert = page.get_by_role("alert").inner_text()
    assert "error budget gate refused the move to approved" in alert
    assert "payments/latency: no value of slo:period_error_budget_remaining:ratio" in alert
    assert page.get_by_label("Justification for passing the error budget gate").is_visible()
    _check(page, "change-refused", axe_source, screenshots, problems)
    page.get_by_label("Justification for passing the error budget gate").fill("CAB call: latency SLO has no budget yet")
    page.get_by_role("button", name="Override and move to approved").click()
    assert "Moved to approved." in page.locator("main").inner_text()
    history = page.locator("table.history").inner_text()
    assert "override:error budget" in history.replace("_", " ") and "CAB call: latency SLO has no budget yet" in history

    page.goto(f"{url}/register/changes/new")
    page.get_by_role("button", name="Create change").click()
    assert "title: String should have at least 1 character" in page.get_by_role("alert").inner_text()
    _check(page, "change-form-errors", axe_source, screenshots, problems)

    for name, path in (
        ("register", "/register"),
        ("reports", "/reports"),
        ("sla-report", "/reports/availability"),
        ("capacity-report", "/reports/capacity"),
    ):
        page.goto(url + path)
        if path.startswith("/reports/"):
            page.frame_locator("iframe.report").locator("h1").wait_for(timeout=400_000)
        _check(page, name, axe_source, screenshots, problems)
    status = context.new_page()
    status.goto(f"{url}/status")
    assert "Scheduled maintenance" in status.locator("main").inner_text()
    sign_in = browser.new_context(bypass_csp=True).new_page()
    sign_in.goto(f"{url}/sign-in")
    _check(sign_in, "sign-in", axe_source, screenshots, problems)
    assert problems == []
