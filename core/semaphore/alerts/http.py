"""JSON POSTs for chat notifiers: a timeout, non-2xx is a failure, and errors never name the URL
(webhook URLs and bot tokens are secrets)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from semaphore.errors import SemaphoreError

#: Seconds one attempt may take (connect plus answer); the alert sender holds an alert 30 s per attempt.
TIMEOUT = 10.0


class AlertSendError(SemaphoreError):
    """An alert could not be delivered; the message is safe to log (no URL, no token)."""


def post_json(url: str, payload: Any, timeout: float | None = None) -> int:
    """POST ``payload`` as JSON to ``url`` within ``timeout`` seconds (default :data:`TIMEOUT`, read
    at each call); the HTTP status. Raises :class:`AlertSendError`."""
    timeout = TIMEOUT if timeout is None else timeout
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- configured URL
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection
        raise AlertSendError(f"the server answered HTTP {error.code}") from None
    except TimeoutError:
        raise AlertSendError(f"no answer within {timeout:g} seconds") from None
    except urllib.error.URLError as error:
        # error.reason is an OSError or a string; neither holds the URL.
        raise AlertSendError(f"cannot connect: {_reason(error.reason, timeout)}") from None
    except (OSError, ValueError) as error:
        raise AlertSendError(f"cannot send: {type(error).__name__}") from None


def _reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} seconds"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) if isinstance(reason, str) else type(reason).__name__
