"""Probers against servers started by the test on 127.0.0.1: the values a user would read."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from pathlib import Path

import pytest
import yaml

from sms_metrics.localstack.prometheus import free_port
from sms_metrics.probing.config import load_probe_files
from sms_metrics.probing.metrics import registry_for
from sms_metrics.probing.runner import run_once
from tests.integration import probe_servers as srv
from tests.integration.conftest import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.serial]  # probe timings and timeouts: run alone


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    cert, key, expires = srv.self_signed(tmp, days=3)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    http, https = srv.serve_http(), srv.serve_http(ctx)
    client_dir = tmp / "client"
    client_dir.mkdir()
    client_cert, client_key, _ = srv.self_signed(client_dir, days=30)
    mctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    mctx.load_cert_chain(cert, key)
    mctx.verify_mode = ssl.CERT_REQUIRED
    mctx.load_verify_locations(client_cert)
    mtls = srv.serve_http(mctx)
    silent = srv.Silent()
    return {
        "http": f"http://127.0.0.1:{http.server_port}",
        "https": f"https://localhost:{https.server_port}",
        "mtls": f"https://localhost:{mtls.server_port}",
        "client_cert": client_cert,
        "client_key": client_key,
        "tls_port": https.server_port,
        "cert": cert,
        "expires": expires.timestamp(),
        "silent": silent.port,
        "ssh": srv.serve_banner(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n"),
        "smtp": srv.serve_banner(b"220 mail\r\n"),
        "dns": srv.serve_dns({"svc.shop.test.": "192.0.2.10"}),
        "refused": free_port(),
    }


def _probe_file(tmp_path: Path, s: dict) -> Path:
    doc = {
        "apiVersion": "sms-metrics/v1",
        "modules": {
            "http_2xx": {"prober": "http", "timeout": "3s"},
            "http_body": {
                "prober": "http",
                "timeout": "3s",
                "http": {
                    "fail_if_body_matches_regexp": ["maintenance"],
                    "fail_if_header_not_matches": [{"header": "X-Service", "regexp": "shop"}],
                },
            },
            "http_no_redirects": {
                "prober": "http",
                "timeout": "3s",
                "http": {"follow_redirects": False, "valid_status_codes": [302]},
            },
            "https_insecure": {"prober": "http", "timeout": "3s", "http": {"tls_verify": False}},
            "https_verified": {"prober": "http", "timeout": "3s"},
            "https_own_ca": {"prober": "http", "timeout": "3s", "http": {"tls_config": {"ca_file": str(s["cert"])}}},
            "quick": {"prober": "http", "timeout": "1s"},
            "mtls": {
                "prober": "http",
                "timeout": "3s",
                "http": {
                    "tls_config": {
                        "ca_file": str(s["cert"]),
                        "cert_file": str(s["client_cert"]),
                        "key_file": str(s["client_key"]),
                    }
                },
            },
            "tcp_tls": {"prober": "tcp", "timeout": "2s", "tcp": {"tls": True, "tls_verify": False}},
            "ssh": {"prober": "tcp", "timeout": "2s", "tcp": {"query_response": [{"expect": "^SSH-2.0-"}]}},
            "dns_a": {
                "prober": "dns",
                "timeout": "2s",
                "dns": {
                    "query_name": "svc.shop.test",
                    "query_type": "A",
                    "fail_if_answer_not_matches_regexp": ["192\\.0\\.2\\.10"],
                },
            },
            "dns_missing": {"prober": "dns", "timeout": "2s", "dns": {"query_name": "nope.shop.test"}},
        },
        "targets": [
            {"name": n, "service": "shop", "module": m, "target": t, "interval": "15s"}
            for n, m, t in [
                ("ok", "http_2xx", f"{s['http']}/ok"),
                ("fail", "http_2xx", f"{s['http']}/fail"),
                ("redirects", "http_2xx", f"{s['http']}/r1"),
                ("redirect-kept", "http_no_redirects", f"{s['http']}/r1"),
                ("loop", "http_2xx", f"{s['http']}/loop"),
                ("body-ok", "http_body", f"{s['http']}/ok"),
                ("body-bad", "http_body", f"{s['http']}/maintenance"),
                ("hang", "quick", f"http://127.0.0.1:{s['silent']}/"),
                ("refused", "http_2xx", f"http://127.0.0.1:{s['refused']}/"),
                ("tls-insecure", "https_insecure", f"{s['https']}/ok"),
                ("tls-verified", "https_verified", f"{s['https']}/ok"),
                ("tls-own-ca", "https_own_ca", f"{s['https']}/ok"),
                ("mtls", "mtls", f"{s['mtls']}/ok"),
                ("mtls-no-cert", "https_own_ca", f"{s['mtls']}/ok"),
                ("tcp-tls", "tcp_tls", f"localhost:{s['tls_port']}"),
                ("ssh", "ssh", f"127.0.0.1:{s['ssh']}"),
                ("not-ssh", "ssh", f"127.0.0.1:{s['smtp']}"),
                ("dns", "dns_a", f"127.0.0.1:{s['dns']}"),
                ("dns-nx", "dns_missing", f"127.0.0.1:{s['dns']}"),
            ]
        ],
    }
    path = tmp_path / "probes.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def results(servers, tmp_path_factory):
    path = _probe_file(tmp_path_factory.mktemp("probes"), servers)
    modules, targets = load_probe_files([path])
    start = time.perf_counter()
    out = asyncio.run(run_once(targets, modules))
    return {r.name: r for r in out}, time.perf_counter() - start, path


def test_http_200_and_500(results):
    r, _, _ = results
    assert r["ok"].success and r["ok"].status_code == 200 and r["ok"].error is None
    assert set(r["ok"].phases) == {"resolve", "connect", "tls", "processing", "transfer"}
    assert r["ok"].phases["connect"] > 0 and r["ok"].phases["tls"] == 0
    assert not r["fail"].success and r["fail"].status_code == 500
    assert r["fail"].error == "status code 500 is not valid (2xx)"


def test_redirect_chains_are_followed_or_kept(results):
    r, _, _ = results
    assert r["redirects"].success and r["redirects"].status_code == 200 and r["redirects"].redirects == 2
    assert r["redirect-kept"].success and r["redirect-kept"].status_code == 302
    assert not r["loop"].success and r["loop"].error == "more than 10 redirects"


def test_body_and_header_checks(results):
    r, _, _ = results
    assert r["body-ok"].success
    assert not r["body-bad"].success and r["body-bad"].error == "body matched 'maintenance'"


def test_a_hanging_target_times_out_without_delaying_the_others(results):
    r, elapsed, _ = results
    assert not r["hang"].success and r["hang"].error == "timeout after 1s"
    assert 0.9 < r["hang"].duration_seconds < 1.5
    assert elapsed < 2.5  # everything ran concurrently
    assert r["ok"].duration_seconds < 0.5


def test_a_refused_port(results):
    r, _, _ = results
    assert not r["refused"].success and r["refused"].error.endswith("connection refused")


def test_self_signed_certificate_expiring_in_three_days(results, servers):
    r, _, _ = results
    assert r["tls-insecure"].success and r["tls-insecure"].phases["tls"] > 0
    assert r["tls-insecure"].ssl_earliest_cert_expiry == pytest.approx(servers["expires"], abs=1)
    assert not r["tls-verified"].success and "certificate" in r["tls-verified"].error.lower()
    assert r["tls-own-ca"].success  # trusting the certificate through ca_file


def test_client_certificates(results):
    r, _, _ = results
    assert r["mtls"].success and r["mtls"].status_code == 200
    assert not r["mtls-no-cert"].success


def test_tcp_over_tls_reports_the_certificate(results, servers):
    r, _, _ = results
    assert r["tcp-tls"].success
    assert r["tcp-tls"].ssl_earliest_cert_expiry == pytest.approx(servers["expires"], abs=1)


def test_tcp_banner_check(results):
    r, _, _ = results
    assert r["ssh"].success
    assert not r["not-ssh"].success and "expected '^SSH-2.0-', got '220 mail'" in r["not-ssh"].error


def test_dns_answers_from_a_local_server(results):
    r, _, _ = results
    assert r["dns"].success and r["dns"].dns_lookup_seconds > 0
    assert not r["dns-nx"].success and r["dns-nx"].error == "rcode NXDOMAIN is not one of NOERROR"


def test_metrics_are_blackbox_compatible(results, servers):
    r, _, _ = results
    from prometheus_client import generate_latest

    text = generate_latest(registry_for([r["ok"], r["tls-insecure"], r["dns"]])).decode()
    assert 'probe_success{probe="ok",service="shop",supplier=""} 1.0' in text
    assert 'probe_http_status_code{probe="ok",service="shop",supplier=""} 200.0' in text
    assert 'probe_http_duration_seconds{phase="connect",probe="ok",service="shop",supplier=""}' in text
    assert 'probe_ssl_earliest_cert_expiry{probe="tls-insecure",service="shop",supplier=""} ' in text
    assert 'probe_dns_lookup_time_seconds{probe="dns",service="shop",supplier=""}' in text


def test_probe_once_cli_prints_the_json_contract_and_exits_0(results):
    _, _, path = results
    done = run_cli("probe", "--config", str(path), "--once", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert set(rows["ok"]) == {
        "name",
        "service",
        "module",
        "target",
        "success",
        "duration_seconds",
        "status_code",
        "error",
    }
    assert rows["ok"]["success"] is True and rows["ok"]["status_code"] == 200
    assert rows["ssh"]["status_code"] is None and rows["fail"]["success"] is False


def test_probe_once_fails_on_down_for_scripts(results):
    _, _, path = results
    done = run_cli("probe", "--config", str(path), "--once", "--format", "text", "--fail-on-down")
    failed = sum(line.startswith("FAIL") for line in done.stdout.splitlines())
    assert failed > 0 and done.returncode == 1 and f"{failed} probe(s) failed" in done.stderr


def test_invalid_probe_files_are_refused_with_paths(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""apiVersion: sms-metrics/v1
modules:
  web: {prober: http, timeout: 5 seconds}
  dns_x: {prober: dns}
targets:
  - {name: a, service: shop, module: web, target: "ftp://x", interval: 15s}
  - {name: b, service: shop, module: nope, target: "http://x", interval: 15s}
""")
    done = run_cli("probe", "--config", str(bad), "--once")
    assert done.returncode == 2
    assert "modules.web.timeout: invalid duration '5 seconds'" in done.stderr
    assert "modules.dns_x: a dns module needs dns.query_name" in done.stderr
    assert "Traceback" not in done.stderr


