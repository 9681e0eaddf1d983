"""GET /api/events: a Server-Sent Events stream that tells a desk (or the wallboard) to refresh
now, so a new caller shows within a second instead of at the next 1.5 s poll.

An event says only "changed" (the queue names stay on the server); the page then fetches
/api/desk or /api/wallboard as its poll does, so there is one code path for the data. Commits
announce their queues on Redis (db/changes.py); one subscriber thread per web process fans a
message out to the streams held in that process, each woken only for the queues it shows.

Threads: gunicorn's gthread worker gives each held stream a thread, so `run.py serve` starts
WEB_THREADS + SSE_STREAMS threads per worker and this module admits at most SSE_STREAMS streams
per process: Twilio's webhooks always keep WEB_THREADS threads however many desks are open (an
idle thread costs a stack, little memory; gevent would change every library's I/O for this one
route). A stream past the limit, or with Redis unreachable, is refused with 503 and the page
polls instead. A stream ends after STREAM_S and the browser reconnects, signed-in check included.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from redis import Redis

from callcenter.access import role_required
from callcenter.desk.requests import signed_in_user
from callcenter.desk.state import my_queues
from config import settings
from db import changes
from db.states import Role

log = logging.getLogger(__name__)
bp = Blueprint("events", __name__, url_prefix="/api")
HEARTBEAT_S = 15  # a comment line this often: proxies keep the connection, dead clients are found
STREAM_S = 300  # then the browser reconnects (and is checked again: signed in, role, queues)
RETRY_MS = 2000  # how long the browser waits before reconnecting (the SSE `retry` field)
WALLBOARD = (Role.SUPERVISOR, Role.ADMIN)


class _Listener:
    def __init__(self, queues: set[str] | None) -> None:
        self.queues, self.woken = queues, threading.Event()

    def concerns(self, names: set[str]) -> bool:
        return self.queues is None or changes.ALL in names or bool(self.queues & names)


class Hub:
    """This process's one Redis subscription and the streams listening to it."""

    def __init__(self, redis_url: str, streams: int) -> None:
        self.url, self.slots = redis_url, threading.BoundedSemaphore(streams)
        self.listeners: set[_Listener] = set()
        self.lock, self.ready = threading.Lock(), threading.Event()
        threading.Thread(target=self._listen, name="jobline-events", daemon=True).start()

    def _listen(self) -> None:
        while True:
            try:
                # Its own client: the shared one's read timeout would cut the quiet subscription.
                redis = Redis.from_url(self.url, socket_connect_timeout=1,
                                       health_check_interval=HEARTBEAT_S)
                pubsub = redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(changes.channel(redis))
                self.ready.set()
                for message in pubsub.listen():  # blocks; raises when Redis goes away
                    self._wake(set(message["data"].decode().split(",")))
            except Exception as e:
                log.warning("the change feed from Redis broke (%s); desks poll until it is back",
                            type(e).__name__)
            self.ready.clear()
            self._wake({changes.ALL})  # streams see the feed is down and end: their pages poll
            time.sleep(1)

    def _wake(self, names: set[str]) -> None:
        with self.lock:
            listeners = list(self.listeners)
        for listener in listeners:
            if listener.concerns(names):
                listener.woken.set()

    def stream(self, queues: set[str] | None, lasting_s: float = STREAM_S) -> Iterator[str]:
        """The event stream of one page (its slot is released when the response closes)."""
        listener = _Listener(queues)
        with self.lock:
            self.listeners.add(listener)
        try:
            yield f"retry: {RETRY_MS}\n: open\n\n"
            end = time.monotonic() + lasting_s
            while time.monotonic() < end and self.ready.is_set():
                if listener.woken.wait(HEARTBEAT_S):
                    listener.woken.clear()
                    yield "data: changed\n\n"
                else:
                    yield ": still here\n\n"
        finally:
            with self.lock:
                self.listeners.discard(listener)


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(redis_url: str) -> Hub:
    """Started on first use, so in each gunicorn worker after the fork."""
    with _hubs_lock:
        if redis_url not in _hubs:
            _hubs[redis_url] = Hub(redis_url, settings.SSE_STREAMS)
        return _hubs[redis_url]


@bp.get("/events")
@role_required(Role.AGENT, *WALLBOARD)
def stream() -> Any:
    """Events for the signed-in adviser's queues; ?scope=wallboard (supervisors, admins): all."""
    user, scope = signed_in_user(), request.args.get("scope", "desk")
    if scope not in ("desk", "wallboard"):
        abort(400, "Leave out scope for your desk's events, or ask for scope=wallboard.")
    if scope == "wallboard" and user.role not in WALLBOARD:
        abort(403, "The wallboard's events are for supervisors and admins.")
    if scope == "wallboard" or user.role == Role.ADMIN:  # an admin has no desk: the whole floor
        queues = None
    else:
        queues = set(my_queues(user))
    hub = hub_for(current_app.config["REDIS_URL"])
    if not hub.ready.wait(1) or not hub.slots.acquire(blocking=False):
        abort(503, "Live updates are not available now; the page refreshes itself every few seconds.")
    # The database session closes when this returns; the stream itself reads only Redis.
    lasting_s = current_app.config.get("EVENTS_STREAM_S", STREAM_S)  # tests of the API: short
    answer = Response(hub.stream(queues, lasting_s), mimetype="text/event-stream", headers={
        "Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # nginx: pass each event on at once
    answer.call_on_close(hub.slots.release)  # also when the stream never started
    return answer


def init_app(app: Any) -> None:
    changes.publish_to(app.config.get("REDIS_URL"))
    app.register_blueprint(bp)
