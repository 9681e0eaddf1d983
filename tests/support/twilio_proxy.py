"""Twilio's REST host for processes the test starts (web nodes, workers), which build the twilio
library's own client: an HTTPS proxy (HTTPS_PROXY, honoured by requests) that answers CONNECT to
api.twilio.com with TLS under a test certificate (REQUESTS_CA_BUNDLE) and hands each request to
the Prism mock of Twilio's spec, recording what was asked. Nothing reaches the real Twilio."""

from __future__ import annotations

import socketserver
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

HOST = "api.twilio.com"


def _read_head(stream) -> tuple[str, dict[str, str]]:
    first = stream.readline().decode("latin-1").strip()
    headers = {}
    while (line := stream.readline().decode("latin-1").strip()):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return first, headers


class TwilioProxy:
    """`requests` (path, form body) asked of Twilio through the proxy, answered by Prism."""

    def __init__(self, prism_url: str, folder: Path) -> None:
        self.cert, key = folder / "api-twilio.pem", folder / "api-twilio.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                        "-keyout", str(key), "-out", str(self.cert)], check=True, capture_output=True)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(self.cert, key)
        self.requests: list[tuple[str, str, str]] = []
        self.refused: list[str] = []  # what Prism found against Twilio's spec
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                first, _ = _read_head(self.rfile)
                if not first.startswith(f"CONNECT {HOST}:443 "):
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                conn = tls.wrap_socket(self.connection, server_side=True)
                with conn, conn.makefile("rwb") as stream:
                    line, headers = _read_head(stream)
                    method, path, _ = line.split(" ", 2)
                    body = stream.read(int(headers.get("content-length", 0) or 0))
                    proxy.requests.append((method, path.split("?")[0], body.decode()))
                    forwarded = Request(prism_url + path, data=body or None, method=method, headers={
                        k: v for k, v in headers.items() if k in {"authorization", "content-type", "accept"}})
                    try:
                        with urlopen(forwarded, timeout=10) as answer:
                            status, reply, kind = answer.status, answer.read(), answer.headers["Content-Type"]
                    except HTTPError as e:
                        status, reply, kind = e.code, e.read(), e.headers["Content-Type"]
                    head = (f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n"
                            f"Content-Length: {len(reply)}\r\nConnection: close\r\n\r\n")
                    stream.write(head.encode() + reply)
                    if status in {401, 404, 405, 422}:
                        proxy.refused.append(f"{method} {path} -> {status}: {reply[:300]!r}")
                    stream.flush()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def calls_created(self) -> list[str]:
        return [body for method, path, body in self.requests
                if method == "POST" and path.endswith("/Calls.json")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
