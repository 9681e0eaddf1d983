"""GET /metrics: the helpdesk's figures in Prometheus' text format, for operators' dashboards and alerts.

Read at scrape time from the database and Redis (nothing is counted twice or kept in memory):
calls in the IVR, callers waiting and callbacks still to make per queue, advisers by status, RQ
queue depths and the age of the oldest recording still waiting for its transcript. The webhook
latency histogram is counted as webhooks are answered (ivr/views/observe.py); with
PROMETHEUS_MULTIPROC_DIR set (`run.py serve` sets it) every web process's counts are added up.

Only METRICS_ALLOWED_ADDRESSES (default loopback) or a request with `Authorization: Bearer
<METRICS_TOKEN>` may read it; labels are queue names, statuses and URL rules, never personal data.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from callcenter.access import public
from callcenter.reports.wallboard import LIVE_CALL, OPEN_CALLBACKS, WAITING, in_ivr
from callcenter.routing.callbacks import CALLBACK_QUEUE
from config import settings
from db import session as db
from db.broker import redis_for
from db.models import Callback, QueueEntry, Recording, User, utcnow
from db.states import AGENT_STATUSES, RECORDING_CLAIMABLE, RecordingStatus
from speech.jobs import HOUSEKEEPING_QUEUE
from speech.jobs import QUEUE as SPEECH_QUEUE

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
RQ_QUEUES = (SPEECH_QUEUE, CALLBACK_QUEUE, HOUSEKEEPING_QUEUE)
# Stored and not yet transcribed: what a caller or an adviser may be waiting for.
AWAITING_TRANSCRIPT = (*RECORDING_CLAIMABLE, RecordingStatus.TRANSCRIBING)
REFUSED = ("/metrics is for monitoring only: it answers the addresses in METRICS_ALLOWED_ADDRESSES "
           "and requests with 'Authorization: Bearer <METRICS_TOKEN>' (README, 'Operations').\n")


class HelpdeskCollector(Collector):
    """The live figures, read when Prometheus scrapes; a part that does not answer is reported
    as down (jobline_up) and its figures left out, never as zeros that look like a quiet floor."""

    def __init__(self, queues: list[str], redis_url: str, now: datetime) -> None:
        self.queues, self.redis_url, self.now = queues, redis_url, now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("jobline_up", "Whether a part answered this scrape (1) or not (0).",
                               labels=["part"])
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception as e:  # reported as down: /metrics must answer when things are down
            log.warning("metrics: the database did not answer (%s)", type(e).__name__)
            up.add_metric(["database"], 0)
        try:
            if self.redis_url:  # unset: an in-process app without Redis, down by definition
                yield self._rq()
            up.add_metric(["redis"], 1 if self.redis_url else 0)
        except Exception as e:
            log.warning("metrics: Redis did not answer (%s)", type(e).__name__)
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> list[Metric]:
        s, now = db.current(), self.now
        ivr = GaugeMetricFamily("jobline_calls_in_ivr", "Calls in progress that have not reached a queue.",
                                value=in_ivr(s, now))
        waiting = GaugeMetricFamily("jobline_callers_waiting",
                                    "Callers waiting in a queue (or their adviser's phone ringing).",
                                    labels=["queue"])
        rows = dict(s.execute(select(QueueEntry.queue, func.count())
                              .where(QueueEntry.queue.in_(self.queues), QueueEntry.status.in_(WAITING),
                                     QueueEntry.enqueued_at >= now - LIVE_CALL)
                              .group_by(QueueEntry.queue)).all())
        for queue in self.queues:
            waiting.add_metric([queue], rows.get(queue, 0))
        callbacks = GaugeMetricFamily("jobline_callbacks_pending",
                                      "Callbacks still to make (pending or being dialled).", labels=["queue"])
        rows = dict(s.execute(select(Callback.queue, func.count())
                              .where(Callback.status.in_(OPEN_CALLBACKS)).group_by(Callback.queue)).all())
        for queue in self.queues:
            callbacks.add_metric([queue], rows.get(queue, 0))
        advisers = GaugeMetricFamily("jobline_advisers", "Active helpdesk accounts by status.",
                                     labels=["status"])
        rows = dict(s.execute(select(User.status, func.count()).where(User.active.is_(True))
                              .group_by(User.status)).all())
        for status in AGENT_STATUSES:
            advisers.add_metric([status], rows.get(status, 0))
        oldest = s.scalar(select(func.min(Recording.created_at))
                          .where(Recording.status.in_(AWAITING_TRANSCRIPT)))
        if oldest is not None and not isinstance(oldest, datetime):  # min() comes back raw on SQLite
            oldest = Recording.created_at.type.process_result_value(datetime.fromisoformat(str(oldest)), None)
        lag = GaugeMetricFamily("jobline_transcription_lag_seconds",
                                "Age of the oldest recording waiting for its transcript (0: none waits).",
                                value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        return [ivr, waiting, callbacks, advisers, lag]

    def _rq(self) -> Metric:
        from rq import Queue

        depth = GaugeMetricFamily("jobline_rq_jobs_queued", "Jobs waiting in each RQ queue.",
                                  labels=["rq_queue"])
        conn = redis_for(self.redis_url)
        for name in RQ_QUEUES:
            depth.add_metric([name], Queue(name, connection=conn).count)
        return depth


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN", settings.METRICS_TOKEN)
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # Through a proxy Jobline does not trust (TRUSTED_PROXIES=0) the address is the proxy's own,
    # often loopback: it says nothing of who asked.
    if "X-Forwarded-For" in request.headers and not current_app.config.get("TRUSTED_PROXIES"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    allowed = current_app.config.get("METRICS_ALLOWED_ADDRESSES", settings.METRICS_ALLOWED_ADDRESSES)
    return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)


@bp.get("/metrics")
@public
def metrics() -> Response:
    if not _allowed():
        return Response(REFUSED, status=403, mimetype="text/plain")
    counted = REGISTRY
    if settings.PROMETHEUS_MULTIPROC_DIR:  # add up every web process's counts
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    live = CollectorRegistry()
    flow = current_app.extensions["jobline.flow"]
    live.register(HelpdeskCollector(list(flow.queues), current_app.config.get("REDIS_URL") or "",
                                    current_app.config.get("CLOCK", utcnow)()))
    return Response(generate_latest(counted) + generate_latest(live), mimetype=CONTENT_TYPE_LATEST)


def fresh_multiprocess_dir() -> str:
    """The folder the web processes `run.py serve` starts share their counts in, emptied: counts of
    processes from an earlier run must not be added to this one's (prometheus_client's rule)."""
    path = Path(settings.PROMETHEUS_MULTIPROC_DIR or settings.INSTANCE_DIR / "prometheus")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return str(path)
