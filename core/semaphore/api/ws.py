"""``/api/ws``: live task logs and status updates over a websocket, in the original's shapes.

Authenticated like the rest of the API (session cookie or ``Authorization: Bearer``): the /api
guard answers 401 to an anonymous upgrade request before any handshake. A viewer receives the
messages of the projects it may see (admins: all), one JSON text frame each; what it sends is
ignored. The server pings every 54 s and drops a viewer that answered none of the last ping in
time, or whose socket accepts nothing for 10 s; a viewer that falls too far behind is closed
with code 1013 and a reason, and reads what it missed from the output endpoint.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Response, g, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from werkzeug.routing import WebsocketMismatch
from wsproto.frame_protocol import CloseReason

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.errors import error_response
from semaphore.errors import Forbidden
from semaphore.live import LiveHub, Subscription, Viewer
from semaphore.state import app_state

log = logging.getLogger(__name__)

PING_INTERVAL = 54.0  # seconds, as the original; it waits 60 s for the pong
WRITE_WAIT = 10.0  # seconds a write may block before the viewer is dropped
WAKE_INTERVAL = 1.0  # seconds between checks for a closed socket and stale access
READ_LIMIT = 512  # bytes of one client message; more closes the connection (the original's limit)
PING_FRAME = b"\x89\x00"

blp = Blueprint("ws", __name__, url_prefix="/api", description="Live task output and status updates (websocket)")
sock = Sock()


@blp.record_once
def _install(state: Any) -> None:
    state.app.config.setdefault("SOCK_SERVER_OPTIONS", {"max_message_size": READ_LIMIT})
    state.app.register_error_handler(WebsocketMismatch, _not_a_websocket_request)


def _not_a_websocket_request(_exc: WebsocketMismatch) -> Response:
    return error_response(400, {"error": "this is a websocket endpoint: connect with a websocket client "
                                         "(an HTTP GET with Upgrade: websocket)"})


@blp.before_request
def _same_origin_for_cookies() -> None:
    """A page of another site must not open a socket with the user's cookie (cross-site websocket
    hijacking): cookie-authenticated upgrades must come from our own origin. Runs before the
    handshake, after the /api guard has authenticated the caller."""
    info = context.optional_auth()
    origin = request.headers.get("Origin")
    if info is not None and info.method == "session" and origin and urlsplit(origin).netloc != request.host:
        raise Forbidden("cross-origin websocket refused")


@sock.route("/ws", bp=blp)
@blp.doc(summary="Websocket of live task output and status updates", responses={
    "101": {"description": "Switching to the websocket protocol. Messages (JSON text frames): "
                           '`{"type":"log","output","time","task_id","project_id","seq"}` per stored output line and '
                           '`{"type":"update","start","end","status","task_id","template_id","project_id",'
                           '"version"}` per status change, for the projects the caller may see.'},
    "401": {"description": "Not authenticated"},
    "403": {"description": "Cookie-authenticated upgrade from another origin"},
})
def websocket(ws: Any) -> None:
    user = context.user()
    viewer = Viewer(user_id=user.id, admin=bool(user.admin))
    _end_db_session()
    hub = app_state().live
    subscription = hub.subscribe(viewer)
    try:
        LiveConnection(ws, hub, subscription, ping_interval=PING_INTERVAL, write_wait=WRITE_WAIT).run()
    finally:
        hub.unsubscribe(subscription)


def _end_db_session() -> None:
    """Commit and return the request's database session now (authentication may have touched the
    login session): a websocket stays open for hours and must not hold a pooled connection."""
    session = g.pop("_db", None)
    if session is not None:
        try:
            session.commit()
        finally:
            session.close()


class LiveConnection:
    """Sends what the hub queues for one viewer, from the thread serving its request.

    Frames are written to the socket directly, many in one write: wsproto's per-message framing
    (and the per-message compression browsers negotiate) would cost more than storing the line.
    Every data frame is complete and unfragmented, so the protocol state stays consistent.
    """

    def __init__(self, ws: Any, hub: LiveHub, subscription: Subscription, *, ping_interval: float,
                 write_wait: float) -> None:
        self.ws = ws
        self.hub = hub
        self.subscription = subscription
        self.ping_interval = ping_interval
        self.write_wait = write_wait

    def run(self) -> None:
        ws, subscription = self.ws, self.subscription
        seconds, fraction = divmod(self.write_wait, 1)
        next_ping = time.monotonic() + self.ping_interval
        try:
            # A stuck viewer must not hold this thread: writes give up after WRITE_WAIT seconds. A viewer
            # that left right after the handshake has its socket closed already (by simple-websocket's
            # reader thread): that is a normal end, not an error.
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                               struct.pack("ll", int(seconds), int(fraction * 1e6)))
            while ws.connected:
                items = subscription.take(min(WAKE_INTERVAL, max(0.0, next_ping - time.monotonic())))
                if subscription.closed is not None:
                    self._close(CloseReason.TRY_AGAIN_LATER, subscription.closed)
                    return
                ws.input_buffer.clear()  # client messages are ignored
                wire = b"".join(item.wire() for item in items if subscription.may_see(item.project_id))
                if wire:
                    ws.sock.sendall(wire)
                if time.monotonic() >= next_ping:
                    if not ws.pong_received:
                        self._close(CloseReason.POLICY_VIOLATION, "no answer to ping")
                        return
                    ws.pong_received = False
                    ws.sock.sendall(PING_FRAME)
                    next_ping = time.monotonic() + self.ping_interval
                self.hub.refresh_access(subscription)
        except OSError as exc:  # the viewer went away (its socket may be closed already) or stopped reading
            log.debug("websocket of user %s dropped: %s", subscription.user_id, exc)
            ws.connected = False

    def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            self.ws.close(reason=code, message=reason)
