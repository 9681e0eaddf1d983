"""A caller's way into the queue, callbacks dialled and answered, and a signed-in adviser: the
steps the queue tests share (Twilio's REST side is the Prism mock, tests/support/prism.py)."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.accounts.users import create_user
from callcenter.routing import callbacks, claims
from db import session as db
from db.models import Call, QueueEntry, User
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.desk import PASSWORD, Desk, csrf_from, sign_in
from tests.support.env import ACCOUNT, TOKEN


def to_queue(caller, number: str):
    """English, then 0 on the main menu: the general queue."""
    return caller(number).dial().press("1").press("0")


def legs_of(s, p) -> list[QueueEntry]:
    s.expire_all()
    call = s.scalar(select(Call).where(Call.sid == p.sid))
    return list(s.scalars(select(QueueEntry).where(QueueEntry.call_id == call.id).order_by(QueueEntry.id)))


def outcome(s, p) -> str | None:
    s.expire_all()
    return s.scalar(select(Call.outcome).where(Call.sid == p.sid))


def ask_callback(caller, number: str) -> None:
    p = to_queue(caller, number)
    p.press("1").press("1")
    assert p.ended
    p.hangup()


def dial(qapp, clock) -> list[int]:
    with qapp.app_context():
        return callbacks.dial_due(qapp.config, qapp.extensions["jobline.flow"], clock())


def created_calls(twilio_http) -> list[dict[str, list[str]]]:
    return [form for method, path, form in twilio_http.sent
            if method == "POST" and path.endswith("/Calls.json")]


def callee(qapp, url: str) -> Phone:
    """The person called back picks up: Twilio fetches the call's Url."""
    p = Phone(FlaskTransport(qapp.test_client()), TOKEN, caller="+18005550100", to="+447700900701",
              account=ACCOUNT)
    p.request(url, Direction="outbound-api")
    return p


def desk_of(qapp, username: str, role: str = "agent") -> Desk:
    with db.SessionLocal.begin() as s:
        create_user(s, username, "Ada Lovell", role, PASSWORD, queues=["general"], languages=["en"],
                    phone="+447700900901")
    client = qapp.test_client()
    assert sign_in(client, username).status_code == 302
    desk = Desk(client, csrf_from(client, "/account/password"))
    assert desk.send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    return desk


def put_through(qapp, agent_id: int, now) -> None:
    """The adviser answers on the desk: the next caller is claimed for them and redirected (REST)."""
    with qapp.app_context(), db.SessionLocal() as s:
        agent = s.get(User, agent_id)
        entry = claims.claim_next(s, agent, now)
        s.commit()
        claims.connect(qapp.config, entry, agent)
