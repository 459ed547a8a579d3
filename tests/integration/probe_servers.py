"""Local servers the probe tests aim at: HTTP(S), a silent TCP listener, a banner server, DNS."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.message
import dns.rcode
import dns.rrset

from sms_metrics.demo.target import self_signed  # noqa: F401 - the tests' certificates


class Handler(BaseHTTPRequestHandler):
    routes = {
        "/ok": (200, {"X-Service": "shop"}, b"hello, all systems go"),
        "/fail": (500, {}, b"internal error"),
        "/maintenance": (200, {}, b"down for maintenance"),
        "/r1": (302, {"Location": "/r2"}, b""),
        "/r2": (301, {"Location": "/ok"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
    }

    def do_GET(self):
        code, headers, body = self.routes.get(self.path.split("?")[0], (404, {}, b"not found"))
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve_http(tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Silent:
    """Accepts connections and never answers (the hanging target)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)


def serve_banner(banner: bytes) -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    def loop():
        while True:
            conn, _ = sock.accept()
            conn.sendall(banner)
            conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return sock.getsockname()[1]


def serve_dns(records: dict[str, str]) -> int:
    """A UDP DNS server answering A queries from ``records``; NXDOMAIN otherwise."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def loop():
        while True:
            data, addr = sock.recvfrom(4096)
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            qname = query.question[0].name.to_text()
            if qname in records:
                reply.answer.append(dns.rrset.from_text(qname, 60, "IN", "A", records[qname]))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), addr)

    threading.Thread(target=loop, daemon=True).start()
    return sock.getsockname()[1]
