"""`run.py check` (`make check`): before a deploy, is everything Jobline needs set and answering?

Each check prints one line, "ok" and what it found, or "FAIL" and the sentence saying what to
fix; the command exits 1 when any failed. It reuses the rules the boot applies (settings,
number settings, the flow file's schema and checks) and adds what the boot does not try:
the database and its migrations, Redis, the Twilio credentials' shape, the speech models.
Nothing it prints holds a secret or a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from config import settings
from config.flow import Flow, load_flow
from config.settings import ConfigError
from db.broker import redis_for
from db.migrate import is_current
from ivr.telephony import numbers
from speech.download import ACCOUNT_SID
from speech.registry import find_source

# Twilio's SIDs are two letters and 32 hex digits (the Accounts resource's pattern,
# https://www.twilio.com/docs/iam/api/account); the console shows the Auth Token as 32 hex digits.
AUTH_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")
API_KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")
TWIML_APP_SID = re.compile(r"^AP[0-9a-fA-F]{32}$")
Result = tuple[bool, str]


def _settings(config: Mapping[str, Any]) -> Result:
    settings.check_app(config)
    numbers.check_config(config)
    return True, f"{settings.ENV} settings are complete"


def _flow(path: Path) -> tuple[Result, Flow | None]:
    try:
        flow = load_flow(path)
    except ConfigError as e:
        return (False, str(e)), None
    return (True, f"{flow.source}: {len(flow.nodes)} steps, {len(flow.queues)} queues, languages "
                  f"{', '.join(lang.code for lang in flow.languages)}"), flow


def _database(url: str) -> Result:
    kind = url.split(":", 1)[0]
    if kind == "sqlite" and not Path(url.removeprefix("sqlite:///")).exists():
        return False, "the SQLite database file does not exist yet: run `run.py init-db` (or `make run`)"
    try:
        current = is_current(url)
    except Exception as e:  # the driver's own error: its class says enough, its text may hold the URL
        return False, (f"the database in DATABASE_URL does not answer ({type(e).__name__}): check the "
                       "address, the name, the user and that the server runs")
    if not current:
        return False, "the database answers but is not at the latest schema: run `run.py init-db`"
    return True, f"{kind} answers and is at the latest schema"


def _redis(url: str) -> Result:
    if not url:  # one machine: serve's own Redis is enough; more need a shared one
        return True, ("REDIS_URL is not set: `run.py serve` starts an embedded Redis (workers on "
                      "other machines need REDIS_URL)")
    try:
        redis_for(url).ping()
    except Exception as e:
        return False, (f"Redis in REDIS_URL does not answer ({type(e).__name__}): check the address "
                       "and that it runs")
    return True, "Redis answers"


def _twilio(config: Mapping[str, Any]) -> Result:
    sid, token = str(config.get("TWILIO_ACCOUNT_SID") or ""), str(config.get("TWILIO_AUTH_TOKEN") or "")
    if config.get("ENV_NAME") == "development" and token == settings.DEV_AUTH_TOKEN:
        return True, "development credentials: webhooks are signed with the development token"
    problems = []
    if not ACCOUNT_SID.match(sid):
        problems.append("TWILIO_ACCOUNT_SID must be AC and 32 hex digits (the Twilio console, Account Info)")
    if not AUTH_TOKEN.match(token):
        problems.append("TWILIO_AUTH_TOKEN must be 32 hex digits (the Twilio console, Account Info)")
    key, secret = str(config.get("TWILIO_API_KEY") or ""), str(config.get("TWILIO_API_SECRET") or "")
    if key and not API_KEY_SID.match(key):
        problems.append("TWILIO_API_KEY must be an API key SID: SK and 32 hex digits")
    if key and not secret:
        problems.append("TWILIO_API_SECRET must be set with TWILIO_API_KEY")
    app = str(config.get("TWILIO_TWIML_APP_SID") or "")
    if app and not TWIML_APP_SID.match(app):
        problems.append("TWILIO_TWIML_APP_SID must be a TwiML app SID: AP and 32 hex digits")
    if problems:
        return False, "; ".join(problems)
    callbacks = numbers.callback_caller_id_problem(config)
    return True, "account SID and token look right" + (f" ({callbacks})" if callbacks else "")


def _speech_models(flow: Flow | None) -> Result:
    if flow is None:
        return False, "not checked: the flow file names the languages"
    missing = [lang.code for lang in flow.languages if find_source(lang.code, settings.MODELS_DIR) is None]
    if missing:
        return False, (f"no Vosk model for {', '.join(missing)}: run `run.py models install "
                       f"{missing[0]}` on every worker (README, 'Speech capture')")
    return True, f"a Vosk model for each language ({', '.join(lang.code for lang in flow.languages)})"


def run_checks(base_config: Callable[[], dict[str, Any]]) -> list[tuple[str, bool, str]]:
    """Every check as (name, ok, sentence), in the order a deploy needs them."""
    out: list[tuple[str, bool, str]] = []
    config = base_config()
    try:
        ok, said = _settings(config)
    except ConfigError as e:
        ok, said = False, str(e)
    out.append(("settings", ok, said))
    (ok, said), flow = _flow(settings.IVR_FILE)
    out.append(("flow file", ok, said))
    out.append(("database", *_database(config.get("DATABASE_URL") or settings.database_url())))
    out.append(("redis", *_redis(config.get("REDIS_URL", settings.REDIS_URL))))
    out.append(("twilio", *_twilio(config)))
    out.append(("speech models", *_speech_models(flow)))
    return out


def report(base_config: Callable[[], dict[str, Any]], echo: Callable[[str], Any]) -> int:
    """Print one line per check; 0 when all passed, else 1."""
    results = run_checks(base_config)
    for name, ok, said in results:
        echo(f"{'ok  ' if ok else 'FAIL'}  {name}: {said}")
    failed = [name for name, ok, _ in results if not ok]
    echo("Ready to deploy." if not failed else f"Fix {', '.join(failed)} before deploying.")
    return 1 if failed else 0
