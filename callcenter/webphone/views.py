"""/phone: call the helpline from a browser, through the same signed webhooks Twilio uses.

The bridge stands where Twilio would: it signs each request with the account's auth token,
posts it in-process to this app's own webhooks (never anywhere else), follows the TwiML and
hands the page what a caller would hear. The call's state lives in Redis, so any web process
can carry it on. Recordings made in the browser are served back, behind the account's basic
auth as Twilio serves its own and at Twilio's path for them, so the transcription job fetches
them like any other when TWILIO_API_BASE is this app (`make run` without a Twilio account; its
DELETE finds nothing there and moves on); with Twilio's own API host they are not fetched, as no
RecordingUrl off that host ever is.
Only signed-in users can place calls, each from a reserved demo number of their own
(`demo_number`), never from a number they type, so nobody can call "as" a real caller and read
that person's history on the desk. Off unless DEMO_PHONE=1 (on by default only in development).
"""

from __future__ import annotations

import hmac
import json
import re
import time
import uuid
import wave
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from callcenter.access import nav, public, role_required
from callcenter.webphone.bridge import BridgeHttpClient, register_call, take_instructions
from callcenter.webphone.rings import put_adviser_through
from db.broker import redis_for
from db.states import ROLES, CallStatus
from ivr.telephony.numbers import FICTION_MOBILE
from ivr.telephony.simulator import CallError, FlaskTransport, Phone

bp = Blueprint("webphone", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/webphone")


def init_app(app: Any) -> None:
    """Register /phone and let the bridge answer REST calls about its calls (not with DEMO_PHONE=0).

    The phone is the caller simulator (ivr/telephony/simulator/), which Twilio's side of a call
    plays in tests too."""
    if not app.config.get("DEMO_PHONE", False):
        return
    app.register_blueprint(bp)
    app.config["TWILIO_HTTP_CLIENT"] = BridgeHttpClient(app.config["REDIS_URL"],
                                                        inner=app.config.get("TWILIO_HTTP_CLIENT"))
ANY_ROLE = ROLES
STATE_TTL_S = 2 * 3600
# An ended call's state (the caller's number, the digits read back) is kept only for the page's
# last poll: Redis holds no number longer than the call needs (README, "Retention...").
ENDED_STATE_TTL_S = 60
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
RECORDING_SID = re.compile(r"^RE[0-9a-f]{32}$")
# Web-phone callers ring from Ofcom's drama mobile range 07700 900000-900999 (no real caller has
# one; ivr/telephony/numbers.py FICTION_MOBILE): 1000 numbers.
DEMO_RANGE_SIZE = 1000


def demo_number(user_id: int) -> str:
    """The reserved number a user's web-phone calls come from, e.g. user 7 -> '+447700900007'.
    Users whose ids differ by a multiple of 1000 share one (their demo calls share a history)."""
    return f"{FICTION_MOBILE}{user_id % DEMO_RANGE_SIZE:03d}"


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException) -> tuple[Response, int] | HTTPException:
    """The page's API answers errors as a sentence in JSON; pages keep the normal error page."""
    if request.path.startswith("/phone/api/"):
        return jsonify({"error": error.description}), error.code or 500
    return error


def _uploads() -> Path:
    folder = Path(current_app.config.get("INSTANCE", current_app.instance_path)) / "webphone"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def _key() -> str:
    return f"jobline:webphone:user:{current_user.id}"


def _redis() -> Any:
    return redis_for(current_app.config["REDIS_URL"])


def _phone(data: dict[str, Any] | None = None, caller: str | None = None) -> Phone:
    transport = FlaskTransport(current_app.test_client(), base_url=_base_url())
    token, account = current_app.config["TWILIO_AUTH_TOKEN"], current_app.config["TWILIO_ACCOUNT_SID"]
    phone = (Phone.resume(transport, token, data) if data else
             Phone(transport, token, caller=caller or "", account=account))
    # A <Pause> is real time for a caller; keep it short so the page stays responsive.
    phone.while_paused = lambda seconds: time.sleep(min(seconds, 1.0))
    return phone


def _load() -> Phone:
    raw = _redis().get(_key())
    if raw is None:
        abort(409, "There is no call in progress: press Call first.")
    phone = _phone(json.loads(raw))
    for instruction in take_instructions(current_app.config["REDIS_URL"], phone.sid):
        _carry_out(phone, instruction)
    return phone


def _carry_out(phone: Phone, instruction: dict[str, str]) -> None:
    """What Twilio would do with a REST update of this call."""
    if phone.ended:
        return
    if instruction.get("Status") == CallStatus.COMPLETED:
        phone.hangup()
    elif instruction.get("Url"):
        parts = urlsplit(instruction["Url"])  # only the path: the bridge posts to this app alone
        phone.redirect(parts.path + (f"?{parts.query}" if parts.query else ""))
        if phone.dialing is not None:
            phone.adviser_answers()  # the adviser's line picks up (the desk already said yes)


def _save(phone: Phone) -> None:
    _redis().set(_key(), json.dumps(phone.state()), ex=ENDED_STATE_TTL_S if phone.ended else STATE_TTL_S)


