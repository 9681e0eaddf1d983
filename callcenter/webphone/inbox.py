"""/phone/api/texts: the texts that reached this user's web phone (texts.py keeps them), and
Twilio's status callbacks of each (sent, delivered), posted once the page has it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify
from flask_login import current_user

from callcenter.access import role_required
from callcenter.webphone import rings, texts
from callcenter.webphone.line import phone_for
from callcenter.webphone.views import ANY_ROLE, demo_number

bp = Blueprint("webphone_texts", __name__)


def init_app(app: Any) -> None:
    """Beside the web phone (off with DEMO_PHONE=0, as it is)."""
    if app.config.get("DEMO_PHONE", False):
        app.register_blueprint(bp)


def _delivered(text: dict[str, Any]) -> None:
    """Twilio's status callbacks of a text the handset got: sent, then delivered."""
    if not text["status_callback"]:
        return
    parts = urlsplit(text["status_callback"])  # only the path: the bridge posts to this app alone
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    phone = phone_for(caller=text["from"])
    for status in ("sent", "delivered"):
        form = {"MessageSid": text["sid"], "SmsSid": text["sid"], "MessageStatus": status,
                "SmsStatus": status, "AccountSid": text["account"], "From": text["from"],
                "To": text["to"], "ApiVersion": "2010-04-01"}
        code, _ = phone.post(path, form)
        if code >= 300:
            current_app.logger.warning("a text's status callback answered %s", code)


@bp.get("/phone/api/texts")
@role_required(*ANY_ROLE)
def inbox() -> Response:
    """The texts that reached this user's web phone since the last look (then delivered)."""
    slot = rings.demo_slot(demo_number(current_user.id)) or 0
    arrived = texts.take_texts(current_app.config["REDIS_URL"], slot)
    for text in arrived:
        _delivered(text)
    return jsonify({"texts": [{"from": t["from"], "body": t["body"]} for t in arrived]})
