"""The pages' tests: a served app (uvicorn in a thread on a free port), headless Chromium (Debian's,
driven by Playwright), axe-core from npm, a test client that signs in, and the screenshots directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from sms_metrics.localstack.prometheus import free_port
from tests.register.conftest import (  # noqa: F401  (the register on SQLite and PostgreSQL)
    db,
    postgres,
    postgres_template,
    sqlite_template,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_VERSION = "4.10.3"


class Served:
    """An app served by uvicorn on 127.0.0.1 in a thread (lifespan included)."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in_client(app, token: str) -> TestClient:
    """A test client with a page session for ``token``; ``client.csrf`` is the session's CSRF token."""
    client = TestClient(app)
    form = client.get("/sign-in")
    r = client.post(
        "/sign-in", data={"csrf_token": csrf_of(form.text), "token": token, "next": "/"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    client.csrf = csrf_of(client.get("/register").text)
    return client


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory) -> str:
    """axe.min.js of axe-core, installed from npm into a temporary directory (nothing is committed)."""
    if shutil.which("npm") is None:
        pytest.fail("npm is needed for the accessibility check (Debian package npm)")
    where = tmp_path_factory.mktemp("axe")
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(where), f"axe-core@{AXE_VERSION}"],
        check=True,
        timeout=300,
    )
    return (where / "node_modules" / "axe-core" / "axe.min.js").read_text()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the browser tests keep their screenshots (the test artefacts): $SMS_SCREENSHOT_DIR, else
    test-artifacts/screenshots/ of the checkout (git-ignored), overwritten at every run."""
    chosen = os.environ.get("SMS_SCREENSHOT_DIR")
    where = Path(chosen) if chosen else Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    where.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the pages: {where}")
    return where


def axe_violations(page, source: str, impacts=("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` on the page (frames included), as one line each."""
    for frame in page.frames:
        frame.evaluate(source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture(scope="session")
def scenario_prometheus(tmp_path_factory):
    """A real Prometheus over the scenario's 91 days of history (tests/web/scenario.py)."""
    from sms_metrics.localstack.prometheus import LocalPrometheus
    from tests.web import scenario

    work = tmp_path_factory.mktemp("scenario")
    scenario.write_history(work)
    with LocalPrometheus(work) as prom:
        yield prom
