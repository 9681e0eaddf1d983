"""The web phone: a signed-in person calls the helpline from the browser, through the same
signed webhooks Twilio uses; the bridge signs for nobody else and posts nowhere else."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import wave

import pytest

from callcenter.webphone.bridge import BridgeHttpClient, register_call, take_instructions
from ivr.telephony.simulator import CallError, FlaskTransport, Phone
from tests.support.desk import csrf_from
from tests.support.env import ACCOUNT, TOKEN
from tests.support.live import ROOT


@pytest.fixture
def app(make_app):
    """The web phone is off by default in production (the tests' setting): turned on here."""
    return make_app(DEMO_PHONE=True)


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds))
    return out.getvalue()


def test_signed_out_nobody_can_place_a_call(client, s):
    from sqlalchemy import func, select

    from db.models import Call

    token = csrf_from(client, "/login")  # a real browser's token: only the missing login is wrong
    for path, body in (("/phone/api/call", {"from": "+447700900123"}), ("/phone/api/keys", {"digits": "1"})):
        resp = client.post(path, json=body, headers={"X-CSRFToken": token})
        assert resp.status_code == 302 and resp.location.startswith("/login")
    assert s.scalar(select(func.count()).select_from(Call)) == 0  # nothing was signed or posted


def test_a_call_from_the_browser_walks_the_real_menus(signed_in):
    desk = signed_in("agent")
    first = desk.send("POST", "/phone/api/call", {"from": "+447700900321"}).get_json()
    assert [h["text"] for h in first["heard"]][:2] == ["For English, press 1.", "Para español, pulse 2."]
    assert first["waiting"] == "Gather" and first["gather"]["num_digits"] == 1
    menu = desk.send("POST", "/phone/api/keys", {"digits": "1", "since": first["next"]}).get_json()
    assert any(h["text"].startswith("Main menu.") for h in menu["heard"])
    info = desk.send("POST", "/phone/api/keys", {"digits": "5", "since": menu["next"]}).get_json()
    assert any("Our employment offices are open" in h["text"] for h in info["heard"])
    bye = desk.send("POST", "/phone/api/silence", {"since": info["next"]}).get_json()
    assert bye["ended"] and bye["heard"][-1]["text"].startswith("Thank you for calling")


def test_a_web_phone_call_comes_from_the_users_demo_number_never_a_typed_one(signed_in, accounts, s):
    from sqlalchemy import select

    from callcenter.webphone.views import demo_number
    from db.models import Call

    desk = signed_in("agent")
    page = desk.get("/phone").get_data(as_text=True)
    mine = demo_number(accounts["agent"].id)
    assert mine.startswith("+447700900") and mine in page
    # Someone else's number, typed into a hand-made request, is not the number the helpline sees.
    started = desk.send("POST", "/phone/api/call", {"from": "+447700900123"})
    assert started.status_code == 200
    callers = [c.caller.phone for c in s.scalars(select(Call))]
    assert callers == [mine]


def test_demo_numbers_are_reserved_drama_numbers_one_per_user():
    from callcenter.webphone.views import demo_number

    numbers = {demo_number(user_id) for user_id in range(1, 1000)}
    assert len(numbers) == 999 and all(n.startswith("+447700900") and len(n) == 13 for n in numbers)


@pytest.mark.parametrize("env, status", [("production", 404), ("development", 302)])
def test_the_web_phone_is_off_by_default_in_production(database_url, redis_url, env, status):
    """The default comes from the environment at boot, so a fresh process is started as a
    deployment would start it, with DEMO_PHONE unset."""
    overrides = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "boot-test-secret",
                 "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT, "TESTING": True,
                 "PUBLIC_BASE_URL": "https://helpline.pes.example"}
    script = ("import json, os; from run import create_app; "
              "app = create_app(json.loads(os.environ['OVERRIDES'])); "
              "print(app.test_client().get('/phone').status_code)")
    base = {k: v for k, v in os.environ.items() if k not in ("DEMO_PHONE", "JOBLINE_ENV")}
    env_vars = {**base, "JOBLINE_ENV": env, "SECRET_KEY": "boot-test-secret",
                "OVERRIDES": json.dumps(overrides)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env=env_vars)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == str(status)


