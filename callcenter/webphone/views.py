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
import re
import uuid
import wave
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from callcenter.access import allow_larger_body, nav, public, role_required
from callcenter.webphone import line
from callcenter.webphone.bridge import BridgeHttpClient, register_call
from callcenter.webphone.line import ENDED_STATE_TTL_S as ENDED_STATE_TTL_S  # what Redis keeps
from callcenter.webphone.line import RECORD_MAX_DEFAULT
from callcenter.webphone.line import STATE_TTL_S as STATE_TTL_S
from db.states import ROLES
from ivr.telephony.numbers import FICTION_MOBILE
from ivr.telephony.simulator import CallError, Phone

bp = Blueprint("webphone", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/webphone")


def init_app(app: Any) -> None:
    """Register /phone and let the bridge answer REST calls about its calls (not with DEMO_PHONE=0).

    The phone is the caller simulator (ivr/telephony/simulator/), which Twilio's side of a call
    plays in tests too."""
    if not app.config.get("DEMO_PHONE", False):
        return
    app.register_blueprint(bp)
    # A recording upload may be as long as a <Record> step allows (60 s of 16 kHz 16-bit
    # microphone is about 1.9 MB).
    allow_larger_body(app, "webphone.record", MAX_UPLOAD_BYTES + 64 * 1024)
    app.config["TWILIO_HTTP_CLIENT"] = BridgeHttpClient(app.config["REDIS_URL"],
                                                        inner=app.config.get("TWILIO_HTTP_CLIENT"))
ANY_ROLE = ROLES
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 2 min 40 s of 16 kHz 16-bit mono: over any step's maxLength
TOO_BIG = "That recording is over 5 MB; keep answers under a minute."
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
        if error.code == 413:
            return jsonify({"error": TOO_BIG}), 413
        return jsonify({"error": error.description}), error.code or 500
    return error


def _uploads() -> Path:
    folder = Path(current_app.config.get("INSTANCE", current_app.instance_path)) / "webphone"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@bp.get("/phone")
@nav("Web phone", order=70)
@role_required(*ANY_ROLE)
def page() -> str:
    return render_template("phone.html", caller=demo_number(current_user.id))


@bp.post("/phone/api/call")
@role_required(*ANY_ROLE)
def call() -> Response | tuple[Response, int]:
    """Place a call from the user's own demo number (a "from" in the body is not used). A call
    still live from an earlier page (one whose closing hang-up never arrived) is hung up first:
    one phone, one call."""
    phone = line.phone_for(caller=demo_number(current_user.id))
    register_call(current_app.config["REDIS_URL"], phone.sid, current_user.id)
    with line.redis().lock(line.key() + ":lock", timeout=60, blocking_timeout=30):
        try:
            if line.redis().exists(line.key()):
                earlier = line.load()
                if not earlier.ended:
                    earlier.hangup()
            phone.dial()
        except CallError as e:
            return jsonify({"error": f"The helpline did not answer: {e}"}), 502
        line.save(phone)
    return line.view(phone, 0)


@bp.post("/phone/api/keys")
@role_required(*ANY_ROLE)
def keys() -> Response | tuple[Response, int]:
    digits = str((request.get_json(silent=True) or {}).get("digits", ""))
    if not re.fullmatch(r"[0-9*#]{1,32}", digits):
        return jsonify({"error": "Keys are 0-9, * and #."}), 400
    def press(phone: Phone) -> None:
        if phone.pending is not None and phone.pending.tag == "Gather":
            phone.press(digits)
    return line.act(press)


@bp.post("/phone/api/silence")
@role_required(*ANY_ROLE)
def silence() -> Response:
    def wait_out(phone: Phone) -> None:
        # Silence ends a <Gather> or <Record>; a connected <Dial> is not something to wait out.
        if phone.pending is not None and phone.pending.tag == "Record":
            phone.record(duration=0, key=None)  # nothing said: an empty recording
        elif phone.pending is not None and phone.pending.tag == "Gather":
            phone.silence()
    return line.act(wait_out)


@bp.post("/phone/api/continue")
@role_required(*ANY_ROLE)
def carry_on() -> Response:
    """Poll: REST instructions (an adviser answered) are carried out; on hold, the next loop."""
    def hold(phone: Phone) -> None:
        if phone.queue is not None and phone.pending is None and request.args.get("hold") == "1":
            phone.hold()
    return line.act(hold)


@bp.post("/phone/api/record")
@role_required(*ANY_ROLE)
def record() -> Response | tuple[Response, int]:
    """The caller's answer to a <Record>: a WAV (the microphone's, or a chosen file) and the
    finish key that ended it (`key`; none when the step's maxLength or silence ended it). A key
    with no audio is a key pressed right after the tone: an empty recording, as on Twilio."""
    key = str(request.form.get("key", ""))
    if not re.fullmatch(r"[0-9*#]?", key):
        return jsonify({"error": "Keys are 0-9, * and #."}), 400
    upload = request.files.get("audio")
    blob = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not blob and not key:
        return jsonify({"error": "Choose a WAV file or record from the microphone first."}), 400
    if len(blob) > MAX_UPLOAD_BYTES:
        return jsonify({"error": TOO_BIG}), 413
    seconds = 0
    if blob:
        try:
            with wave.open(BytesIO(blob)) as w:
                seconds = max(1, round(w.getnframes() / max(1, w.getframerate())))
        except (wave.Error, EOFError):
            return jsonify({"error": "That file is not a WAV recording; record from the microphone or "
                                     "choose a .wav file."}), 400
    sid = "RE" + uuid.uuid4().hex  # random: with the account's password, the file's only key
    account = current_app.config["TWILIO_ACCOUNT_SID"]
    url = f"{line.base_url()}/2010-04-01/Accounts/{account}/Recordings/{sid}"

    def answer(phone: Phone) -> None:
        if phone.pending is None or phone.pending.tag != "Record":
            return
        longest = int(phone.pending.get("maxLength") or RECORD_MAX_DEFAULT)
        if seconds > longest + 1:  # Twilio stops at maxLength; a longer file is refused, not cut
            abort(400, f"That recording lasts {seconds} seconds; this question takes at most "
                       f"{longest}. Record a shorter answer.")
        if blob:
            (_uploads() / f"{sid}.wav").write_bytes(blob)
        phone.record(sid=sid, url=url, duration=seconds, key=key or None)
    return line.act(answer)


@bp.post("/phone/api/hangup")
@role_required(*ANY_ROLE)
def hangup() -> Response:
    return line.act(lambda phone: phone.hangup())


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

