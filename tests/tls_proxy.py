"""A TLS-terminating reverse proxy in front of a real server, as deployments put one: HTTPS on a
loopback port with a self-signed certificate for 127.0.0.1, plain HTTP to the server behind it.
It keeps the bytes of every request and answer body it passes on (``seen``), as such a proxy could."""

from __future__ import annotations

import ssl
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mail_server import self_signed_certificate

FORWARDED_HEADERS = ("Content-Type", "Accept", "X-Runner-Token")


class TlsProxy:
    def __init__(self, upstream: str, directory: Path) -> None:
        self.certificate, key = self_signed_certificate(directory)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                request = urllib.request.Request(upstream + self.path, data=body, method=self.command,
                                                 headers={name: self.headers[name] for name in FORWARDED_HEADERS
                                                          if self.headers.get(name)})
                if body:
                    proxy.seen.append(body)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, headers, answer = response.status, response.headers, response.read()
                except urllib.error.HTTPError as error:
                    status, headers, answer = error.code, error.headers, error.read()
                proxy.seen.append(answer)
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type") or "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, format: str, *args: object) -> None:
                proxy.requests += 1

        self.requests = 0
        self.seen: list[bytes] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
