"""The call's conference room in TwiML (ivr/telephony/conference.py): one room per call, named by
ids only, the caller waiting on the hold music until the adviser starts it, and the room's
events reported to Jobline."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from twilio.twiml.voice_response import VoiceResponse

from ivr.telephony.conference import CALLER, conference_name, join


def test_the_caller_waits_on_the_hold_music_in_a_room_named_by_the_call_id():
    reply = VoiceResponse()
    join(reply.dial(action="/ivr/queue/dialed/7"), 42, CALLER, starts=False, ends=True,
         wait_url="https://helpline.pes.example/ivr/queue/static/hold.wav",
         status_callback="https://helpline.pes.example/ivr/queue/room/7")
    [room] = ET.fromstring(str(reply)).findall("./Dial/Conference")
    assert room.text == conference_name(42) == "jobline-call-42"
    assert room.attrib == {
        "participantLabel": "caller", "startConferenceOnEnter": "false", "endConferenceOnExit": "true",
        "beep": "false", "waitUrl": "https://helpline.pes.example/ivr/queue/static/hold.wav",
        "waitMethod": "GET", "statusCallback": "https://helpline.pes.example/ivr/queue/room/7",
        "statusCallbackMethod": "POST", "statusCallbackEvent": "start end join leave hold"}
