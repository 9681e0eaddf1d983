"""A web-phone call between requests: kept in Redis per user, carried on by any web process.

Each request loads the caller's Phone (the simulator, ivr/telephony/simulator/), carries out the
REST instructions the bridge kept for it (an adviser answering or ending the call), lets the
page's action run under a per-user lock, saves it, and answers what the page shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, jsonify, request
from flask_login import current_user

from callcenter.webphone.bridge import take_instructions
from callcenter.webphone.rings import put_adviser_through
from config.flow import Flow
from db.broker import redis_for
from db.states import CallStatus
from ivr.telephony.simulator import RECORD_FINISH_DEFAULT, CallError, FlaskTransport, Heard, Phone

STATE_TTL_S = 2 * 3600
# An ended call's state (the caller's number, the digits read back) is kept only for the page's
# last poll: Redis holds no number longer than the call needs (README, "Retention...").
ENDED_STATE_TTL_S = 60
# https://www.twilio.com/docs/voice/twiml/record: maxLength defaults to 3600 s; timeout, the
# seconds of silence that end a recording, to 5 (finishOnKey: RECORD_FINISH_DEFAULT).
RECORD_MAX_DEFAULT = 3600
RECORD_TIMEOUT_DEFAULT = 5


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def key() -> str:
    return f"jobline:webphone:user:{current_user.id}"


def redis() -> Any:
    return redis_for(current_app.config["REDIS_URL"])


def phone_for(data: dict[str, Any] | None = None, caller: str | None = None) -> Phone:
    """A new call from `caller`, or the call `data` (Phone.state()) carried on."""
    transport = FlaskTransport(current_app.test_client(), base_url=base_url())
    token, account = current_app.config["TWILIO_AUTH_TOKEN"], current_app.config["TWILIO_ACCOUNT_SID"]
    phone = (Phone.resume(transport, token, data) if data else
             Phone(transport, token, caller=caller or "", account=account))
    # A <Pause> is real time for a caller; keep it short so the page stays responsive.
    phone.while_paused = lambda seconds: time.sleep(min(seconds, 1.0))
    return phone


def load() -> Phone:
    raw = redis().get(key())
    if raw is None:
        abort(409, "There is no call in progress: press Call first.")
    phone = phone_for(json.loads(raw))
    for instruction in take_instructions(current_app.config["REDIS_URL"], phone.sid):
        carry_out(phone, instruction)
    return phone


def carry_out(phone: Phone, instruction: dict[str, str]) -> None:
    """What Twilio would do with a REST update of this call."""
    if phone.ended:
        return
    if instruction.get("Status") == CallStatus.COMPLETED:
        # The desk's End call (or Done while talking); with nobody connected, the helpline's
        # housekeeping (ivr/queue/lost_calls.py).
        by = "adviser" if phone.dialing is not None else "helpline"
        phone.hangup()
        phone.ended_by = by
    elif instruction.get("Url"):
        phone.redirect(path_of(instruction["Url"]))  # the bridge posts to this app alone
        if phone.dialing is not None:
            phone.adviser_answers()  # the adviser's line picks up (the desk already said yes)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def heard(h: Heard) -> dict[str, Any]:
    """One thing the caller heard, for the page. A recorded prompt (config/flow_audio.py) comes
    with its transcript, shown as it plays; other <Play>s are hold music."""
    item = dict(vars(h), play=path_of(h.play) if h.play else None)
    if item["play"]:
        recorded = recorded_prompt(item["play"])
        if recorded is not None:
            item["language"], item["text"] = recorded
            item["recorded"] = True
    return item


def recorded_prompt(path: str) -> tuple[str, str] | None:
    """(language, transcript) of the recorded prompt the app serves at path, else None."""
    prefix = "/ivr/prompts/"
    if not path.startswith(prefix):
        return None
    relative = urlsplit(path).path[len(prefix):]
    flow: Flow = current_app.extensions["jobline.flow"]
    words = flow.recordings.transcripts.get(relative)
    if words is None:
        return None
    lang = relative.split("/", 1)[0]
    return flow.language(lang).say_language or lang, words


def save(phone: Phone) -> None:
    redis().set(key(), json.dumps(phone.state()), ex=ENDED_STATE_TTL_S if phone.ended else STATE_TTL_S)


def view(phone: Phone, since: int) -> Response:
    """What the page shows: what was heard since `since`, and what the call waits for."""
    pending = phone.pending
    waiting = "ended" if phone.ended else (pending.tag if pending is not None else
                                           "Dial" if phone.dialing is not None else
                                           "Enqueue" if phone.queue is not None else "ended")
    body: dict[str, Any] = {
        # a <Play> is given as this app's path: the page plays it from here, never from elsewhere
        "heard": [heard(h) for h in phone.heard[since:]],
        "next": len(phone.heard),
        "waiting": waiting, "in_queue": phone.queue is not None,
        "connected": phone.dialing is not None and not phone.ended, "ended": phone.ended,
        "ended_by": phone.ended_by if phone.ended else None,
    }
    if pending is not None and pending.tag == "Gather":
        body["gather"] = {"num_digits": int(pending.get("numDigits") or 0),
                          "finish_on_key": pending.get("finishOnKey", "#"),
                          "timeout": int(pending.get("timeout") or 5),
                          # nested <Play>s (the hold music) play while the Gather listens; the
                          # page plays them from this app (their path only), then waits `timeout`
                          "play": [path for path in (path_of((el.text or "").strip()) for el in pending
                                                     if el.tag == "Play") if recorded_prompt(path) is None]}
    if pending is not None and pending.tag == "Record":
        body["record"] = {"max_seconds": int(pending.get("maxLength") or RECORD_MAX_DEFAULT),
                          "timeout": int(pending.get("timeout") or RECORD_TIMEOUT_DEFAULT),
                          "finish_on_key": pending.get("finishOnKey", RECORD_FINISH_DEFAULT)}
    return jsonify(body)


def since() -> int:
    return max(0, int((request.get_json(silent=True) or {}).get("since") or request.args.get("since", 0)))


def act(action: Callable[[Phone], Any]) -> Response | tuple[Response, int]:
    """Load the call, let `action` act on it (unless it ended), save it, answer the page."""
    # One request at a time per caller: the page's hold loop and its poll must not both load
    # the call, act, and save (the second save would undo the first, e.g. an adviser's answer).
    with redis().lock(key() + ":lock", timeout=60, blocking_timeout=30):
        phone = load()
        start = since()
        try:
            if not phone.ended:
                action(phone)
            put_adviser_through(phone)  # a callback answered here: the caller's 1 dials the adviser
        except CallError as e:
            return jsonify({"error": f"The helpline answered something a phone cannot follow: {e}"}), 502
        save(phone)
    return view(phone, start)
