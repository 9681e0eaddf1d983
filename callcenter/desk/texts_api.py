"""Texts an adviser sends the caller they talk to (issue 19): one of the flow's information
messages (a `say` node's `sms` text), in the caller's language; no free text.

The same rules as the IVR's key (db/text_messages.py): only to the number the call came from,
never to a withheld one, at most SMS_DAILY_LIMIT a number in 24 hours, and only when
TWILIO_MESSAGING_FROM is set. When a text cannot go, the answer says why in a sentence the desk
shows as it is. The send is the same RQ job, queued with the row's id once it is committed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk.requests import app_flow, json_body, no_store_json, signed_in_user
from callcenter.desk.state import DESK
from config.flow import Flow
from db import session as db
from db import text_messages
from db.models import QueueEntry, TextMessage, User

bp = Blueprint("texts", __name__, url_prefix="/api")  # registered by callcenter.init_app


def why_not(refusal: str | None, limit: int) -> str | None:
    """The sentence the desk shows for a refusal (db/text_messages.py), or None."""
    return {
        text_messages.WITHHELD: "The caller's number is withheld (or erased), so no text message can "
                                "be sent to them; read them the information instead.",
        text_messages.LIMIT: f"This number has had {limit} text messages in the last 24 hours, the most "
                             "Jobline sends; read the caller the information instead.",
        text_messages.UNAVAILABLE: "Text messages are not set up (TWILIO_MESSAGING_FROM is not set); "
                                   "tell an administrator.",
    }.get(refusal or "")


def label_of(flow: Flow, node_id: str) -> str:
    """A message's name for advisers: the menu option that leads to it, in the flow's first language."""
    for node in flow.nodes.values():
        for option in node.options.values():
            if option.next == node_id:
                return option.label.get(flow.default_language) or node_id
    return node_id.replace("_", " ").capitalize()


def _entry(user: User, entry_id: int) -> QueueEntry:
    entry = db.current().get(QueueEntry, entry_id)
    if entry is None or entry.agent_id != user.id:
        abort(404, "You are not on this call; refresh the desk to see your current call.")
    return entry


def _row(text: TextMessage) -> dict[str, Any]:
    return {"id": text.id, "message": text.message, "language": text.language, "status": text.status,
            "error_code": text.error_code, "sent_by": text.sent_by,
            "requested_at": text.requested_at.isoformat()}


def _refusal(entry: QueueEntry) -> str | None:
    if not current_app.config.get("TWILIO_MESSAGING_FROM"):
        return text_messages.UNAVAILABLE
    limit = int(current_app.config.get("SMS_DAILY_LIMIT") or 1)
    return text_messages.refusal(db.current(), entry.call, clock(current_app.config), limit)


# One rule for both methods: with two rules on one path, werkzeug answers an id past ID_MAX with
# 405 instead of the 404 every other /api route gives (callcenter/params.py RowIdConverter).
@bp.route("/calls/<int:entry_id>/texts", methods=["GET", "POST"])
@role_required(*DESK)
def texts(entry_id: int) -> Any:
    return send_text(entry_id) if request.method == "POST" else offered(entry_id)


def offered(entry_id: int) -> Any:
    """The messages the adviser may send this caller (in the caller's language) and those sent."""
    entry, flow = _entry(signed_in_user(), entry_id), app_flow()
    lang = entry.call.language if entry.call.language in flow.language_codes else flow.default_language
    limit = int(current_app.config.get("SMS_DAILY_LIMIT") or 1)
    return no_store_json({
        "language": lang,
        "messages": [{"message": node_id, "label": label_of(flow, node_id), "text": by_lang[lang]}
                     for node_id, by_lang in flow.texts.items()],
        "sent": [_row(t) for t in text_messages.texts_of(db.current(), entry.call_id)],
        "cannot_send": why_not(_refusal(entry), limit),
    })


def send_text(entry_id: int) -> Any:
    """Send the caller one of the flow's messages by SMS; 409 with the reason when it cannot go."""
    s, user, flow = db.current(), signed_in_user(), app_flow()
    entry = _entry(user, entry_id)
    message = json_body().get("message")
    if not isinstance(message, str) or message not in flow.texts:
        abort(400, f"Choose a message from: {', '.join(flow.texts) or '(none in the flow file)'}.")
    refusal = _refusal(entry)
    limit = int(current_app.config.get("SMS_DAILY_LIMIT") or 1)
    if refusal == text_messages.UNAVAILABLE:
        abort(503, why_not(refusal, limit))
    if refusal is not None:
        abort(409, why_not(refusal, limit))
    lang = entry.call.language if entry.call.language in flow.language_codes else flow.default_language
    text = text_messages.request_text(s, entry.call, message, lang, clock(current_app.config),
                                      adviser_id=user.id)
    s.commit()
    text_messages.enqueue_send(current_app.config["REDIS_URL"], text.id)
    return no_store_json(_row(text), 201)
