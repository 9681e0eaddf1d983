"""The conversation's conference room: its name, how a party joins it (TwiML), and what the desk
asks Twilio's Participants API to do to the people in it (hold, resume, mute).

One room per call, named by `conference_name(call_id)`: ids only, since Twilio warns "do not use
personal data ... when naming the conferences" (https://www.twilio.com/docs/voice/twiml/conference).
A leaf of ivr.telephony, so the desk (callcenter) and the call's webhooks (ivr/queue) share it.

Parties are addressed by label ("caller", "adviser"): the Participants resource takes "The Call
SID or label of the participant" in its path, and `<Conference participantLabel>` sets it
(https://www.twilio.com/docs/voice/api/conference-participant-resource). The room itself is
addressed by its CF SID, which Twilio gives in the conference's status callback (ConferenceSid);
Jobline keeps it on the call's events (db/rooms.py) when the first party joins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import Dial

from ivr.telephony.rest import CALL_OVER, public_url, twilio_client

CALLER, ADVISER, CONSULTED = "caller", "adviser", "consulted"  # participant labels
# Events the room reports to its statusCallback: Twilio's names are start, end, join, leave, mute,
# hold, modify, speaker, announcement (https://www.twilio.com/docs/voice/twiml/conference,
# statusCallbackEvent); "join" is how Jobline learns the room's SID.
STATUS_EVENTS = "start end join leave hold"
# The hold music the queue plays (ivr/queue/hold.py HOLD_AUDIO), served cacheable by
# ivr/views/queue.py `media`: Twilio fetches a HoldUrl as it fetches any <Play> media.
HOLD_AUDIO_PATH = "/ivr/queue/static/hold.wav"


class NotInConference(RuntimeError):
    """Twilio has no such room or party any more: the call (or that party) has ended."""


class ConferenceError(RuntimeError):
    """Twilio refused the change or could not be reached; nothing changed on the call."""


def conference_name(call_id: int) -> str:
    """The room of call `call_id`, e.g. "jobline-call-42" (no personal data in it)."""
    return f"jobline-call-{call_id}"


def hold_audio_url(config: Mapping[str, Any]) -> str:
    return public_url(config, HOLD_AUDIO_PATH)


def join(dial: Dial, call_id: int, label: str, *, starts: bool, ends: bool, wait_url: str | None = None,
         status_callback: str | None = None) -> None:
    """Add `<Conference>` to `dial`: the party `label` joins the call's room.

    `starts=False` keeps the party waiting on `wait_url` (hold audio, fetched with GET as media)
    until a party with `starts=True` joins; `ends=True` ends the room, and drops everyone, when
    this party leaves (https://www.twilio.com/docs/voice/twiml/conference, startConferenceOnEnter,
    endConferenceOnExit, waitUrl). No beeps: a caller must not hear advisers come and go.
    """
    attrs: dict[str, Any] = {"start_conference_on_enter": starts, "end_conference_on_exit": ends,
                             "beep": False, "participant_label": label}
    if wait_url is not None:
        attrs.update(wait_url=wait_url, wait_method="GET")
    if status_callback is not None:
        attrs.update(status_callback=status_callback, status_callback_method="POST",
                     status_callback_event=STATUS_EVENTS)
    dial.conference(conference_name(call_id), **attrs)


def _update(config: Mapping[str, Any], room_sid: str, label: str, **change: Any) -> None:
    try:
        twilio_client(config).conferences(room_sid).participants(label).update(**change)
    except TwilioRestException as e:
        if e.code in CALL_OVER or e.status == 404:
            raise NotInConference(f"conference {room_sid}: {label} is no longer in it") from e
        raise ConferenceError(f"Twilio refused the change (error {e.code})") from e
    except Exception as e:  # unreachable, timed out: the call is as it was
        raise ConferenceError(f"Twilio could not be reached ({type(e).__name__})") from e


def hold(config: Mapping[str, Any], room_sid: str, hold_url: str, label: str = CALLER) -> None:
    """Put `label` on hold: they hear `hold_url` (a WAV Twilio fetches with GET, cacheable) and
    the others no longer hear them ("Hold ... HoldUrl", Participants API update,
    https://www.twilio.com/docs/voice/api/conference-participant-resource).

    Raises NotInConference when the party or room has ended, ConferenceError otherwise."""
    _update(config, room_sid, label, hold=True, hold_url=hold_url, hold_method="GET")


def resume(config: Mapping[str, Any], room_sid: str, label: str = CALLER) -> None:
    """Take `label` off hold: "`false` lets them rejoin the conference" (same page)."""
    _update(config, room_sid, label, hold=False)


def mute(config: Mapping[str, Any], room_sid: str, muted: bool, label: str = ADVISER) -> None:
    """Mute (or unmute) `label`: the others stop (or start again) hearing them; they still hear
    the room (Participants API update, Muted)."""
    _update(config, room_sid, label, muted=muted)


def add_party(config: Mapping[str, Any], room_sid: str, to: str, from_: str, label: str,
              timeout_s: int) -> str:
    """Ring `to` into the room as party `label` (Participants API create: From and To required,
    Timeout the seconds it rings, https://www.twilio.com/docs/voice/api/conference-participant-resource);
    the new party's call SID. Whoever is on the line stays as they are meanwhile.

    Raises NotInConference when the room has ended, ConferenceError when Twilio refuses."""
    try:
        party = twilio_client(config).conferences(room_sid).participants.create(
            from_=from_, to=to, label=label, timeout=timeout_s, beep="false", early_media=False,
            start_conference_on_enter=True, end_conference_on_exit=False)
    except TwilioRestException as e:
        if e.code in CALL_OVER or e.status == 404:
            raise NotInConference(f"conference {room_sid} has ended") from e
        raise ConferenceError(f"Twilio refused to add a party (error {e.code})") from e
    except Exception as e:
        raise ConferenceError(f"Twilio could not be reached ({type(e).__name__})") from e
    return str(party.call_sid or "")


def ends_room(config: Mapping[str, Any], room_sid: str, label: str, ends: bool) -> None:
    """Whether the room ends when `label` leaves (Participants API update, EndConferenceOnExit):
    an adviser handing the caller on must not take the room (and the caller) down with them, and
    the party they hand the caller to must, so nobody is left alone in a silent room."""
    _update(config, room_sid, label, end_conference_on_exit=ends)


def remove(config: Mapping[str, Any], room_sid: str, label: str) -> bool:
    """Take `label` out of the room (Participants API delete: their call goes on to the TwiML
    after its <Dial>, or ends); False when they had already left."""
    try:
        twilio_client(config).conferences(room_sid).participants(label).delete()
    except TwilioRestException as e:
        if e.code in CALL_OVER or e.status == 404:
            return False
        raise ConferenceError(f"Twilio refused to remove {label} (error {e.code})") from e
    except Exception as e:
        raise ConferenceError(f"Twilio could not be reached ({type(e).__name__})") from e
    return True
