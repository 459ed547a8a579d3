"""The http prober's own HTTP/1.1 client against a raw server that frames answers every way."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading

import pytest

from sms_metrics.probing.config import Module, Target
from sms_metrics.probing.runner import run_probe

pytestmark = pytest.mark.integration
BODY = b"all systems go " * 500
WHOLE = r"\A(all systems go ){500}\Z"  # the body, exactly: nothing lost, doubled or left framed

ANSWERS = {
    "/chunked": [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"1f4;ext=1\r\n" + BODY[:500] + b"\r\n",
        b"%x\r\n" % (len(BODY) - 500) + BODY[500:],
        b"\r\n0\r\nX-Trailer: t\r\n\r\n",
    ],
    "/continue": [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"],
    "/close": [b"HTTP/1.0 200 OK\r\n\r\n", BODY[:1000], BODY[1000:]],
    "/gzip": [
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gzip.compress(BODY)),
        gzip.compress(BODY),
    ],
    "/cut": [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"],
    "/garbage": [b"SSH-2.0-OpenSSH_9.2\r\n\r\n"],
    "/headers": [b"HTTP/1.1 204 No Content\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: s=1\r\n\r\n"],
}


def _serve() -> int:
    """A server that writes each answer in separate packets, then closes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    def handle(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            path = request.split(b" ")[1].decode()
            for part in ANSWERS[path]:
                conn.sendall(part)
                threading.Event().wait(0.01)

    def loop() -> None:
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return sock.getsockname()[1]


@pytest.fixture(scope="module")
def results():
    port = _serve()
    module = Module(
        prober="http",
        timeout="2s",
        http={"fail_if_body_not_matches_regexp": [WHOLE], "valid_status_codes": [200, 201, 204]},
    )
    headers = Module(
        prober="http", timeout="2s", http={"fail_if_header_not_matches": [{"header": "X-A", "regexp": "^1, 2$"}]}
    )

    async def all_paths():
        out = {}
        for path in ANSWERS:
            mod = headers if path == "/headers" else module
            target = Target(name="w", service="s", module="m", target=f"http://127.0.0.1:{port}{path}")
            out[path] = await run_probe(target, mod)
        return out

    return asyncio.run(all_paths())


def test_chunked_bodies_in_pieces_with_extensions_and_trailers(results):
    assert results["/chunked"].success, results["/chunked"].error


def test_interim_100_continue_is_skipped(results):
    r = results["/continue"]
    assert r.status_code == 201 and not r.success and r.error == f"body did not match {WHOLE!r}"


def test_close_delimited_and_gzip_bodies(results):
    assert results["/close"].success and results["/close"].status_code == 200
    assert results["/gzip"].success  # the regex sees the decoded text


def test_a_body_cut_short_or_a_non_http_answer_fails_with_a_reason(results):
    assert not results["/cut"].success and "in the middle of the body" in results["/cut"].error
    assert not results["/garbage"].success and "not an HTTP/1.x status line" in results["/garbage"].error


def test_repeated_headers_are_joined_and_names_are_case_blind(results):
    assert results["/headers"].success and results["/headers"].status_code == 204
