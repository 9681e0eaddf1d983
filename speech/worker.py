"""The speech worker: models loaded in the parent, jobs run in forked work horses.

`run_worker` configures the database, loads the Vosk models, then starts an RQ `Worker` on the
'speech' queue, then the 'housekeeping' one: RQ serves a worker's queues in that order, so a
waiting transcript always goes first. RQ forks a work horse per job; the horse shares the
parent's models copy-on-write, so a job never loads a model (`registry.load_count()` does not
move in a horse).

Housekeeping (the stuck-recording sweep every 15 s, the retention purges every six hours, and
the deployment's timed jobs that `run.py worker` adds, such as the report rollups) is scheduled
with RQ's own `CronScheduler` in a small child process and runs as ordinary jobs: the purges
and rollups on the 'housekeeping' queue; the stuck-recording sweep on the 'speech' queue, since
what it rescues is a transcript a caller may be waiting for. Why not a loop or thread in the
worker parent: the parent forks horses, and a thread holding a database or logging lock at
fork time would deadlock the horse; and the parent's loop is blocked in Redis waits for
minutes. Sweeping from several machines is safe (the sweep claims rows with conditional
updates), so every worker may run one.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable

from redis import Redis
from rq import Worker
from rq.cron import CronScheduler

from config import settings
from db import changes
from db import session as db_session

from . import registry
from .housekeeping import purge_expired_recordings, sweep_stuck_recordings
from .intents import IntentTable
from .jobs import HOUSEKEEPING_QUEUE, QUEUE, set_intent_table
from .retention import purge_personal_data

log = logging.getLogger(__name__)

# Often: a recording whose worker died is taken over within a sweep (the query is indexed and
# reads only unfinished rows).
SWEEP_INTERVAL_S = 15
PURGE_INTERVAL_S = 6 * 3600
QUEUES = [QUEUE, HOUSEKEEPING_QUEUE]  # in the order a worker serves them


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies, even by kill -9."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the worker's finally clause still stops the scheduler


def _run_housekeeping_scheduler(
    redis_url: str, register_cron: Callable[[CronScheduler], None] | None
) -> None:
    _die_with_parent()
    cron = CronScheduler(Redis.from_url(redis_url), name=f"jobline-speech-{os.getppid()}")
    if register_cron is not None:  # the deployment's other timed jobs (callbacks, report rollups)
        register_cron(cron)
    register_housekeeping(cron)
    cron.start()


def register_housekeeping(cron: CronScheduler) -> None:
    """Speech's timed jobs: the stuck-recording sweep on the speech queue (it rescues transcripts),
    the purges on the housekeeping queue."""
    cron.register(sweep_stuck_recordings, QUEUE, interval=SWEEP_INTERVAL_S, job_timeout=300,
                  result_ttl=600)
    cron.register(purge_expired_recordings, HOUSEKEEPING_QUEUE, interval=PURGE_INTERVAL_S,
                  job_timeout=1800, result_ttl=86400)
    cron.register(purge_personal_data, HOUSEKEEPING_QUEUE, interval=PURGE_INTERVAL_S, job_timeout=1800,
                  result_ttl=86400)


def _reset_pool_in_horse() -> None:
    # Pooled connections must not be shared across fork (SQLAlchemy "Using Connection Pools
    # with Multiprocessing"): the horse drops the inherited ones without closing them.
    try:
        db_session.engine().dispose(close=False)
    except RuntimeError:
        pass


def run_worker(
    redis_url: str,
    languages: list[str],
    burst: bool = False,
    *,
    intent_table: IntentTable | None = None,
    intent_threshold: float = 0.8,
    housekeeping: bool = True,
    name: str | None = None,
    queues: list[str] | None = None,
    register_cron: Callable[[CronScheduler], None] | None = None,
) -> bool:
    """Run a speech worker until stopped (or, with `burst`, until the queue is empty).

    Returns True when it processed at least one job. `housekeeping` starts the sweep/purge
    scheduler (never in burst mode), which also runs `register_cron`'s timed jobs; `queues`
    (default: QUEUES, speech then housekeeping) are the queues this worker takes jobs from, in
    the order it serves them.
    """
    db_session.configure(settings.database_url())
    changes.publish_to(redis_url)  # a transcript or a dialled callback wakes the desks
    os.register_at_fork(after_in_child=_reset_pool_in_horse)
    # Every process this worker forks (work horses, RQ's scheduler, the housekeeping one) dies
    # with it: a worker killed -9 leaves no orphan holding RQ's scheduler locks or a job that
    # nobody watches; the job is taken over by the next worker (housekeeping's sweep).
    os.register_at_fork(after_in_child=_die_with_parent)
    set_intent_table(intent_table, intent_threshold)
    scheduler = None
    if housekeeping and not burst:
        # started before the models load so this small process does not carry them
        scheduler = multiprocessing.get_context("fork").Process(
            target=_run_housekeeping_scheduler, args=(redis_url, register_cron), daemon=True,
            name="jobline-speech-housekeeping")
        scheduler.start()
    try:
        available = registry.preload(languages)
        log.info("speech models: %s", ", ".join(f"{k}={'yes' if v else 'no'}"
                                                for k, v in available.items()))
        worker = Worker(queues or QUEUES, connection=Redis.from_url(redis_url), name=name)
        # with_scheduler: RQ's scheduler moves retries (Retry intervals) back onto the queue
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        if scheduler is not None and scheduler.is_alive():
            scheduler.terminate()
            scheduler.join(5)
