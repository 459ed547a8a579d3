"""Email through a local SMTP server (aiosmtpd), in the clear and over STARTTLS with credentials, and
Slack-shaped incoming webhooks: what arrives, and that no secret is shown."""

from __future__ import annotations

import json
import ssl
import subprocess

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from sms_metrics.localstack.prometheus import free_port
from tests.notify.conftest import deliveries, running, subscribe
from tests.notify.receivers import Mailbox, Recorder
from tests.register.conftest import Database


def test_an_email_goes_through_smtp_with_the_event_in_subject_and_body(sqlite_db):
    mailbox = Mailbox()
    port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with running(sqlite_db, smtp_host="127.0.0.1", smtp_port=port, smtp_from="sms@example.org") as c:
            subscribe(c, channel="email", email_to=["cab@example.org", "ops@example.org"], events=["change.approved"])
            change = c.post(
                "/api/v1/changes",
                json={"title": "Patch the load balancer", "services": ["checkout"], "type": "emergency"},
                headers=c.admin,
            ).json()
            r = c.post(
                f"/api/v1/changes/{change['id']}/transitions", json={"to": "approved", "reason": "CVE"}, headers=c.admin
            )
            assert r.status_code == 200
            [msg] = mailbox.wait(1)
            assert msg["Subject"] == f"[sms-metrics] change.approved: {change['ref']} Patch the load balancer"
            assert msg["From"] == "sms@example.org" and msg["To"] == "cab@example.org, ops@example.org"
            assert sorted(mailbox.envelopes[0].rcpt_tos) == ["cab@example.org", "ops@example.org"]
            text = msg.get_payload(decode=True).decode()
            assert "change.approved (change.moved:approved)" in text
            assert "Status: approved" in text and "Reason: CVE" in text and "Services: checkout" in text
    finally:
        smtp.stop()


def test_email_goes_through_starttls_with_credentials_and_a_wrong_password_fails_for_good(sqlite_db, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"right horse", handled=False)

    mailbox, port = Mailbox(), free_port()
    smtp = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
        authenticator=authenticator, auth_required=True,
    )  # fmt: skip
    smtp.start()
    common = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "starttls", "smtp_ca_file": cert}
    try:
        with running(sqlite_db, smtp_username="sms", smtp_password="right horse", **common) as c:
            subscribe(c, channel="email", email_to=["ops@example.org"], events=["incident.opened"])
            c.post("/api/v1/incidents", json={"title": "over TLS", "service": "checkout"}, headers=c.admin)
            [msg] = mailbox.wait(1)
            assert msg["Subject"].endswith("over TLS") and logins == [(b"sms", b"right horse")]
        with running(
            Database(f"sqlite:///{tmp_path / 'other.db'}"), smtp_username="sms", smtp_password="wrong", **common
        ) as c:
            sub = subscribe(c, channel="email", email_to=["ops@example.org"], events=["incident.opened"])
            c.post("/api/v1/incidents", json={"title": "refused", "service": "checkout"}, headers=c.admin)
            [d] = deliveries(c, sub["id"], until=lambda rows: rows and rows[0]["status"] == "failed")
            assert d["attempts"] == 1 and d["last_error"].startswith("SMTP 535")
            assert "wrong" not in json.dumps(d)
    finally:
        smtp.stop()


def test_slack_gets_a_text_message_and_its_url_is_never_shown(sqlite_db):
    slack = Recorder()
    hook = slack.url + "/services/T000/B000/XXXXSECRET"
    with running(sqlite_db) as c:
        sub = subscribe(c, channel="slack", url=hook, events=["release.failed", "incident.escalated"])
        assert sub["url"] == slack.url + "/***" and sub["has_secret"]
        inc = c.post("/api/v1/incidents", json={"title": "Cart is empty", "service": "desk"}, headers=c.admin).json()
        c.post(f"/api/v1/incidents/{inc['id']}/transitions", json={"to": "escalated"}, headers=c.admin)
        [(path, _headers, body)] = slack.wait(1)
        assert path == "/services/T000/B000/XXXXSECRET"
        assert json.loads(body) == {
            "text": f"*incident.escalated* {inc['ref']} Cart is empty\nservices: desk · status: escalated"
        }
        shown = [
            c.get(f"/api/v1/notification-subscriptions/{sub['id']}/history", headers=c.admin).text,
            c.get("/api/v1/notification-subscriptions", headers=c.admin).text,
        ]
        assert not any("XXXXSECRET" in t for t in shown)
    slack.close()
