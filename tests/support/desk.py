"""Signing in as a person does (the login form, its CSRF token), a signed-in desk client, and a
caller waiting in a queue with the details the IVR captured."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from db.models import Call, Caller, CallEvent, Capture, QueueEntry, Recording
from tests.support.env import OPEN_TIME

PASSWORD = "correct-horse-battery"
TOKEN_RE = re.compile(r'name="csrf[-_]token" (?:content|value)="([^"]+)"')


def csrf_from(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page hands the browser (the meta tag or the hidden field)."""
    html = client.get(path).get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_from(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@dataclass
class Desk:
    """A signed-in browser: JSON calls carry the page's CSRF token, as desk.js does."""

    client: FlaskClient
    token: str

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def send(self, method: str, path: str, body: dict | None = None) -> Any:
        return self.client.open(path, method=method, json=body if body is not None else {},
                                headers={"X-CSRFToken": self.token})


def waiting_call(
    s: Session,
    *,
    phone: str = "+447700900123",
    queue: str = "benefits",
    language: str = "en",
    waited_s: int = 45,
    now: datetime = OPEN_TIME,
    name: str | None = "Maria Lopez",
    reason: str | None = "my benefit payment has not arrived",
    intent: str | None = "benefit_payment",
    id_number: str | None = "12345674",
    audio_path: str | None = None,
) -> QueueEntry:
    """A caller who went through the menus, gave details, and now waits in `queue`."""
    caller = s.query(Caller).filter_by(phone=phone).one_or_none() or Caller(phone=phone, language=language)
    started = now - timedelta(seconds=waited_s + 60)
    call = Call(sid="CA" + uuid.uuid4().hex,
                caller=caller, language=language, started_at=started, queue=queue, status="in-progress")
    s.add(call)
    call.events.extend([CallEvent(kind="enter", node="main", at=started),
                        CallEvent(kind="key", node="main", detail="2", at=started),
                        CallEvent(kind="enter", node="benefits", at=started),
                        CallEvent(kind="key", node="benefits", detail="adviser", at=started),
                        CallEvent(kind="adviser", node="adviser", detail=queue, at=started)])
    if id_number:
        call.captures.append(Capture(field="id_number", value=id_number, status="captured"))
    if name is not None:
        call.recordings.append(Recording(sid="RE" + call.sid[2:], kind="name", text=name or None,
                                         status="transcribed", audio_path=audio_path, language=language))
    if reason is not None:
        call.recordings.append(Recording(sid="RR" + call.sid[2:], kind="reason", text=reason,
                                         intent=intent, status="transcribed", language=language))
    entry = QueueEntry(call=call, queue=queue, language=language, intent=intent,
                       enqueued_at=now - timedelta(seconds=waited_s))
    s.add(entry)
    s.flush()
    return entry
