"""/phone/api/ring: a callback rings the web phone; the page answers or declines it, as a phone.

Twilio's side of a call Jobline placed (rings.py keeps the ring), played as Twilio plays it:
- answered: Twilio requests the call's Url with CallStatus=in-progress, Direction=outbound-api,
  From the helpline's number, To the person called (Twilio's request parameters: CallSid,
  AccountSid, From, To, CallStatus, ApiVersion, Direction "inbound, outbound-api, or
  outbound-dial", https://www.twilio.com/docs/api/twiml/twilio_request), and the call
  goes on like any other (the callback's TwiML asks for 1, then dials the adviser);
- not answered within its Timeout: no-answer; refused: busy ("busy: Twilio dialed the number, but
  received a busy response; no-answer: ... no one answered before the timeout parameter value
  elapsed", https://help.twilio.com/articles/223132547). Either is sent to the StatusCallback:
  the final status is the one event sent when the create names none (StatusCallbackEvent: "If no
  event is specified, we send the `completed` status", Twilio's API v2010 spec for Calls.create,
  https://www.twilio.com/docs/voice/api/call-resource), as routing's dialler creates it, so the
  callback's try counts as failed.
The desk ends or redirects the answered call through the bridge, as any web-phone call.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user

from callcenter.access import role_required
from callcenter.webphone import rings
from callcenter.webphone.line import key, phone_for, redis, save, view
from callcenter.webphone.views import ANY_ROLE, demo_number
from ivr.telephony.simulator import CallError, Phone

bp = Blueprint("webphone_ringing", __name__)


def init_app(app: Any) -> None:
    """The ring endpoints, beside the web phone (off with DEMO_PHONE=0, as it is)."""
    if app.config.get("DEMO_PHONE", False):
        app.register_blueprint(bp)


def _slot() -> int:
    return rings.demo_slot(demo_number(current_user.id)) or 0


def _path(url: str) -> str:
    parts = urlsplit(url)  # only the path: the bridge posts to this app alone
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _called(ring: dict[str, Any]) -> Phone:
    """The called person's side of the ringing call, as Twilio signs its requests about it."""
    phone = phone_for(caller=ring["from"])
    phone.to, phone.sid, phone.account = ring["to"], ring["sid"], ring["account"]
    phone.direction, phone.status_callback = "outbound-api", _path(ring["status_callback"])
    return phone


def _not_reached(ring: dict[str, Any], status: str) -> None:
    """The final status callback of a call nobody took (busy, no-answer)."""
    if not ring["status_callback"]:
        return
    phone = _called(ring)
    code, body = phone.post(phone.status_callback, phone.params(CallStatus=status, CallDuration="0"))
    if code >= 300:
        current_app.logger.warning("the callback's status callback answered %s", code)


def _live_call() -> bool:
    raw = redis().get(key())
    return raw is not None and not json.loads(raw).get("ended")


@bp.get("/phone/api/ring")
@role_required(*ANY_ROLE)
def ringing() -> Response:
    """Is Jobline calling this user's web phone? After the Timeout the ring is over: no-answer."""
    url = current_app.config["REDIS_URL"]
    ring = rings.peek(url, _slot())
    if ring is not None and time.time() > ring["until"]:
        ring = rings.take(url, _slot(), ring["sid"])
        if ring is not None:
            _not_reached(ring, "no-answer")
        ring = None
    if ring is None:
        return jsonify({"ringing": False})
    left = max(0, int(ring["until"] - time.time()))
    return jsonify({"ringing": True, "sid": ring["sid"], "seconds_left": left})


@bp.post("/phone/api/ring/answer")
@role_required(*ANY_ROLE)
def answer() -> Response | tuple[Response, int]:
    """Pick up: Twilio requests the call's Url, and the page carries on the call as its own."""
    sid = str((request.get_json(silent=True) or {}).get("sid", ""))
    if _live_call():
        return jsonify({"error": "Hang up the call in progress first."}), 409
    ring = rings.take(current_app.config["REDIS_URL"], _slot(), sid)
    if ring is None or time.time() > ring["until"]:
        if ring is not None:
            _not_reached(ring, "no-answer")
        return jsonify({"error": "The call stopped ringing before you answered."}), 409
    phone = _called(ring)
    with redis().lock(key() + ":lock", timeout=60, blocking_timeout=30):
        try:
            phone.request(_path(ring["url"]), CallStatus="in-progress")
        except CallError as e:
            return jsonify({"error": f"The helpline answered something a phone cannot follow: {e}"}), 502
        save(phone)
    return view(phone, 0)


@bp.post("/phone/api/ring/decline")
@role_required(*ANY_ROLE)
def decline() -> Response:
    """Refuse the call: Twilio reports it busy."""
    sid = str((request.get_json(silent=True) or {}).get("sid", ""))
    ring = rings.take(current_app.config["REDIS_URL"], _slot(), sid)
    if ring is not None:
        _not_reached(ring, "busy")
    return jsonify({"ringing": False})