def test_bad_input_gets_a_sentence(signed_in):
    desk = signed_in("agent")
    no_call = desk.send("POST", "/phone/api/keys", {"digits": "1"})
    assert no_call.status_code == 409
    assert no_call.get_json()["error"].startswith("There is no call in progress")
    desk.send("POST", "/phone/api/call", {"from": "+447700900321"})
    refused = desk.send("POST", "/phone/api/keys", {"digits": "1; rm"}).get_json()
    assert refused["error"] == "Keys are 0-9, * and #."


def test_a_recording_from_the_browser_is_served_to_the_transcriber_behind_the_account_password(
        signed_in, app, s):
    from sqlalchemy import select

    from db.models import Recording

    desk = signed_in("agent")
    desk.send("POST", "/phone/api/call", {"from": "+447700900321"})
    desk.send("POST", "/phone/api/keys", {"digits": "1"})
    asked = desk.send("POST", "/phone/api/keys", {"digits": "6"}).get_json()
    assert asked["waiting"] == "Record"
    not_wav = desk.client.post("/phone/api/record", data={"audio": (io.BytesIO(b"hello"), "x.wav")},
                               headers={"X-CSRFToken": desk.token})
    assert not_wav.status_code == 400 and "not a WAV" in not_wav.get_json()["error"]
    sent = desk.client.post("/phone/api/record", data={"audio": (io.BytesIO(wav_bytes(2)), "a.wav")},
                            headers={"X-CSRFToken": desk.token})
    assert sent.status_code == 200
    rec = s.scalar(select(Recording).where(Recording.kind == "name"))
    assert rec is not None, [(r.kind, r.status) for r in s.scalars(select(Recording))]
    path = rec.url.removeprefix("http://localhost") + ".wav"
    assert app.test_client().get(path).status_code == 401
    creds = base64.b64encode(f"{app.config['TWILIO_ACCOUNT_SID']}:{app.config['TWILIO_AUTH_TOKEN']}".encode())
    served = app.test_client().get(path, headers={"Authorization": "Basic " + creds.decode()})
    assert served.status_code == 200 and served.data == wav_bytes(2)


def test_the_bridge_posts_only_to_this_apps_webhooks(app):
    phone = Phone(FlaskTransport(app.test_client()), "token")
    with pytest.raises(CallError, match="not one of this app's webhooks"):
        phone.request("https://elsewhere.example/ivr/voice")


def test_rest_updates_of_web_phone_calls_are_answered_by_the_bridge(app, redis_url):
    class Unreachable:
        def request(self, *args, **kwargs):
            raise AssertionError("a web-phone call must not reach Twilio")

    bridge = BridgeHttpClient(redis_url, inner=Unreachable())
    sid = "CA" + "d" * 32
    register_call(redis_url, sid, owner=1)
    url = f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Calls/{sid}.json"
    resp = bridge.request("POST", url, data={"Url": "https://x/ivr/queue/connect/7", "Method": "POST"})
    assert resp.status_code == 200 and sid in resp.text
    assert take_instructions(redis_url, sid) == [{"Url": "https://x/ivr/queue/connect/7", "Method": "POST"}]
    assert take_instructions(redis_url, sid) == []


def test_the_web_phone_can_be_turned_off(make_app):
    app = make_app(DEMO_PHONE=False)
    assert app.test_client().get("/phone").status_code == 404