def test_ip_protocol_preference_and_ipv6_targets():
    import socket
    import threading
    from http.server import ThreadingHTTPServer

    from sms_metrics.probing.config import Module, Target
    from sms_metrics.probing.net import resolve
    from sms_metrics.probing.runner import run_probe

    class V6Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    server = V6Server(("::1", 0), srv.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = Target(name="v6", service="shop", module="m", target=f"http://[::1]:{server.server_port}/ok")
    result = asyncio.run(run_probe(target, Module(prober="http", timeout="2s")))
    assert result.success and result.status_code == 200
    try:
        v6 = [i[4][0] for i in socket.getaddrinfo("localhost", None, socket.AF_INET6)]
    except socket.gaierror:
        v6 = []
    assert asyncio.run(resolve("localhost", "ip4"))[0] == "127.0.0.1"
    if v6:
        assert asyncio.run(resolve("localhost", "ip6"))[0] == v6[0]
    else:  # no IPv6 name for localhost (as on this machine): ip6 falls back unless told not to
        assert asyncio.run(resolve("localhost", "ip6"))[0] == "127.0.0.1"
        with pytest.raises(OSError, match="cannot resolve localhost"):
            asyncio.run(resolve("localhost", "ip6", fallback=False))
    server.shutdown()


def test_tls_contexts_are_built_before_the_clock_starts(servers, tmp_path):
    """Loading a CA store blocks the loop; run_once does it before any probe's timeout runs, and a
    CA file that cannot be read is still reported by the probe that needs it."""
    from sms_metrics.probing.config import Module, Target
    from sms_metrics.probing.net import tls_context
    from sms_metrics.probing.runner import prepare

    own_ca = Module(prober="http", http={"tls_config": {"ca_file": str(servers["cert"])}})
    missing = Module(prober="http", http={"tls_config": {"ca_file": str(tmp_path / "nope.pem")}})
    tls_context.cache_clear()
    prepare({"own_ca": own_ca, "missing": missing})
    assert tls_context.cache_info().currsize == 1  # own_ca built; the missing file left for the probe
    hits = tls_context.cache_info().hits
    target = Target(name="x", service="shop", module="missing", target=f"{servers['https']}/ok")
    out = asyncio.run(run_once([target], {"missing": missing}))
    assert not out[0].success and "nope.pem" in out[0].error
    ok = Target(name="y", service="shop", module="own_ca", target=f"{servers['https']}/ok")
    assert asyncio.run(run_once([ok], {"own_ca": own_ca}))[0].success
    assert tls_context.cache_info().hits > hits  # the probe used the context built ahead
