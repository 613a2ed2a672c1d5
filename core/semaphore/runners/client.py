"""The runner protocol, ``/api/internal/runners``, as the runner speaks it: JSON over HTTP(S) with
the standard library, the runner's token in ``X-Runner-Token``.

Failures come in two kinds: :class:`ServerAway` (no answer, or a gateway's 5xx: worth trying again
later) and :class:`ServerRefused` (the server answered no: trying again changes nothing).
"""

from __future__ import annotations

import json
import logging
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from semaphore.config import RunnerConfig
from semaphore.errors import ConfigError, SemaphoreError

log = logging.getLogger(__name__)

RUNNERS_PATH = "/api/internal/runners"
TIMEOUT = 30.0
RETRY_STATUSES = {408, 429}  # a busy server or proxy, not a refusal


class ServerAway(SemaphoreError):
    """The server did not answer, or a proxy answered for it with 5xx."""


class ServerRefused(SemaphoreError):
    """The server answered with an error; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RunnerClient:
    """One server, as ``web_host`` and the runner's connection settings name it."""

    def __init__(self, web_host: str, runner: RunnerConfig, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(web_host)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError("web_host: set it to the server's URL, e.g. https://semaphore.example.com"
                              if not web_host else f"web_host: {web_host!r} is no http:// or https:// URL")
        self.url = web_host.rstrip("/") + RUNNERS_PATH
        self.timeout = timeout
        self._tls = tls_context(runner) if parts.scheme == "https" else None

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST the registration; the server's answer ({"id", "token"})."""
        answer = self._request("POST", body=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str) or not answer["token"]:
            raise SemaphoreError(f"the server at {self.url} answered the registration without a token")
        return answer

    def poll(self, token: str) -> dict[str, Any]:
        answer = self._request("GET", token=token)
        if not isinstance(answer, dict):
            raise ServerAway(f"the server at {self.url} answered the poll with no JSON object")
        return answer

    def report(self, token: str, body: dict[str, Any]) -> None:
        """PUT a progress report; returns once the server stored it (204)."""
        self._request("PUT", body=body, token=token)

    def unregister(self, token: str) -> None:
        self._request("DELETE", token=token)

    def _request(self, method: str, *, body: Any = None, token: str = "") -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("X-Runner-Token", token)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._tls) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise _refusal(error, self.url) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, ssl.SSLCertVerificationError):
                raise SemaphoreError(f"{self.url}: the server's certificate is not trusted "
                                     f"({error.reason.verify_message}); set runner.ca_file") from None
            raise ServerAway(f"cannot reach {self.url}: {_reason(error.reason)}") from None
        except (OSError, ssl.SSLError) as error:  # timeouts and connections reset mid-answer
            raise ServerAway(f"cannot reach {self.url}: {_reason(error)}") from None
        return _json(raw) if raw else None


def tls_context(runner: RunnerConfig) -> ssl.SSLContext:
    """Verifies the server against runner.ca_file (or the system's authorities), unless
    runner.skip_verify says not to."""
    try:
        context = ssl.create_default_context(cafile=runner.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"runner.ca_file: cannot use {runner.ca_file}: {_reason(exc)}") from None
    if runner.skip_verify:
        log.warning("runner.skip_verify is on: the server's certificate is not checked")
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _refusal(error: urllib.error.HTTPError, url: str) -> SemaphoreError:
    try:
        answer = _json(error.read())
    except (OSError, SemaphoreError):
        answer = None
    message = answer.get("error") if isinstance(answer, dict) else None
    if error.code == 404:  # the URL is wrong rather than the request: say which URL
        text = f"the server answered 404 at {url}: is web_host the Semaphore server's URL?"
    else:
        text = f"the server answered {error.code}" + (f": {message}" if message else f" at {url}")
    if error.code >= 500 or error.code in RETRY_STATUSES:
        return ServerAway(text)
    return ServerRefused(error.code, text)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise SemaphoreError("the server's answer is no JSON: is web_host the Semaphore server's URL?") from None


def _reason(error: object) -> str:
    return str(getattr(error, "strerror", None) or getattr(error, "reason", None) or error)