def test_an_adviser_answering_on_the_desk_connects_the_web_phone(signed_in, s):
    from sqlalchemy import select

    from db.models import QueueEntry

    desk = signed_in("agent")  # serves general and benefits, speaks en and es
    assert desk.send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    phone = signed_in("supervisor")
    phone.send("POST", "/phone/api/call", {"from": "+447700900654"})
    phone.send("POST", "/phone/api/keys", {"digits": "1"})
    held = phone.send("POST", "/phone/api/keys", {"digits": "0"}).get_json()
    assert held["in_queue"] and not held["connected"], held
    answered = desk.send("POST", "/api/answer", {})
    assert answered.status_code == 200, answered.get_json()
    connected = phone.send("POST", "/phone/api/continue", {}).get_json()
    assert connected["connected"] is True and connected["waiting"] == "Dial", connected
    entry = s.scalar(select(QueueEntry))
    s.refresh(entry)
    assert entry.status == "connected" and entry.agent.username == "agent1"
    # A keypad timeout left over from an earlier prompt must not end a connected call.
    still = phone.send("POST", "/phone/api/silence", {}).get_json()
    assert still["connected"] is True and still["ended"] is False


def walk_to_the_name_question(desk) -> dict:
    desk.send("POST", "/phone/api/call", {})
    desk.send("POST", "/phone/api/keys", {"digits": "1"})
    asked = desk.send("POST", "/phone/api/keys", {"digits": "6"}).get_json()
    assert asked["waiting"] == "Record", asked
    return asked


def test_a_recording_as_long_as_the_question_allows_is_accepted_through_the_csrf_check(signed_in, s):
    """Before issue 14, anything over 64 KB (2 s of microphone) got 413 from the CSRF check's form
    parsing and the call was stuck; the name question allows 6 s (config/ivr.yaml)."""
    from sqlalchemy import select

    from db.models import Recording

    desk = signed_in("agent")
    asked = walk_to_the_name_question(desk)
    assert asked["record"] == {"max_seconds": 6, "timeout": 3, "finish_on_key": "#*"}
    full = wav_bytes(6, rate=16000)  # the page's microphone format: 192 KB
    assert len(full) > 2 * 64 * 1024  # the app-wide limit is 64 KB
    no_token = desk.client.post("/phone/api/record", data={"audio": (io.BytesIO(full), "m.wav")})
    assert no_token.status_code == 400  # the CSRF check still runs on this route
    sent = desk.client.post("/phone/api/record", data={"audio": (io.BytesIO(full), "m.wav"), "key": "#"},
                            headers={"X-CSRFToken": desk.token})
    assert sent.status_code == 200, sent.get_data(as_text=True)[:300]
    rec = s.scalar(select(Recording).where(Recording.kind == "name"))
    assert rec is not None and rec.duration_s == 6


def test_a_recording_longer_than_the_question_allows_gets_a_sentence(signed_in):
    desk = signed_in("agent")
    walk_to_the_name_question(desk)
    long = desk.client.post("/phone/api/record", data={"audio": (io.BytesIO(wav_bytes(9, 16000)), "l.wav")},
                            headers={"X-CSRFToken": desk.token})
    assert long.status_code == 400
    assert long.get_json()["error"] == ("That recording lasts 9 seconds; this question takes at most 6. "
                                        "Record a shorter answer.")
    six_mb = io.BytesIO(b"\0" * (6 * 1024 * 1024))
    huge = desk.client.post("/phone/api/record", data={"audio": (six_mb, "h.wav")},
                            headers={"X-CSRFToken": desk.token})
    assert huge.status_code == 413
    assert huge.get_json()["error"] == "That recording is over 5 MB; keep answers under a minute."
    still = desk.send("POST", "/phone/api/continue", {}).get_json()
    assert still["waiting"] == "Record"  # the question is still asked: the caller can try again


