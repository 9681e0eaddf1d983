"""Twilio's fallback URL survives us: it answers from the flow file alone, with the database
unreachable, in the caller's language when the failed URL tells it."""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db import session as db
from ivr.telephony.simulator import FlaskTransport, Phone
from tests.support.env import ACCOUNT, TOKEN
from tests.support.signing import FORM, sign


@pytest.fixture
def silent_database() -> Iterator[tuple[str, list[socket.socket]]]:
    """A PostgreSQL address that accepts connections and never answers (a hung server); every
    connection made to it is kept, so a test can tell whether anything tried."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # the server socket was closed: the test is over
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    port = server.getsockname()[1]
    yield f"postgresql+psycopg://jobline@127.0.0.1:{port}/jobline?connect_timeout=2", accepted
    server.close()
    for conn in accepted:
        conn.close()


def fallback(client, error_url: str):
    form = dict(FORM, ErrorCode="11200", ErrorUrl=error_url)
    return client.post("/ivr/fallback", data=form,
                       headers={"X-Twilio-Signature": sign("http://localhost/ivr/fallback", form)})


def test_the_fallback_answers_in_the_callers_language_with_the_database_unreachable(make_app,
                                                                                     silent_database):
    url, tried = silent_database
    client = make_app(DATABASE_URL=url).test_client()
    resp = fallback(client, "https://helpline.example/ivr/node/main/input?attempt=0&lang=es&slow=1")
    assert resp.status_code == 200
    doc = ET.fromstring(resp.data)
    heard = [(say.findtext("prosody") or say.text or "").strip() for say in doc.iter("Say")]
    assert heard == ["Lo sentimos, algo ha fallado por nuestra parte.",
                     "Para hablar con un asesor, pulse 0. Para dejar un mensaje, pulse 1."]
    assert {say.get("language") for say in doc.iter("Say")} == {"es-US"}
    [gather] = doc.iter("Gather")
    assert gather.get("action") == "/ivr/recover"
    assert [r.text for r in doc.iter("Redirect")] == [gather.get("action")]  # silence: an adviser
    assert tried == []  # the database was never even connected to


def test_the_fallback_without_a_language_hint_uses_the_flows_default(make_app, silent_database):
    url, tried = silent_database
    client = make_app(DATABASE_URL=url).test_client()
    resp = fallback(client, "https://helpline.example/ivr/queue/left/7")
    assert resp.status_code == 200
    heard = [(say.text or "").strip() for say in ET.fromstring(resp.data).iter("Say")]
    assert heard == ["Sorry, something went wrong on our side.",
                     "To speak to an adviser, press 0. To leave a message, press 1."]
    assert tried == []


def test_the_shipped_offline_fallback_is_the_twiml_the_flow_builds():
    from config import settings
    from config.flow import load_flow
    from ivr.offline_twiml import SHIPPED, build

    flow = load_flow(settings.ROOT / "config" / "ivr.yaml")
    shipped = SHIPPED.read_text(encoding="utf-8")
    assert shipped.strip() == str(build(flow))  # regenerate: python -m ivr.offline_twiml
    doc = ET.fromstring(shipped)
    assert doc.tag == "Response"
    spoken = [lang for lang in flow.languages if not lang.recorded_only]  # recordings need Jobline up
    assert [el.tag for el in doc] == ["Say", "Say"] * len(spoken) + ["Hangup"]
    voices = [(say.get("voice"), say.get("language")) for say in doc.iter("Say")][::2]
    assert voices == [(lang.voice, lang.say_language) for lang in spoken]
    assert doc[0].text == "Sorry, our phone service is not working at the moment. Please call again later."
    assert doc[1].text.startswith("Our advisers are available Monday to Thursday")


def test_the_offline_fallback_can_put_callers_through_to_a_backup_number():
    from config import settings
    from config.flow import load_flow
    from ivr.offline_twiml import build

    doc = ET.fromstring(str(build(load_flow(settings.ROOT / "config" / "ivr.yaml"), dial="+441234567890")))
    assert [el.tag for el in doc][-1] == "Dial" and doc[-1].text == "+441234567890"
    assert "putting you through to another line" in doc[0].text


def needs_postgresql() -> None:
    if db.engine().dialect.name != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's (SQLite waits on busy_timeout)")


def test_a_webhook_statement_slower_than_the_limit_is_cut(make_app):
    app = make_app(STATEMENT_TIMEOUT_MS=300)
    needs_postgresql()
    with app.test_request_context("/ivr/voice", method="POST"):
        db.limit_statements()  # what the webhook blueprints do before each request
        with pytest.raises(OperationalError, match="statement timeout"):
            db.current().execute(text("SELECT pg_sleep(10)"))
        db.current().rollback()
        assert db.current().execute(text("SHOW statement_timeout")).scalar_one() == "300ms"
    with db.step_engine().connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
        conn.execute(text("SELECT pg_sleep(10)"))
    with app.app_context(), db.SessionLocal() as job:  # a job or a desk request: no webhook limit
        assert job.execute(text("SHOW statement_timeout")).scalar_one() == "0"


def test_a_menu_step_stuck_on_a_locked_call_answers_the_caller_in_time(make_app):
    app = make_app(STATEMENT_TIMEOUT_MS=300)
    needs_postgresql()
    p = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+447700900124", account=ACCOUNT)
    p.dial().press("1")
    with db.engine().connect() as locker:
        # Without a statement timeout the step would wait on this lock for ever (and so would the
        # test): the server ends the locker after 5 s instead, and the step then goes through.
        locker.exec_driver_sql("SET idle_in_transaction_session_timeout = 5000")
        locker.execute(text("SELECT id FROM calls WHERE sid = :sid FOR UPDATE"), {"sid": p.sid})
        p.press("2")  # the step's write waits on the lock until its statement is cut
        locker.rollback()
    assert [h.text for h in p.heard[-2:]] == [
        "Sorry, something went wrong on our side.",
        "To speak to an adviser, press 0. To leave a message, press 1."]
