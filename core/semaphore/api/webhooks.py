"""The public webhook endpoint: ``GET|POST /api/integrations/<alias>`` (no login).

The request authenticates itself to each integration its alias reaches (see
:mod:`semaphore.services.webhooks`). The answers, and why:

* 200 ``{"task_ids": [...]}`` when at least one integration accepted the request's
  authentication: the caller proved it holds a secret (or the alias of an unauthenticated
  integration), so it may learn which tasks it started; an empty list says nothing matched.
* 401 ``{"error": "webhook not authenticated"}`` when none did, a wrong or missing signature as
  much as an unknown alias: an unauthenticated caller learns nothing about aliases or
  integrations, and nothing starts.
* 413 for a body over :data:`MAX_WEBHOOK_BODY`; a body that is not JSON simply matches no JSON
  matcher.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import MethodNotAllowed

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import public
from semaphore.errors import Unauthorized
from semaphore.interfaces import WebhookRequest
from semaphore.schemas.integrations import WebhookAnswerSchema
from semaphore.services import webhooks
from semaphore.services.tasks import enqueue
from semaphore.state import app_state

#: GitHub caps its webhook payloads at 25 MB; nothing larger is a webhook worth reading.
MAX_WEBHOOK_BODY = 25 * 1024 * 1024

blp = Blueprint("webhooks", __name__, url_prefix="/api/integrations",
                description="The public webhook URL of integrations and aliases")


@blp.route("/<string:alias>", methods=["GET", "POST"])
@blp.doc(security=[])
@blp.response(200, WebhookAnswerSchema)
@public
def receive_webhook(alias: str):  # type: ignore[no-untyped-def]
    """Fire the integrations of an alias: each authenticates the request, matches it and starts
    its template with the values it extracts."""
    if request.method == "HEAD":  # a link checker's HEAD must not start tasks
        raise MethodNotAllowed(valid_methods=["GET", "POST"])
    request.max_content_length = MAX_WEBHOOK_BODY  # 413 before anything is read past the limit
    hook = WebhookRequest(method=request.method, headers=dict(request.headers.items()),
                          body=request.get_data(cache=True))
    db = context.db()
    outcome = webhooks.fire(db, app_state(), alias, hook)
    if not outcome.authenticated:
        raise Unauthorized("webhook not authenticated")
    enqueue(db, app_state().events, outcome.tasks)
    return {"task_ids": [task.id for task in outcome.tasks]}
