"""Jobline's vocabulary of states: every status a row may hold, and the named groups code tests.

Each status is a `StrEnum` whose values are the strings stored in the database (and, for calls,
the strings Twilio sends), so a member compares equal to its string and nothing stored changes.
A rule that needs "a leg still in line" or "an adviser on duty" uses the group named here,
never its own tuple of strings.
"""

from __future__ import annotations

from enum import StrEnum


class CallStatus(StrEnum):
    """A call's status, as Twilio reports it (https://www.twilio.com/docs/voice/api/call-resource)."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"


# Twilio call statuses in the order a call moves through them; a callback never moves a
# call back down this ladder (callbacks may arrive out of order or twice).
STATUS_RANK: dict[str, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.BUSY: 4,
    CallStatus.FAILED: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.CANCELED: 4,
}
CALL_FINISHED = frozenset(s for s, rank in STATUS_RANK.items() if rank == max(STATUS_RANK.values()))
# An outbound call (a callback try) that ended without anyone answering it.
CALL_UNANSWERED = CALL_FINISHED - {CallStatus.COMPLETED}


class LegStatus(StrEnum):
    """A queue leg (QueueEntry): waiting -> connecting (claimed, the adviser's phone rings) ->
    connected -> ended; or waiting/connecting -> left (the caller left unanswered)."""

    WAITING = "waiting"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    ENDED = "ended"
    LEFT = "left"


LEG_WAITING_OR_RINGING = (LegStatus.WAITING, LegStatus.CONNECTING)
LEG_OPEN = (LegStatus.WAITING, LegStatus.CONNECTING, LegStatus.CONNECTED)  # the caller is still on it
LEG_FINISHED = (LegStatus.ENDED, LegStatus.LEFT)
LEG_WITH_ADVISER = (LegStatus.CONNECTING, LegStatus.CONNECTED)  # claimed: ringing or talking


class LegOutcome(StrEnum):
    """How a queue leg ended (METRICS.md)."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    SHORT_ABANDON = "short_abandon"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    TRANSFERRED = "transferred"


class CallOutcome(StrEnum):
    """How a call ended (METRICS.md): its last queue leg's outcome when it reached a queue
    (LegOutcome's values), else decided from the steps it took in the IVR."""

    SELF_SERVICE = "self_service"
    IVR_HANGUP = "ivr_hangup"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    SHORT_ABANDON = "short_abandon"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    CLOSED = "closed"
    TRANSFERRED = "transferred"


class CallbackStatus(StrEnum):
    """A callback request: pending -> dialing -> connected -> completed; failed after the last try."""

    PENDING = "pending"
    DIALING = "dialing"
    CONNECTED = "connected"
    COMPLETED = "completed"
    FAILED = "failed"


# A kept callback still holds its place in line until the caller is reached.
CALLBACK_IN_LINE = (CallbackStatus.PENDING, CallbackStatus.DIALING)
CALLBACK_OPEN = (CallbackStatus.PENDING, CallbackStatus.DIALING, CallbackStatus.CONNECTED)
CALLBACK_FINISHED = (CallbackStatus.COMPLETED, CallbackStatus.FAILED)


class OfferStatus(StrEnum):
    """An offer of a caller to one adviser (db/models/offers.py): open -> accepted, rejected,
    missed (no answer in time) or withdrawn (the caller or the adviser moved on meanwhile)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MISSED = "missed"
    WITHDRAWN = "withdrawn"


# The adviser answered the offer (a withdrawn one never reached them, it breaks no streak).
OFFER_ANSWERED = (OfferStatus.ACCEPTED, OfferStatus.REJECTED)


class AdviserStatus(StrEnum):
    """An adviser's (User's) status; each move is recorded in agent_status_changes."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    BUSY = "busy"
    AFTER_CALL = "after_call"
    BREAK = "break"


# METRICS.md: advisers "available or busy".
ON_DUTY = (AdviserStatus.AVAILABLE, AdviserStatus.BUSY, AdviserStatus.AFTER_CALL)
AGENT_STATUSES = tuple(s.value for s in AdviserStatus)
# What an adviser may set on the desk (busy is set by taking a call, never by hand).
ADVISER_SETTABLE = (AdviserStatus.AVAILABLE, AdviserStatus.BREAK, AdviserStatus.AFTER_CALL,
                    AdviserStatus.OFFLINE)


class Role(StrEnum):
    """What a helpdesk account may do (callcenter/access.py)."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


ROLES = tuple(r.value for r in Role)


class RecordingStatus(StrEnum):
    """A recording: pending (stored, not yet queued) -> queued -> transcribing -> one of the
    finished statuses; absent/failed straight from Twilio's callback when there is no audio."""

    PENDING = "pending"
    QUEUED = "queued"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    NO_SPEECH = "no_speech"
    NO_MODEL = "no_model"
    UNSUPPORTED_AUDIO = "unsupported_audio"
    DOWNLOAD_FAILED = "download_failed"
    FAILED = "failed"
    ABSENT = "absent"


RECORDING_CLAIMABLE = (RecordingStatus.PENDING, RecordingStatus.QUEUED)  # a job may start on it
RECORDING_FINISHED = (RecordingStatus.TRANSCRIBED, RecordingStatus.NO_SPEECH, RecordingStatus.NO_MODEL,
                      RecordingStatus.UNSUPPORTED_AUDIO, RecordingStatus.DOWNLOAD_FAILED,
                      RecordingStatus.FAILED, RecordingStatus.ABSENT)


class CaptureStatus(StrEnum):
    """A detail the IVR asks for: asked -> (recorded) -> confirming -> captured; or skipped,
    unconfirmed (a value the caller did not confirm), failed (nothing usable)."""

    ASKED = "asked"
    RECORDED = "recorded"
    CONFIRMING = "confirming"
    CAPTURED = "captured"
    SKIPPED = "skipped"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"


class TextStatus(StrEnum):
    """A text message's status: `requested` (stored, the send job not yet through) and `refused`
    (Twilio refused the create: the row keeps its error code) are ours; the others are Twilio's
    Message statuses (https://www.twilio.com/docs/messaging/api/message-resource, "status").
    A message sent without a Messaging Service starts `queued`; one with a service `accepted`
    (https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks)."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


# The order a text moves through; a status callback never moves it back down (callbacks may come
# twice or out of order: delivered is not undone by a late `sent`).
TEXT_RANK: dict[str, int] = {
    TextStatus.REQUESTED: 0, TextStatus.ACCEPTED: 1, TextStatus.QUEUED: 1, TextStatus.SENDING: 2,
    TextStatus.SENT: 3, TextStatus.DELIVERED: 4, TextStatus.UNDELIVERED: 4, TextStatus.FAILED: 4,
}
TEXT_FAILED = frozenset({TextStatus.FAILED, TextStatus.UNDELIVERED})
