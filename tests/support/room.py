"""A caller talking with an adviser in the call's conference room, as the desk tests of hold,
mute and consults need: Twilio's room status callback signed as Twilio signs it, and the
Participants API requests the app sent (to Prism or the fake)."""

from __future__ import annotations

from sqlalchemy import select

from db.models import QueueEntry
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, TOKEN
from tests.support.queue import desk_of
from tests.support.signing import sign

PUBLIC = "https://helpline.pes.example"
ROOM = "CF" + "d" * 32


def room_reports(app, entry_id: int, sid: str = ROOM, event: str = "participant-join") -> int:
    """Twilio's conference status callback for the call's room, signed as Twilio signs it."""
    url = f"{PUBLIC}/ivr/queue/room/{entry_id}"
    form = {"ConferenceSid": sid, "FriendlyName": "jobline-call-1", "StatusCallbackEvent": event,
            "CallSid": "CA" + "e" * 32, "AccountSid": ACCOUNT, "ParticipantLabel": "caller"}
    return FlaskTransport(app.test_client(), base_url=PUBLIC).post(url, form, sign(url, form))[0]


def talking(app, s, room: bool = True, number: str = "+447700900801"):
    """A caller in the general queue, answered on the desk, the adviser pressed 1: they talk."""
    desk = desk_of(app, "ada")
    p = Phone(FlaskTransport(app.test_client(), base_url=PUBLIC), TOKEN, caller=number, account=ACCOUNT)
    p.dial().press("1").press("0")
    assert desk.send("POST", "/api/answer").status_code == 200
    entry = s.scalar(select(QueueEntry))
    p.redirect(f"{PUBLIC}/ivr/queue/connect/{entry.id}")
    p.adviser_answers("1")
    if room:
        assert room_reports(app, entry.id) == 200
    return desk, entry


def participant_requests(twilio_http, method: str = "POST") -> list[tuple[str, dict[str, list[str]]]]:
    return [(path, form) for m, path, form in twilio_http.sent if m == method and "/Participants" in path]