def _view(phone: Phone, since: int) -> Response:
    pending = phone.pending
    waiting = "ended" if phone.ended else (pending.tag if pending is not None else
                                           "Dial" if phone.dialing is not None else
                                           "Enqueue" if phone.queue is not None else "ended")
    body: dict[str, Any] = {
        "heard": [vars(h) for h in phone.heard[since:]], "next": len(phone.heard),
        "waiting": waiting, "in_queue": phone.queue is not None,
        "connected": phone.dialing is not None and not phone.ended, "ended": phone.ended,
    }
    if pending is not None and pending.tag == "Gather":
        body["gather"] = {"num_digits": int(pending.get("numDigits") or 0),
                          "finish_on_key": pending.get("finishOnKey", "#"),
                          "timeout": int(pending.get("timeout") or 5)}
    if pending is not None and pending.tag == "Record":
        body["record"] = {"max_seconds": int(pending.get("maxLength") or 60)}
    return jsonify(body)


def _since() -> int:
    return max(0, int((request.get_json(silent=True) or {}).get("since") or request.args.get("since", 0)))


def _act(action: Any) -> Response:
    # One request at a time per caller: the page's hold loop and its poll must not both load
    # the call, act, and save (the second save would undo the first, e.g. an adviser's answer).
    with _redis().lock(_key() + ":lock", timeout=60, blocking_timeout=30):
        phone = _load()
        since = _since()
        try:
            if not phone.ended:
                action(phone)
            put_adviser_through(phone)  # a callback answered here: the caller's 1 dials the adviser
        except CallError as e:
            return jsonify({"error": f"The helpline answered something a phone cannot follow: {e}"}), 502
        _save(phone)
    return _view(phone, since)


@bp.get("/phone")
@nav("Web phone", order=70)
@role_required(*ANY_ROLE)
def page() -> str:
    return render_template("phone.html", caller=demo_number(current_user.id))


@bp.post("/phone/api/call")
@role_required(*ANY_ROLE)
def call() -> Response | tuple[Response, int]:
    """Place a call from the user's own demo number (a "from" in the body is not used)."""
    phone = _phone(caller=demo_number(current_user.id))
    register_call(current_app.config["REDIS_URL"], phone.sid, current_user.id)
    with _redis().lock(_key() + ":lock", timeout=60, blocking_timeout=30):
        try:
            phone.dial()
        except CallError as e:
            return jsonify({"error": f"The helpline did not answer: {e}"}), 502
        _save(phone)
    return _view(phone, 0)


@bp.post("/phone/api/keys")
@role_required(*ANY_ROLE)
def keys() -> Response | tuple[Response, int]:
    digits = str((request.get_json(silent=True) or {}).get("digits", ""))
    if not re.fullmatch(r"[0-9*#]{1,32}", digits):
        return jsonify({"error": "Keys are 0-9, * and #."}), 400
    def press(phone: Phone) -> None:
        if phone.pending is not None and phone.pending.tag == "Gather":
            phone.press(digits)
    return _act(press)


@bp.post("/phone/api/silence")
@role_required(*ANY_ROLE)
def silence() -> Response:
    def wait_out(phone: Phone) -> None:
        # Silence ends a <Gather> or <Record>; a connected <Dial> is not something to wait out.
        if phone.pending is not None and phone.pending.tag in {"Gather", "Record"}:
            phone.silence()
    return _act(wait_out)


@bp.post("/phone/api/continue")
@role_required(*ANY_ROLE)
def carry_on() -> Response:
    """Poll: REST instructions (an adviser answered) are carried out; on hold, the next loop."""
    def hold(phone: Phone) -> None:
        if phone.queue is not None and phone.pending is None and request.args.get("hold") == "1":
            phone.hold()
    return _act(hold)


@bp.post("/phone/api/record")
@role_required(*ANY_ROLE)
def record() -> Response | tuple[Response, int]:
    request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024
    upload = request.files.get("audio")
    blob = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not blob:
        return jsonify({"error": "Choose a WAV file or record from the microphone first."}), 400
    if len(blob) > MAX_UPLOAD_BYTES:
        return jsonify({"error": "That recording is over 5 MB; keep answers under a minute."}), 413
    try:
        with wave.open(BytesIO(blob)) as w:
            seconds = max(1, round(w.getnframes() / max(1, w.getframerate())))
    except (wave.Error, EOFError):
        return jsonify({"error": "That file is not a WAV recording; record from the microphone or "
                                 "choose a .wav file."}), 400
    sid = "RE" + uuid.uuid4().hex  # random: with the account's password, the file's only key
    (_uploads() / f"{sid}.wav").write_bytes(blob)
    account = current_app.config["TWILIO_ACCOUNT_SID"]
    url = f"{_base_url()}/2010-04-01/Accounts/{account}/Recordings/{sid}"
    return _act(lambda phone: phone.record(sid=sid, url=url, duration=seconds)
                if phone.pending is not None and phone.pending.tag == "Record" else None)


@bp.post("/phone/api/hangup")
@role_required(*ANY_ROLE)
def hangup() -> Response:
    return _act(lambda phone: phone.hangup())


@bp.get("/2010-04-01/Accounts/<account>/Recordings/<sid>.wav")
@public
def recording_audio(account: str, sid: str) -> Response:
    """A browser recording, served as Twilio serves recordings: at Twilio's path for them, to the
    account's credentials only."""
    auth = request.authorization
    expected = (current_app.config["TWILIO_ACCOUNT_SID"], current_app.config["TWILIO_AUTH_TOKEN"])
    if auth is None or not (hmac.compare_digest(auth.username or "", expected[0])
                            and hmac.compare_digest(auth.password or "", expected[1])):
        return Response("Authentication required.", 401, {"WWW-Authenticate": 'Basic realm="recordings"'})
    path = _uploads() / f"{sid}.wav"
    if account != expected[0] or not RECORDING_SID.match(sid) or not path.is_file():
        abort(404)
    return Response(path.read_bytes(), mimetype="audio/x-wav")

