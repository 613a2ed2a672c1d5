"""HTTP to an identity provider, with every failure turned into an error a user can act on.

A provider that cannot be reached, or answers with a server error or something that is not JSON,
is a 503 (:class:`ServiceUnavailable`): the login may work again later. A provider that refuses
what we sent (4xx) is a 401: the login itself failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from semaphore.plugin_api.errors import SemaphoreError, ServiceUnavailable, Unauthorized

if TYPE_CHECKING:
    import requests

TIMEOUT = 10  # seconds; a browser is waiting for the answer


def get_json(provider_id: str, what: str, url: str, session: Any = None) -> dict[str, Any]:
    """GET ``url`` (the provider's ``what``) as a JSON object; ``session`` may add the access token."""
    import requests

    try:
        response = (session or requests).get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise unreachable(provider_id, what, url, exc) from None
    return json_object(provider_id, what, url, response)


def json_object(provider_id: str, what: str, url: str, response: requests.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise status_error(provider_id, what, url, response)
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ServiceUnavailable(f"OpenID provider {provider_id!r}: its {what} ({url}) did not answer "
                                 "with a JSON object")
    return data


def status_error(provider_id: str, what: str, url: str, response: requests.Response) -> SemaphoreError:
    if response.status_code >= 500:
        return ServiceUnavailable(f"OpenID provider {provider_id!r}: its {what} ({url}) answered "
                                  f"{response.status_code}; try again later")
    return Unauthorized(f"OpenID provider {provider_id!r}: its {what} refused the request "
                        f"({response.status_code}{_error_text(response)})")


def unreachable(provider_id: str, what: str, url: str, exc: Exception) -> ServiceUnavailable:
    reason = type(exc).__name__
    return ServiceUnavailable(f"OpenID provider {provider_id!r} cannot be reached: its {what} ({url}) "
                              f"failed with {reason}; try again later")


def _error_text(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict) or "error" not in data:
        return ""
    description = data.get("error_description")
    return f": {data['error']}" + (f" -- {description}" if description else "")