def test_star_right_after_the_tone_offers_the_skip_and_star_again_skips(signed_in):
    """Twilio: an empty recording requests no action and the next verb runs (SIMULATOR.md)."""
    desk = signed_in("agent")
    asked = walk_to_the_name_question(desk)
    empty = desk.client.post("/phone/api/record", data={"key": "*", "since": asked["next"]},
                             headers={"X-CSRFToken": desk.token}).get_json()
    assert [h["text"] for h in empty["heard"]][-1].startswith("Nothing was recorded. To skip this question")
    assert empty["waiting"] == "Gather"
    skipped = desk.send("POST", "/phone/api/keys", {"digits": "*", "since": empty["next"]}).get_json()
    assert skipped["waiting"] == "Record"
    assert "briefly say why you are calling" in skipped["heard"][-1]["text"]


def test_silence_after_the_tone_is_an_empty_recording_too(signed_in):
    desk = signed_in("agent")
    asked = walk_to_the_name_question(desk)
    quiet = desk.send("POST", "/phone/api/silence", {"since": asked["next"]}).get_json()
    assert quiet["heard"][-1]["text"].startswith("Nothing was recorded.")


def call_row(s):
    from sqlalchemy import select

    from db.models import Call

    s.expire_all()
    return s.scalars(select(Call)).one()


def test_a_call_the_helpline_ends_is_completed_in_the_database(signed_in, s):
    desk = signed_in("agent")
    desk.send("POST", "/phone/api/call", {})
    desk.send("POST", "/phone/api/keys", {"digits": "1"})
    desk.send("POST", "/phone/api/keys", {"digits": "5"})
    bye = desk.send("POST", "/phone/api/silence", {}).get_json()
    assert bye["ended"] and bye["ended_by"] == "helpline"
    call = call_row(s)
    assert call.status == "completed" and call.ended_at is not None and call.outcome is not None


def test_the_adviser_ending_the_call_ends_it_on_the_web_phone(signed_in, s):
    desk = signed_in("agent")
    assert desk.send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    phone = signed_in("supervisor")
    phone.send("POST", "/phone/api/call", {})
    phone.send("POST", "/phone/api/keys", {"digits": "1"})
    phone.send("POST", "/phone/api/keys", {"digits": "0"})
    entry = desk.send("POST", "/api/answer", {}).get_json()
    assert phone.send("POST", "/phone/api/continue", {}).get_json()["connected"] is True
    from sqlalchemy import select

    from db.models import QueueEntry

    entry_id = s.scalar(select(QueueEntry.id))
    assert desk.send("POST", f"/api/calls/{entry_id}/end", {}).status_code == 200, entry
    ended = phone.send("POST", "/phone/api/continue", {}).get_json()
    assert ended["ended"] is True and ended["ended_by"] == "adviser"
    assert call_row(s).status == "completed"


def test_closing_the_page_hangs_up_with_the_token_in_the_form(signed_in, s):
    """The page's pagehide beacon posts a form (sendBeacon cannot set headers)."""
    desk = signed_in("agent")
    desk.send("POST", "/phone/api/call", {})
    gone = desk.client.post("/phone/api/hangup", data={"csrf_token": desk.token})
    assert gone.status_code == 200 and gone.get_json()["ended_by"] == "caller"
    assert call_row(s).status == "completed"


def test_calling_again_hangs_up_a_call_left_live_by_an_earlier_page(signed_in, s):
    from sqlalchemy import select

    from db.models import Call

    desk = signed_in("agent")
    desk.send("POST", "/phone/api/call", {})
    desk.send("POST", "/phone/api/call", {})
    s.expire_all()
    assert sorted(c.status for c in s.scalars(select(Call))) == ["completed", "in-progress"]


def test_on_hold_the_page_is_given_the_hold_music_to_play_out(signed_in):
    assert signed_in("agent").send("PUT", "/api/me/status", {"status": "available"}).status_code == 200
    desk = signed_in("supervisor")
    desk.send("POST", "/phone/api/call", {})
    desk.send("POST", "/phone/api/keys", {"digits": "1"})
    held = desk.send("POST", "/phone/api/keys", {"digits": "0"}).get_json()
    assert held["in_queue"] and held["waiting"] == "Gather", held
    assert held["gather"]["play"] == ["/ivr/queue/static/hold.wav"]
