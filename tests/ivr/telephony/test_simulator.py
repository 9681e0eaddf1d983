"""The simulator's model of Twilio where the app cannot tell: how long hold music lasts, as call
time and as QueueTime (ivr/SIMULATOR.md)."""

from __future__ import annotations

import subprocess

from ivr.telephony.simulator import wav_seconds
from tests.support.env import ROOT

HOLD = ROOT / "ivr" / "static" / "hold.wav"


def test_a_wav_lasts_what_sox_says_whatever_its_encoding():
    soxi = float(subprocess.run(["soxi", "-D", str(HOLD)], check=True, capture_output=True,
                                text=True).stdout)
    assert soxi > 1 and abs(wav_seconds(HOLD.read_bytes()) - soxi) < 0.01
    assert wav_seconds(b"not a wav") == 0.0


def test_hold_music_in_the_wait_gather_is_call_time_and_queue_time(phone, app):
    with app.app_context():
        from db import session as db
        from db.models import User

        with db.SessionLocal.begin() as s:
            s.add(User(username="ada", name="Ada", password_hash="x", role="agent",
                       queues=["general"], languages=["en"], status="available"))
    p = phone().dial().press("1").press("0")
    assert p.queue is not None and p.pending is not None and p.pending.tag == "Gather"
    [play] = [el for el in p.pending if el.tag == "Play"]
    timeout = float(p.pending.get("timeout"))
    before = p.clock
    p.hold()  # the wait document played out: its music, then the Gather's timeout
    assert p.clock - before == wav_seconds(HOLD.read_bytes()) + timeout
    assert p.queue_time == int(p.clock - before)

