"""Sending a text message through Twilio's Messages API (Prism serving Twilio's own spec checks
every request), and what Twilio's status callbacks then say about it: a caller who pressed the
text key gets the flow's text in their language, from the messaging number, with a status
callback naming our row; a refusal is recorded with Twilio's code; delivered stays delivered."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from callcenter.routing.texts import send
from db.models import TextMessage
from tests.support.prism import form_of
from tests.support.signing import sign

SENDER = "+441632960001"
SERVICE = "MG" + "2" * 32
CALLER = "+447700900123"


class RefusingTwilio(TwilioHttpClient):
    """Twilio refusing a create as it does for a number that replied STOP (error 21610)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):  # noqa: ANN001
        self.sent += 1
        return Response(400, json.dumps({"code": 21610, "status": 400, "message": "Attempt to send to "
                                         "unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610"}))


def texted(app, phone, s, number=CALLER, language="1") -> TextMessage:
    """A caller who heard the office hours and pressed the text key."""
    phone(number, on=app).dial().press(language).press("5").press("1")
    return s.scalars(select(TextMessage).order_by(TextMessage.id.desc())).first()


def run_job(app, text_id: int) -> str:
    return send(app.config, app.extensions["jobline.flow"], text_id)


def messages_sent(http) -> list[dict[str, list[str]]]:
    return [form for method, path, form in http.sent if method == "POST" and path.endswith("/Messages.json")]


def test_the_text_goes_to_the_caller_from_the_messaging_number_with_a_status_callback(
        make_app, twilio_http, phone, s):
    app = make_app(TWILIO_MESSAGING_FROM=SENDER, TWILIO_HTTP_CLIENT=twilio_http)
    text = texted(app, phone, s)
    assert run_job(app, text.id) == "queued"
    [sent] = messages_sent(twilio_http)
    assert form_of(sent, "To") == CALLER and form_of(sent, "From") == SENDER
    assert form_of(sent, "Body") == app.extensions["jobline.flow"].texts["offices"]["en"]
    assert form_of(sent, "StatusCallback") == f"http://localhost/ivr/sms-status?text={text.id}"
    s.expire_all()
    stored = s.get(TextMessage, text.id)
    assert stored.status == "queued" and stored.sid == "SM" + "a" * 32  # Prism's example Message
    assert run_job(app, text.id) == "not due"  # the job run twice sends once
    assert len(messages_sent(twilio_http)) == 1


def test_a_messaging_service_sends_in_the_callers_language(make_app, twilio_http, phone, s):
    app = make_app(TWILIO_MESSAGING_FROM=SERVICE, TWILIO_HTTP_CLIENT=twilio_http)
    text = texted(app, phone, s, language="3")
    run_job(app, text.id)
    [sent] = messages_sent(twilio_http)
    assert form_of(sent, "MessagingServiceSid") == SERVICE and "From" not in sent
    assert form_of(sent, "Body").startswith("Agences : lun-ven")


def test_a_refused_text_is_recorded_failed_with_twilios_code(make_app, phone, s):
    refusing = RefusingTwilio()
    app = make_app(TWILIO_MESSAGING_FROM=SENDER, TWILIO_HTTP_CLIENT=refusing)
    text = texted(app, phone, s)
    assert run_job(app, text.id) == "failed"
    s.expire_all()
    assert (s.get(TextMessage, text.id).status, s.get(TextMessage, text.id).error_code) == ("failed", 21610)


def test_a_fictional_number_never_reaches_twilio_itself(make_app, phone, s):
    app = make_app(TWILIO_MESSAGING_FROM=SENDER)  # Twilio's own HTTP client: production
    text = texted(app, phone, s)  # +447700900123: Ofcom's drama range
    assert run_job(app, text.id) == "failed"
    s.expire_all()
    assert s.get(TextMessage, text.id).error_code == 21211


def post_status(client, text_id: int, status: str, code: str | None = None, signed: bool = True):
    url = f"http://localhost/ivr/sms-status?text={text_id}"
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": status, "AccountSid": "AC" + "1" * 32,
            "From": SENDER, "To": CALLER}
    if code:
        form["ErrorCode"] = code
    headers = {"X-Twilio-Signature": sign(url, form)} if signed else {}
    return client.post(f"/ivr/sms-status?text={text_id}", data=form, headers=headers)


@pytest.fixture
def tapp(make_app, twilio_http):
    return make_app(TWILIO_MESSAGING_FROM=SENDER, TWILIO_HTTP_CLIENT=twilio_http)


def test_status_callbacks_move_a_text_forward_only(tapp, phone, s):
    text = texted(tapp, phone, s)
    run_job(tapp, text.id)
    client = tapp.test_client()
    for status in ("sent", "delivered", "sent", "delivered"):  # a late and a repeated callback
        assert post_status(client, text.id, status).status_code == 204
    s.expire_all()
    assert s.get(TextMessage, text.id).status == "delivered"


def test_a_failed_delivery_keeps_twilios_error_code(tapp, phone, s):
    text = texted(tapp, phone, s)
    client = tapp.test_client()
    post_status(client, text.id, "sent")
    post_status(client, text.id, "undelivered", "30003")  # unreachable handset
    s.expire_all()
    stored = s.get(TextMessage, text.id)
    assert (stored.status, stored.error_code) == ("undelivered", 30003)
    assert stored.sid == "SM" + "a" * 32  # the callback came before the job stored it: kept from it


def test_an_unsigned_status_callback_is_refused(tapp, phone, s):
    text = texted(tapp, phone, s)
    assert post_status(tapp.test_client(), text.id, "delivered", signed=False).status_code == 403
    s.expire_all()
    assert s.get(TextMessage, text.id).status == "requested"
