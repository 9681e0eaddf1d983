"""Information by text message (issue 19): who may get one, the row that records it, the job that
sends it, and what Twilio's status callbacks say about it.

The IVR (a caller's key, ivr/actions/texts.py) and the desk (an adviser's choice,
callcenter/desk/texts_api.py) go through the same rules here: a text goes only to the number
the call came from, never to a withheld one, and at most SMS_DAILY_LIMIT to one number in 24
hours. The send itself is an RQ job (callcenter/routing/texts.py `send_text_message`) taking the
row's id only; it is named here by its dotted path, as RQ names every job, because the IVR
may not import the call centre (ARCHITECTURE.md): the worker imports both.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.broker import redis_for
from db.models import Call, TextMessage, utcnow
from db.states import TEXT_RANK, TextStatus

log = logging.getLogger(__name__)

SEND_JOB = "callcenter.routing.texts.send_text_message"
TEXT_QUEUE = "callbacks"  # the worker's telephony queue (REST calls out), served before housekeeping
LIMIT_WINDOW = timedelta(hours=24)
WITHHELD, LIMIT, UNAVAILABLE = "withheld", "limit", "unavailable"


def number_of(call: Call) -> str | None:
    """The number a text for this call goes to: the caller's own, None when withheld or erased."""
    return call.caller.phone if call.caller is not None else None


def refusal(s: Session, call: Call, now: datetime, limit: int) -> str | None:
    """Why no text can go to this call's caller (WITHHELD, LIMIT), or None."""
    if number_of(call) is None:
        return WITHHELD
    sent = s.scalar(select(func.count(TextMessage.id)).join(Call, Call.id == TextMessage.call_id).where(
        Call.caller_id == call.caller_id, TextMessage.requested_at > now - LIMIT_WINDOW,
        TextMessage.status != TextStatus.FAILED))
    return LIMIT if (sent or 0) >= limit else None


def request_text(s: Session, call: Call, message: str, language: str, now: datetime, *,
                 adviser_id: int | None = None) -> TextMessage:
    """Store a text to send (flush, no commit); enqueue_send it once committed."""
    text = TextMessage(call_id=call.id, message=message, language=language, requested_at=now,
                       updated_at=now, sent_by="adviser" if adviser_id else "caller", adviser_id=adviser_id)
    s.add(text)
    s.flush()
    return text


def enqueue_send(redis_url: str, text_id: int) -> None:
    """Queue the send job (the row's id only: no number, no text), after commit. Redis down costs
    no caller their call and no adviser their page: the row stays requested (the reports show it
    was not sent) and the failure is logged."""
    from rq import Queue, Retry

    try:
        Queue(TEXT_QUEUE, connection=redis_for(redis_url)).enqueue_call(
            SEND_JOB, args=(text_id,), timeout=60, result_ttl=600, failure_ttl=7 * 24 * 3600,
            retry=Retry(max=2, interval=[10, 60]), job_id=f"send-text-{text_id}",
            description="send a text message")
    except Exception as e:
        log.error("could not queue text message %s (%s)", text_id, type(e).__name__)


def set_status(s: Session, text_id: int, status: str, *, sid: str | None = None,
               error_code: int | None = None) -> bool:
    """Move a text to `status` unless it is already there or further on (a late or repeated
    callback); the SID and an error code are kept whenever given. True when the status moved."""
    if status not in TEXT_RANK:
        return False
    lower = [name for name, rank in TEXT_RANK.items() if rank < TEXT_RANK[status]]
    values: dict[str, Any] = {"updated_at": utcnow()}
    if sid:
        s.execute(update(TextMessage).where(TextMessage.id == text_id, TextMessage.sid.is_(None))
                  .values(sid=sid, **values))
    if error_code is not None:
        values["error_code"] = error_code
    moved = s.execute(update(TextMessage).where(TextMessage.id == text_id, TextMessage.status.in_(lower))
                      .values(status=status, **values)).rowcount
    return bool(moved)


def texts_of(s: Session, call_id: int) -> list[TextMessage]:
    return list(s.scalars(select(TextMessage).where(TextMessage.call_id == call_id).order_by(TextMessage.id)))
