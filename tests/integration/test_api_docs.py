"""/docs (Swagger UI) and /redoc work without internet access: every asset comes from the service."""

from __future__ import annotations

import re

import pytest
import requests

from sms_metrics.config import Settings
from sms_metrics.localstack.prometheus import free_port
from sms_metrics.localstack.service import ServiceThread

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    settings = Settings(database_url=f"sqlite:///{tmp / 'register.db'}", work_dir=tmp)
    with ServiceThread(settings, catalogue=None, probe_paths=[], port=free_port()) as svc:
        yield svc


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_local_assets(service, page):
    html = requests.get(service.url + page, timeout=10).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        got = requests.get(service.url + asset, timeout=10)
        assert got.status_code == 200 and len(got.content) > 100, asset


def test_swagger_ui_renders_every_route_with_the_internet_blocked(service, tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(service.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", only_local)
        page.goto(f"{service.url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = set(page.locator(".opblock-summary-path").all_inner_texts())
        title = page.locator(".info .title").first.inner_text()
        page.screenshot(path=str(tmp_path / "docs.png"))
        browser.close()
    assert outside == []
    assert title.startswith("sms-metrics")
    assert {"/api/v1/webhooks/alertmanager", "/api/v1/incidents", "/metrics", "/healthz"} <= {
        p.replace("\u200b", "") for p in paths
    }
