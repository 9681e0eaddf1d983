"""A caller simulator: places a call against Jobline's webhooks, signed exactly as Twilio signs,
and follows the TwiML the way Twilio would. Used by `run.py simulate`, the tests, the bench
and the desk's web phone.

    phone = Phone(FlaskTransport(app.test_client()), token)   # or HttpTransport("http://...")
    phone.dial()             # follows until the caller must act (a <Gather>, <Record> or hangup)
    phone.heard              # what the caller has heard so far, in order
    phone.press("1")         # keys to the pending <Gather>;  phone.silence() lets it time out
    phone.hold()             # on hold in an <Enqueue>: Twilio asks the waitUrl again
    phone.redirect(url)      # a REST redirect of this call (an adviser answering, a transfer)
    phone.adviser_answers(); phone.adviser_hangs_up()   # the far end of a pending <Dial>

Each rule it follows is Twilio's documented behaviour, written down with its source in
ivr/SIMULATOR.md (recording callbacks after the action, empty recordings, `#` alone, per-Enqueue
QueueTime, withheld caller IDs, DialCallStatus, the whisper <Gather>, <Play> lengths).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from twilio.request_validator import RequestValidator

from ivr.telephony.numbers import WITHHELD_NUMBERS
from ivr.telephony.simulator.media import is_prompt, media_seconds
from ivr.telephony.simulator.queue_and_dial import QueueAndDial
from ivr.telephony.simulator.transport import CallError, Transport

# Twilio's stand-ins for a caller ID the network withheld (SIMULATOR.md, "Withheld caller IDs"):
# the numbers ivr/telephony/numbers.py refuses to store, then the word newer calls carry.
WITHHELD_CALLER_IDS = (*WITHHELD_NUMBERS, "anonymous")
RECORD_FINISH_DEFAULT = "1234567890*#"  # <Record finishOnKey> when the attribute is absent
GATHER_FINISH_DEFAULT = "#"  # <Gather finishOnKey> when the attribute is absent
GATHER_TIMEOUT_DEFAULT = 5


@dataclass
class Heard:
    text: str
    voice: str | None = None
    language: str | None = None
    slow: bool = False
    play: str | None = None  # the URL of a <Play> (hold music, a recorded prompt), text empty


@dataclass
class Phone(QueueAndDial):
    transport: Transport
    token: str
    caller: str = "+15005550006"
    to: str = "+18005550100"
    sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    account: str = "AC" + "0" * 32
    heard: list[Heard] = field(default_factory=list)
    pending: ET.Element | None = None  # the <Gather> or <Record> waiting for the caller
    after: list[ET.Element] = field(default_factory=list)  # verbs after it (run on silence)
    url: str = ""
    ended: bool = False
    replies: list[str] = field(default_factory=list)
    queue: ET.Element | None = None  # the <Enqueue> the caller is held in
    queue_base: str = ""  # the URL of the document holding it (its URLs are relative to it)
    queue_time: int = 0  # seconds in the *current* <Enqueue>, as Twilio reports it (reset at each)
    while_paused: Callable[[float], None] | None = None  # at each <Pause>, with its seconds
    dialing: ET.Element | None = None  # the <Dial> the caller is connected or ringing through
    dial_base: str = ""
    recording_delay: float = 0.0  # seconds from the <Record> action to its status callback
    clock: float = 0.0  # seconds of call time passed (pauses, hold music, gathers timing out)
    due: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)  # callbacks to come
    bridged: bool = False  # the dialled adviser took the call (their whisper let it through)
    status_sent: bool = False  # the final status callback went out (Twilio sends it once)
    ended_by: str = ""  # "caller" (hangup), "helpline" (its TwiML); the web phone adds "adviser"
    # A call Jobline placed (Calls.create) is "outbound-api", its end reported to its StatusCallback.
    direction: str = "inbound"
    status_callback: str = "/ivr/status"

    # -- keeping a call between requests (the web phone) -------------------------------------
    _ELEMENTS = ("pending", "queue", "dialing")
    _PLAIN = ("caller", "to", "sid", "account", "url", "ended", "queue_base", "queue_time", "dial_base",
              "recording_delay", "clock", "bridged", "status_sent", "ended_by", "direction",
              "status_callback")

    def state(self) -> dict[str, object]:
        """What is needed to carry on this call in another process (JSON-able)."""
        data: dict[str, object] = {k: getattr(self, k) for k in self._PLAIN}
        for k in self._ELEMENTS:
            element = getattr(self, k)
            data[k] = ET.tostring(element, encoding="unicode") if element is not None else None
        data["after"] = [ET.tostring(v, encoding="unicode") for v in self.after]
        data["heard"] = [vars(h) for h in self.heard]
        data["due"] = [list(d) for d in self.due]
        return data

    @classmethod
    def resume(cls, transport: Transport, token: str, data: dict) -> Phone:
        phone = cls(transport, token, **{k: data[k] for k in cls._PLAIN if k in data})
        for k in cls._ELEMENTS:
            setattr(phone, k, ET.fromstring(data[k]) if data.get(k) else None)
        phone.after = [ET.fromstring(v) for v in data.get("after", [])]
        phone.heard = [Heard(**h) for h in data.get("heard", [])]
        phone.due = [(float(at), url, dict(params)) for at, url, params in data.get("due", [])]
        return phone

    # -- what Twilio sends ------------------------------------------------------------
    def params(self, **extra: str) -> dict[str, str]:
        base = {"CallSid": self.sid, "AccountSid": self.account, "From": self.caller, "To": self.to,
                "CallStatus": "in-progress", "Direction": self.direction, "ApiVersion": "2010-04-01"}
        base.update(extra)
        return base

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        url = urljoin(self.url or self.transport.base_url + "/", url)
        signature = RequestValidator(self.token).compute_signature(url, params)
        return self.transport.post(url, params, signature)

    def fetch(self, url: str, **extra: str) -> list[ET.Element]:
        """Post to a TwiML URL and parse its reply (not yet followed)."""
        self.url = urljoin(self.url or self.transport.base_url + "/", url)
        status, body = self.post(self.url, self.params(**extra))
        if status != 200:
            raise CallError(f"{self.url} answered {status}: {body[:300]}")
        self.replies.append(body)
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            raise CallError(f"{self.url} answered invalid TwiML: {e}") from None
        if root.tag != "Response":
            raise CallError(f"{self.url} answered <{root.tag}>, not <Response>")
        return list(root)

    def request(self, url: str, **extra: str) -> None:
        """Post to a TwiML URL and follow the reply until the caller must act."""
        self.run(self.fetch(url, **extra))

    # -- time passing, and what Twilio sends meanwhile -----------------------------------
    def elapse(self, seconds: float) -> None:
        """Call time passes: the queue clock runs and callbacks that fall due are delivered."""
        self.clock += seconds
        if self.queue is not None:
            self.queue_time += int(seconds)
        self.deliver_due()

    def deliver_due(self, everything: bool = False) -> None:
        """Post the asynchronous callbacks (recording status) whose time has come, in time order."""
        while self.due:
            self.due.sort(key=lambda d: d[0])
            at, url, params = self.due[0]
            if at > self.clock and not everything:
                return
            self.due.pop(0)
            status, body = self.post(url, params)
            if status >= 300:
                raise CallError(f"callback {url} answered {status}: {body[:200]}")

    def media_seconds(self, url: str) -> float:
        """How long a <Play> lasts: the WAV's own length, read once from the file the app serves."""
        return media_seconds(self.transport, self.url or self.transport.base_url + "/", url)

    def _gather_seconds(self, gather: ET.Element) -> float:
        """A <Gather> nobody answers lasts as long as its nested <Play>s, then its timeout."""
        plays = sum(self.media_seconds((el.text or "").strip()) for el in gather if el.tag == "Play")
        return plays + float(gather.get("timeout") or GATHER_TIMEOUT_DEFAULT)

    # -- following TwiML ---------------------------------------------------------------
    def run(self, verbs: list[ET.Element]) -> None:
        self.pending, self.after = None, []
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                self.hear(verb)
            elif verb.tag in {"Gather", "Record"}:
                for child in verb:
                    if child.tag == "Say" or is_prompt(child):  # a nested <Play> counts as time too
                        self.hear(child)  # (_gather_seconds); the hold music is not "heard" here
                self.pending, self.after = verb, verbs[i + 1:]
                return
            elif verb.tag == "Redirect":
                self.request(verb.text or "")
                return
            elif verb.tag == "Hangup":
                self.helpline_hangs_up()
                return
            elif verb.tag == "Play":
                self.heard.append(Heard("", play=(verb.text or "").strip()))
            elif verb.tag == "Pause":
                seconds = float(verb.get("length") or 1)
                self.elapse(seconds)
                if self.while_paused is not None:  # time passes for the caller: let the world move
                    self.while_paused(seconds)
            elif verb.tag == "Enqueue":
                # QueueTime counts from this <Enqueue> only (SIMULATOR.md, "QueueTime").
                self.queue, self.queue_base, self.dialing, self.queue_time = verb, self.url, None, 0
                self.hold()
                return
            elif verb.tag == "Leave" and self.queue is not None:
                self._left("leave")
                return
            elif verb.tag == "Dial":
                self.dialing, self.dial_base, self.pending, self.after = verb, self.url, verb, verbs[i + 1:]
                self.bridged = False
                return
            else:
                raise CallError(f"the simulator cannot follow <{verb.tag}> yet")
        if self.queue is not None:
            return  # the wait document ended: on hold until Twilio asks the waitUrl again
        self.helpline_hangs_up()  # the end of a document hangs up, as on Twilio

    def hear(self, say: ET.Element) -> None:
        slow = say.find("prosody")
        text = ((slow.text if slow is not None else say.text) or "").strip()
        play = text if say.tag == "Play" else None  # a recorded prompt (SIMULATOR.md, <Play>): its URL
        self.heard.append(Heard(text, say.get("voice"), say.get("language"), slow is not None, play))

    # -- what the caller does ------------------------------------------------------------
    def dial(self) -> Phone:
        self.request("/ivr/voice", CallStatus="ringing")
        return self

    def press(self, digits: str) -> Phone:
        """Keys into the pending <Gather>. A finishOnKey ends the input and is not sent; with
        nothing typed before it, Twilio requests no action and runs the next verb (`#` alone is
        no input), unless actionOnEmptyResult asks for an empty Digits (SIMULATOR.md)."""
        gather = self._expect("Gather")
        finish = gather.get("finishOnKey", GATHER_FINISH_DEFAULT)
        typed = digits
        if finish:
            cut = next((i for i, key in enumerate(digits) if key in finish), None)
            typed = digits if cut is None else digits[:cut]
        limit = int(gather.get("numDigits") or 0)
        if limit:
            typed = typed[:limit]
        if not typed:
            if gather.get("actionOnEmptyResult") == "true":
                self.request(gather.get("action") or self.url, Digits="")
            else:
                self.run(self.after)
            return self
        self.request(gather.get("action") or self.url, Digits=typed)
        return self

    def silence(self) -> Phone:
        """Let the pending <Gather> or <Record> time out: Twilio runs the verbs after it."""
        if self.pending is None:
            raise CallError("nothing is waiting for the caller")
        if self.pending.tag == "Gather":
            self.elapse(self._gather_seconds(self.pending))
        self.run(self.after)
        return self

    def record(self, sid: str | None = None, duration: int = 5, url: str | None = None,
               key: str | None = "#", delay: float | None = None) -> Phone:
        """Speak into the pending <Record> for `duration` seconds, then press `key` (None: fall
        silent until its timeout). As on Twilio: the action is requested first, the recording
        status callback comes `delay` seconds later (default: this phone's recording_delay); an
        empty recording (duration 0, e.g. `*` right after the beep) requests no action at all
        and the next verb runs (SIMULATOR.md, "Recordings")."""
        rec = self._expect("Record")
        sid = sid or "RE" + uuid.uuid4().hex
        url = url or f"https://api.twilio.com/2010-04-01/Accounts/{self.account}/Recordings/{sid}"
        delay = self.recording_delay if delay is None else delay
        callback = rec.get("recordingStatusCallback")
        events = (rec.get("recordingStatusCallbackEvent") or "completed").replace(",", " ").split()
        if duration <= 0:
            if callback and "absent" in events:
                absent = self.params(RecordingSid=sid, RecordingStatus="absent", RecordingDuration="0")
                self.due.append((self.clock + delay, urljoin(self.url, callback), absent))
                self.deliver_due()
            self.run(self.after)
            return self
        fields = {"RecordingSid": sid, "RecordingUrl": url, "RecordingDuration": str(duration)}
        if callback and "completed" in events:
            self.due.append((self.clock + delay, urljoin(self.url, callback),
                             self.params(RecordingStatus="completed", **fields)))
        finish = rec.get("finishOnKey", RECORD_FINISH_DEFAULT)
        pressed = {"Digits": key} if key and key in finish else {}
        verbs = self.fetch(rec.get("action") or self.url, **fields, **pressed)
        self.deliver_due()  # a callback due now arrives while the action's reply starts playing
        self.run(verbs)
        return self

    def _expect(self, tag: str) -> ET.Element:
        if self.pending is None or self.pending.tag != tag:
            got = self.pending.tag if self.pending is not None else ("hangup" if self.ended else "nothing")
            raise CallError(f"the caller expected a <{tag}> but Jobline is waiting on {got}")
        return self.pending

    @property
    def last_heard(self) -> str:
        """The last sentence said (hold music is not a sentence)."""
        return next((h.text for h in reversed(self.heard) if h.play is None), "")

    def heard_since(self, index: int) -> str:
        return " ".join(h.text for h in self.heard[index:] if h.play is None)


def withheld_phone(transport: Transport, token: str, which: int = 0, **kwargs: object) -> Phone:
    """A phone whose caller ID the network withheld: From is one of Twilio's stand-ins."""
    return Phone(transport, token, caller=WITHHELD_CALLER_IDS[which % len(WITHHELD_CALLER_IDS)], **kwargs)
