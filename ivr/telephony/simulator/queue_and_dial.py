"""What Twilio does around <Enqueue> and <Dial>: the hold loop, leaving the queue, REST
redirects, and the dialled adviser's leg with its whisper (SIMULATOR.md: per-Enqueue QueueTime,
DialCallStatus, the whisper <Gather>)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Self
from urllib.parse import urljoin

from twilio.request_validator import RequestValidator

from ivr.telephony.simulator.transport import CallError

WHISPER_HANGUP_STATUS = "completed"  # what the caller's <Dial action> gets when the whisper hangs up


class QueueAndDial:
    """Mixed into Phone (ivr/telephony/simulator/phone.py), whose fields and TwiML-following
    methods (request, post, params, run, elapse, _expect) these use."""

    def _queue_params(self) -> dict[str, str]:
        return {"QueueSid": "QU" + "0" * 32, "QueueTime": str(self.queue_time)}

    def hold(self) -> Self:
        """One turn of the hold loop: the last wait document's <Gather> plays out and times out,
        its next verbs run, and at its end Twilio requests the <Enqueue waitUrl> again."""
        if self.queue is None:
            raise CallError("the caller is not in a queue")
        if self.pending is not None and self.pending.tag == "Gather":
            self.elapse(self._gather_seconds(self.pending))
            if self.after:  # verbs after the Gather run first, e.g. a <Redirect> to the next one
                self.run(self.after)
                return self
        wait = urljoin(self.queue_base, self.queue.get("waitUrl") or "")
        self.request(wait, QueuePosition="1", CurrentQueueSize="1", AvgQueueTime="0", **self._queue_params())
        return self

    def _left(self, result: str) -> None:
        """The caller left Twilio's queue: its <Enqueue action> is requested and followed."""
        queue, self.queue = self.queue, None
        action = urljoin(self.queue_base, queue.get("action") or "") if queue is not None else ""
        self.pending = None
        if result in {"hangup", "redirected"}:  # Twilio reports these; the reply is not played
            self.post(action, self.params(QueueResult=result, **self._queue_params()))
        else:
            self.request(action, QueueResult=result, **self._queue_params())

    def redirect(self, url: str) -> Self:
        """A REST redirect (calls(sid).update(url=...)): the call leaves what it was doing."""
        if self.queue is not None:
            self._left("redirected")
        self.dialing, self.pending = None, None
        self.request(url)
        return self

    def adviser_answers(self, key: str | None = "1") -> list[str]:
        """The dialled adviser picks up: the noun's url (the whisper) runs on *their* leg.

        A whisper <Gather> gets `key` (None: nobody presses anything, e.g. their voicemail took
        the call): its action's reply, or the verbs after the Gather on a timeout, run on the
        adviser's leg. A <Hangup> there (or a key-less end) never bridges the caller, whose
        <Dial action> then gets WHISPER_HANGUP_STATUS. Returns what the adviser heard.
        """
        dial = self._expect("Dial")
        noun = next(iter(dial), None)
        url = noun.get("url") if noun is not None else None
        if not url:
            self.bridged = True
            return []
        leg = {"CallSid": "CA" + uuid.uuid4().hex, "ParentCallSid": self.sid, "AccountSid": self.account,
               "From": self.caller, "To": (noun.text or "").strip(), "CallStatus": "in-progress",
               "Direction": "outbound-dial", "ApiVersion": "2010-04-01"}
        heard: list[str] = []
        target = urljoin(self.dial_base, url)
        form = dict(leg)
        for _ in range(10):  # the adviser's leg follows its own small document
            signature = RequestValidator(self.token).compute_signature(target, form)
            status, body = self.transport.post(target, form, signature)
            if status != 200:
                raise CallError(f"the whisper answered {status}: {body[:200]}")
            outcome, nxt = _whisper_turn(list(ET.fromstring(body)), heard, key)
            if outcome == "bridge":
                self.bridged = True
                return heard
            if outcome == "hangup":
                self._dial_ended(WHISPER_HANGUP_STATUS, 0)
                return heard
            target = urljoin(target, nxt or "")
            form = dict(leg, Digits=key or "")
        raise CallError("the whisper never bridged nor hung up")


    def _dial_ended(self, status: str, duration: int) -> None:
        dial, self.dialing = self._expect("Dial"), None
        self.bridged = False
        action = dial.get("action")
        if not action:
            self.run(self.after)
            return
        self.url = self.dial_base
        self.request(action, DialCallStatus=status, DialCallDuration=str(duration))

    def adviser_hangs_up(self, duration: int = 120) -> Self:
        self._dial_ended("completed", duration)
        return self

    def adviser_does_not_answer(self, status: str = "no-answer") -> Self:
        """The adviser's line is busy, rings out or fails: `status` is the DialCallStatus."""
        self._dial_ended(status, 0)
        return self

    def hangup(self, duration: int = 30) -> int:
        """The caller hangs up: what Twilio reports of the queue or dial, then the final status."""
        if self.queue is not None and not self.ended:
            self._left("hangup")
        if self.dialing is not None and not self.ended and self.dialing.get("action"):
            # The caller's own call is over: its CallStatus is completed (SIMULATOR.md, "Hang-ups").
            self.post(urljoin(self.dial_base, self.dialing.get("action") or ""),
                      self.params(CallStatus="completed", DialCallDuration=str(duration),
                                  DialCallStatus="completed" if self.bridged else "canceled"))
        self.ended_by = self.ended_by or "caller"
        return self._completed(duration)

    def helpline_hangs_up(self) -> None:
        """The TwiML ended the call (<Hangup>, or a document that ran out): the number's status
        callback gets CallStatus=completed, as when the caller hangs up: whoever ends it,
        "Completed: The call has ended" is a call's final state
        (https://support.twilio.com/hc/en-us/articles/223132267; SIMULATOR.md, "Hang-ups")."""
        self.queue = None
        self.ended_by = self.ended_by or "helpline"
        self._completed(max(1, int(self.clock)))

    def _completed(self, duration: int) -> int:
        self.dialing, self.pending = None, None
        self.ended = True
        self.deliver_due(everything=True)  # late recording callbacks still arrive after a hang-up
        if self.status_sent:
            return 204  # one final status per call, whoever hung up first
        self.status_sent = True
        final = self.params(CallStatus="completed", CallDuration=str(duration))
        status, _ = self.post(self.status_callback, final)
        return status


def _whisper_turn(verbs: list[ET.Element], heard: list[str], key: str | None) -> tuple[str, str]:
    """Follow one whisper document: ("bridge"|"hangup"|"action", the action URL)."""
    for i, verb in enumerate(verbs):
        if verb.tag == "Say":
            heard.append((verb.text or "").strip())
        elif verb.tag == "Gather":
            heard.extend((el.text or "").strip() for el in verb if el.tag == "Say")
            if key:
                return "action", verb.get("action") or ""
            return _whisper_turn(verbs[i + 1:], heard, None)
        elif verb.tag == "Hangup":
            return "hangup", ""
        elif verb.tag == "Redirect":
            return "action", verb.text or ""
    return "bridge", ""  # the whisper document ended: Twilio connects the two parties
