"""ivr.telephony.twiml.render writes the document the twilio library's str() writes, byte for byte: for
every reply a whole call flow produces and for the characters that need escaping."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

import ivr.telephony.twiml
from ivr.telephony.twiml import render


def test_escaping_booleans_nesting_and_empty_verbs_match_the_library():
    reply = VoiceResponse()
    gather = Gather(action="/ivr/node/main/input?attempt=0&lang=fr&slow=1", method="POST", input="dtmf",
                    num_digits=1, timeout=6, action_on_empty_result=False)
    gather.say('Tapez 1 pour "l\'emploi" & <les offres>,\nou 0.', voice="Polly.Lea", language="fr-FR")
    gather.say(voice="Polly.Seoyeon", language="ko-KR").prosody("한국어는 4번", rate="80%")
    reply.append(gather)
    reply.pause(length=2)
    dial = Dial(action="/ivr/queue/dialed/7", timeout=20, record="do-not-record", caller_id="+18005550100")
    dial.client("adviser-3", status_callback_event="answered completed")
    reply.append(dial)
    reply.play("/ivr/queue/static/hold.wav", loop=0)
    reply.say("")
    reply.hangup()
    assert render(reply) == str(reply)


@pytest.fixture
def both_ways(monkeypatch):
    """Every reply of the app's webhooks, rendered both ways."""
    seen = []
    real = ivr.telephony.twiml.render

    def checked(verb):
        seen.append((real(verb), str(verb)))
        return seen[-1][0]

    monkeypatch.setattr(ivr.telephony.twiml, "render", checked)
    return seen


def test_every_reply_of_whole_calls_is_what_the_library_would_write(phone, both_ways):
    for lang_key, keys in (("1", "2198*0"), ("2", "8312"), ("3", "6"), ("4", "7x")):
        p = phone().dial().press(lang_key)
        for key in keys:
            if p.ended or p.pending is None or p.pending.tag != "Gather":
                break
            p.press(key)
        p.silence()
    assert len(both_ways) > 20
    assert all(mine == library for mine, library in both_ways)
