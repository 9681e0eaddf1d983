"""Settings from the environment: one constant each, read once at import. This module is the only
reader of the environment; the rest of Jobline reads a setting from here (or from the app's config,
which create_app fills from here and tests override).

`check()` is called by the app factory and the worker: in production a missing secret stops
the boot with a sentence naming the variable. Development (`JOBLINE_ENV=development`, what
`make run` uses when nothing is configured) gets safe local defaults instead.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting or the flow file is wrong; the message names the file or variable and the fix."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} must be a whole number") from None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"environment variable {name}={raw!r} must be 1/0, true/false or yes/no")


ENV = os.environ.get("JOBLINE_ENV", "production")
DEVELOPMENT = ENV == "development"
INSTANCE_DIR = Path(os.environ.get("JOBLINE_INSTANCE", ROOT / "instance"))

TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
# Used to sign and check webhooks in development when no Twilio account is configured.
DEV_AUTH_TOKEN = "jobline-development-token"
DEV_ACCOUNT_SID = "AC" + "0" * 32

PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
PORT = _int("PORT", 5000)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
IVR_FILE = Path(os.environ.get("JOBLINE_IVR_FILE", ROOT / "config" / "ivr.yaml"))

WEB_WORKERS = _int("WEB_WORKERS", 2)
# Threads per web worker (gthread): each slow or idle client holds one, so many are cheap
# insurance; the database pools (db/session.py) make threads wait briefly, never fail.
WEB_THREADS = _int("WEB_THREADS", 16)
# Open desks and wallboards per web worker that are pushed live (Server-Sent Events): each holds
# a thread of its own beside WEB_THREADS; past this many, a page polls (callcenter/desk/events.py).
SSE_STREAMS = _int("SSE_STREAMS", 128)
# `run.py serve` listens on loopback: the TLS reverse proxy in front is what the world reaches.
BIND_ADDRESS = os.environ.get("BIND_ADDRESS", "127.0.0.1")
RQ_WORKERS = _int("RQ_WORKERS", 1)
MAX_WEBHOOK_BYTES = _int("MAX_WEBHOOK_BYTES", 64 * 1024)

MODELS_DIR = Path(os.environ.get("VOSK_MODELS_DIR", INSTANCE_DIR / "models"))
RECORDINGS_DIR = Path(os.environ.get("RECORDINGS_DIR", INSTANCE_DIR / "recordings"))
RECORDING_RETENTION_DAYS = _int("RECORDING_RETENTION_DAYS", 90)
# Jobline's copy of a recording is the one kept: Twilio's is deleted once ours is stored.
DELETE_RECORDINGS_AT_TWILIO = _bool("DELETE_RECORDINGS_AT_TWILIO", True)
# Retention of personal data other than audio (README, "Retention, erasure and audit"); the
# worker's retention purge (speech/retention.py) clears each kind once it is this old.
CALLER_NUMBER_RETENTION_DAYS = _int("CALLER_NUMBER_RETENTION_DAYS", 90)  # callers' and called numbers
ID_NUMBER_RETENTION_DAYS = _int("ID_NUMBER_RETENTION_DAYS", 90)  # jobseeker numbers keyed or spoken
TRANSCRIPT_RETENTION_DAYS = _int("TRANSCRIPT_RETENTION_DAYS", 90)  # text, words, digits heard
NOTES_RETENTION_DAYS = _int("NOTES_RETENTION_DAYS", 365)  # advisers' notes on calls and callbacks
CALLBACK_NUMBER_RETENTION_DAYS = _int("CALLBACK_NUMBER_RETENTION_DAYS", 30)  # closed callbacks only
WEBPHONE_UPLOAD_RETENTION_DAYS = _int("WEBPHONE_UPLOAD_RETENTION_DAYS", 1)  # test WAVs from /phone
AUDIT_RETENTION_DAYS = _int("AUDIT_RETENTION_DAYS", 730)  # who saw or changed what
RETENTION_SETTINGS = ("RECORDING_RETENTION_DAYS", "CALLER_NUMBER_RETENTION_DAYS", "ID_NUMBER_RETENTION_DAYS",
                      "TRANSCRIPT_RETENTION_DAYS", "NOTES_RETENTION_DAYS", "CALLBACK_NUMBER_RETENTION_DAYS",
                      "WEBPHONE_UPLOAD_RETENTION_DAYS", "AUDIT_RETENTION_DAYS")
TRANSCRIPT_WAIT_S = _int("TRANSCRIPT_WAIT_S", 4)
SHORT_ABANDON_S = _int("SHORT_ABANDON_S", 5)
DEMO_PHONE = _bool("DEMO_PHONE", DEVELOPMENT)  # the web phone: a demonstration tool, off in production
IDLE_TIMEOUT_MIN = _int("IDLE_TIMEOUT_MIN", 30)
# Calls placed for one callback before it is marked failed (a supervisor may retry it from the desk).
CALLBACK_MAX_ATTEMPTS = _int("CALLBACK_MAX_ATTEMPTS", 3)
CALLBACK_RETRY_S = _int("CALLBACK_RETRY_S", 600)  # ten minutes: a caller who missed us may be back by then
# Callback numbers and caller IDs (rules in ivr/telephony/numbers.py, checked at boot there).
CALLBACK_COUNTRY_CODE = os.environ.get("CALLBACK_COUNTRY_CODE", "44")  # for national numbers keyed in
# Where callbacks may ring, as E.164 prefixes ("+44,+353"); empty: the CALLBACK_COUNTRY_CODE country.
CALLBACK_ALLOWED_PREFIXES = tuple(
    p.strip() for p in os.environ.get("CALLBACK_ALLOWED_PREFIXES", "").split(",") if p.strip())
# Two, not one: a household often shares one phone (a jobseeker and a partner may each wait for
# an adviser); more than that is someone making the helpline ring one number again and again.
CALLBACK_MAX_PENDING_PER_NUMBER = _int("CALLBACK_MAX_PENDING_PER_NUMBER", 2)
# The number callbacks ring from and adviser legs show for a withheld caller: a local or national
# number of the account (never toll-free). Unset: callers are not offered callbacks. Development
# gets a fictional London number (Ofcom's drama range), so the web phone still offers them.
DEV_CALLER_ID = "+442079460000"
TWILIO_CALLER_ID = os.environ.get("TWILIO_CALLER_ID", DEV_CALLER_ID if DEVELOPMENT else "")
# Information by text message (issue 19): the sender of the texts, a number of the account able to
# send SMS (E.164) or a Messaging Service SID (MG...). Unset: callers and advisers are not offered
# texts. Development sends "from" the same fictional number callbacks ring from (the web phone
# shows the text; nothing reaches Twilio). At most SMS_DAILY_LIMIT texts go to one number in 24 hours.
TWILIO_MESSAGING_FROM = os.environ.get("TWILIO_MESSAGING_FROM", DEV_CALLER_ID if DEVELOPMENT else "")
SMS_DAILY_LIMIT = _int("SMS_DAILY_LIMIT", 3)
# The adviser's browser phone (Twilio Voice SDK); without them the desk offers phone numbers only.
TWILIO_API_KEY = os.environ.get("TWILIO_API_KEY", "")
TWILIO_API_SECRET = os.environ.get("TWILIO_API_SECRET", "")
TWILIO_TWIML_APP_SID = os.environ.get("TWILIO_TWIML_APP_SID", "")
# The trust boundary (ARCHITECTURE.md). Twilio's REST API host: the only host recordings are
# fetched from and deleted at, with the account's credentials (tests point it at a local mock).
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")

# Operations (README, "Operations"). /metrics answers these addresses (single ones or networks,
# comma-separated) and anyone sending `Authorization: Bearer <METRICS_TOKEN>`; the rest get 403.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = tuple(
    p.strip() for p in os.environ.get("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1").split(",") if p.strip())
# Where each gunicorn web process of `run.py serve` keeps its share of the webhook latency
# histogram, so /metrics adds up every process whichever one answers a scrape (prometheus_client's
# multiprocess mode; `serve` sets it for the web processes it starts and empties it at each start).
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# "plain" (the default, for people at a terminal) or "json" (one object per line, for log shippers).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    raise ConfigError(f"environment variable LOG_FORMAT={LOG_FORMAT!r} must be plain or json")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ConfigError("environment variable METRICS_TOKEN is too short: use 16 random characters or more "
                      "(python -c 'import secrets; print(secrets.token_urlsafe(24))')")
for _address in METRICS_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_address, strict=False)
    except ValueError:
        raise ConfigError(f"environment variable METRICS_ALLOWED_ADDRESSES: {_address!r} is not an IP "
                          "address or network (e.g. 127.0.0.1,::1,10.0.0.0/24)") from None


def vosk_model_override(lang: str) -> str:
    """VOSK_MODEL_<LANG>: a model folder for one language, read when asked (speech/registry.py),
    so a process started with it set, or a test that sets it, finds the folder ('' when unset)."""
    return os.environ.get(f"VOSK_MODEL_{lang.upper()}", "")


def database_url() -> str:
    """The configured database, or the embedded SQLite file in the instance folder."""
    return DATABASE_URL or f"sqlite:///{INSTANCE_DIR / 'jobline.db'}"


def auth_token() -> str:
    return TWILIO_AUTH_TOKEN or (DEV_AUTH_TOKEN if DEVELOPMENT else "")


def account_sid() -> str:
    return TWILIO_ACCOUNT_SID or (DEV_ACCOUNT_SID if DEVELOPMENT else "")


def secret_key() -> str:
    """SECRET_KEY, or in development a random key kept in the instance folder across restarts."""
    if SECRET_KEY:
        return SECRET_KEY
    if not DEVELOPMENT:
        return ""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()


def check_app(config: Mapping[str, Any]) -> None:
    """Stop the boot when production lacks a secret, naming the variable and the fix."""
    env = config.get("ENV_NAME", ENV)
    if env not in {"production", "development"}:
        raise ConfigError(f"JOBLINE_ENV={env!r}: use 'production' or 'development'")
    base = config.get("PUBLIC_BASE_URL", "")
    if base and not base.startswith(("https://", "http://")):
        raise ConfigError(f"PUBLIC_BASE_URL={base!r}: must start with https:// (the URL Twilio calls)")
    for name in RETENTION_SETTINGS:
        if globals()[name] < 1:
            raise ConfigError(f"{name}={globals()[name]}: a retention is a number of days, 1 or more")
    api = config.get("TWILIO_API_BASE", TWILIO_API_BASE)
    if not api.startswith(("https://", "http://")):
        raise ConfigError(f"TWILIO_API_BASE={api!r}: must be Twilio's API address, "
                          "https://api.twilio.com (the default)")
    sender = config.get("TWILIO_MESSAGING_FROM") or ""
    if sender and not re.match(r"^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$", sender):
        raise ConfigError(f"TWILIO_MESSAGING_FROM={sender!r}: use a number of the account in international "
                          "form (+447700900123) or a Messaging Service SID (MG followed by 32 hex digits)")
    if int(config.get("SMS_DAILY_LIMIT", SMS_DAILY_LIMIT)) < 1:
        raise ConfigError("SMS_DAILY_LIMIT: the most texts one number may get in a day, 1 or more "
                          "(to offer none, leave TWILIO_MESSAGING_FROM unset)")
    if env == "development":
        return
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "SECRET_KEY"):
        if not config.get(name):
            raise ConfigError(
                f"{name} is not set. Set it in the environment (README, 'Environment'), "
                "or run with JOBLINE_ENV=development to use local development defaults."
            )
    # Every URL Twilio fetches (redirects, callbacks) is built from it, never from a request's
    # Host header, which anyone can forge; the worker builds them with no request at all.
    if not base:
        raise ConfigError(
            "PUBLIC_BASE_URL is not set. Set it to the public https address Twilio reaches "
            "Jobline at (e.g. https://helpline.pes.example; README, 'Connect a Twilio number')."
        )
