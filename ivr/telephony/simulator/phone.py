"""A caller simulator: places a call against Jobline's webhooks, signed exactly as Twilio signs,
and follows the TwiML the way Twilio would. Used by `run.py simulate`, the tests and the bench.

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

import struct
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.error import HTTPError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

from twilio.request_validator import RequestValidator


class Transport(Protocol):
    base_url: str

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]: ...


class FlaskTransport:
    """Posts through a Flask test client (in-process), as if the app were at `base_url`.

    Only the app's own URLs can be reached: anything else raises CallError.
    """

    def __init__(self, client: object, base_url: str = "http://localhost") -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        if not url.startswith(self.base_url + "/"):
            raise CallError(f"refusing to post to {url}: not one of this app's webhooks")
        path = url.removeprefix(self.base_url)
        resp = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                                base_url=self.base_url)
        return resp.status_code, resp.get_data(as_text=True)

    def get(self, url: str) -> bytes:
        """Fetch a media file the app serves (a <Play> URL), as Twilio does."""
        if not url.startswith(self.base_url + "/"):
            raise CallError(f"refusing to fetch {url}: not one of this app's files")
        resp = self.client.get(url.removeprefix(self.base_url), base_url=self.base_url)
        return resp.get_data() if resp.status_code == 200 else b""


class HttpTransport:
    """Posts over HTTP to a running Jobline."""

    def __init__(self, base_url: str, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        req = Request(url, data=urlencode(params).encode(), method="POST",
                      headers={"X-Twilio-Signature": signature,
                               "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read().decode()
        except HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def get(self, url: str) -> bytes:
        """Fetch a media file the app serves (a <Play> URL), as Twilio does."""
        with urlopen(url, timeout=self.timeout) as resp:
            return resp.read()


class CallError(AssertionError):
    """Jobline answered something Twilio could not follow (a non-2xx status, bad XML)."""


# Twilio's stand-ins for a caller ID the network withheld (SIMULATOR.md, "Withheld caller IDs").
WITHHELD_CALLER_IDS = ("+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533", "anonymous")
RECORD_FINISH_DEFAULT = "1234567890*#"  # <Record finishOnKey> when the attribute is absent
GATHER_FINISH_DEFAULT = "#"  # <Gather finishOnKey> when the attribute is absent
GATHER_TIMEOUT_DEFAULT = 5
WHISPER_HANGUP_STATUS = "completed"  # what the caller's <Dial action> gets when the whisper hangs up


_MEDIA_SECONDS: dict[str, float] = {}  # a <Play> URL's length, fetched once per process


def wav_seconds(blob: bytes) -> float:
    """The length of a RIFF/WAVE file from its header (PCM, mu-law or a-law alike): data bytes /
    byte rate. 0.0 for anything that is not a WAV (Twilio would not play it either)."""
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        return 0.0
    pos, byte_rate, data = 12, 0, 0
    while pos + 8 <= len(blob):
        tag, size = blob[pos:pos + 4], struct.unpack("<I", blob[pos + 4:pos + 8])[0]
        if tag == b"fmt " and size >= 12:
            byte_rate = struct.unpack("<I", blob[pos + 16:pos + 20])[0]
        elif tag == b"data":
            data = min(size, len(blob) - pos - 8)
        pos += 8 + size + (size & 1)
    return data / byte_rate if byte_rate else 0.0


@dataclass
class Heard:
    text: str
    voice: str | None = None
    language: str | None = None
    slow: bool = False
    play: str | None = None  # the URL of a <Play> (hold music), text empty


@dataclass
class Phone:
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

    # -- keeping a call between requests (the web phone) -------------------------------------
    _ELEMENTS = ("pending", "queue", "dialing")
    _PLAIN = ("caller", "to", "sid", "account", "url", "ended", "queue_base", "queue_time", "dial_base",
              "recording_delay", "clock", "bridged")

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
                "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
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
        get = getattr(self.transport, "get", None)
        if get is None or not url:
            return 0.0
        url = urljoin(self.url or self.transport.base_url + "/", url)
        if url not in _MEDIA_SECONDS:
            try:
                _MEDIA_SECONDS[url] = wav_seconds(get(url))
            except (OSError, CallError):
                return 0.0
        return _MEDIA_SECONDS[url]

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
                    if child.tag == "Say":  # a nested <Play> counts as time (_gather_seconds)
                        self.hear(child)
                self.pending, self.after = verb, verbs[i + 1:]
                return
            elif verb.tag == "Redirect":
                self.request(verb.text or "")
                return
            elif verb.tag == "Hangup":
                self.ended = True
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
        self.ended = True  # the end of a document hangs up, as on Twilio

    def hear(self, say: ET.Element) -> None:
        prosody = say.find("prosody")
        text = (prosody.text if prosody is not None else say.text) or ""
        self.heard.append(Heard(text.strip(), say.get("voice"), say.get("language"), prosody is not None))

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

    # -- queues and dialled advisers (what Twilio does around <Enqueue> and <Dial>) ----------------
    def _queue_params(self) -> dict[str, str]:
        return {"QueueSid": "QU" + "0" * 32, "QueueTime": str(self.queue_time)}

    def hold(self) -> Phone:
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

    def redirect(self, url: str) -> Phone:
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
            outcome, nxt = self._whisper_turn(list(ET.fromstring(body)), heard, key)
            if outcome == "bridge":
                self.bridged = True
                return heard
            if outcome == "hangup":
                self._dial_ended(WHISPER_HANGUP_STATUS, 0)
                return heard
            target = urljoin(target, nxt or "")
            form = dict(leg, Digits=key or "")
        raise CallError("the whisper never bridged nor hung up")

    @staticmethod
    def _whisper_turn(verbs: list[ET.Element], heard: list[str], key: str | None) -> tuple[str, str]:
        """Follow one whisper document: ("bridge"|"hangup"|"action", the action URL)."""
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                heard.append((verb.text or "").strip())
            elif verb.tag == "Gather":
                heard.extend((el.text or "").strip() for el in verb if el.tag == "Say")
                if key:
                    return "action", verb.get("action") or ""
                return Phone._whisper_turn(verbs[i + 1:], heard, None)
            elif verb.tag == "Hangup":
                return "hangup", ""
            elif verb.tag == "Redirect":
                return "action", verb.text or ""
        return "bridge", ""  # the whisper document ended: Twilio connects the two parties

    def _dial_ended(self, status: str, duration: int) -> None:
        dial, self.dialing = self._expect("Dial"), None
        self.bridged = False
        action = dial.get("action")
        if not action:
            self.run(self.after)
            return
        self.url = self.dial_base
        self.request(action, DialCallStatus=status, DialCallDuration=str(duration))

    def adviser_hangs_up(self, duration: int = 120) -> Phone:
        self._dial_ended("completed", duration)
        return self

    def adviser_does_not_answer(self, status: str = "no-answer") -> Phone:
        """The adviser's line is busy, rings out or fails: `status` is the DialCallStatus."""
        self._dial_ended(status, 0)
        return self

    def hangup(self, duration: int = 30) -> int:
        """The caller hangs up: what Twilio reports of the queue or dial, then the final status."""
        if self.queue is not None and not self.ended:
            self._left("hangup")
        if self.dialing is not None and not self.ended and self.dialing.get("action"):
            self.post(urljoin(self.dial_base, self.dialing.get("action") or ""),
                      self.params(DialCallStatus="completed" if self.bridged else "canceled",
                                  DialCallDuration=str(duration)))
        self.dialing = None
        self.ended = True
        self.deliver_due(everything=True)  # late recording callbacks still arrive after a hang-up
        status, _ = self.post("/ivr/status", self.params(CallStatus="completed", CallDuration=str(duration)))
        return status

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


def run_cli(url: str, keys: str, caller: str) -> None:  # pragma: no cover - interactive
    """`run.py simulate`: print what the caller hears; take keys from --keys or the keyboard."""
    import click

    from config import settings

    if url:
        transport: Transport = HttpTransport(url)
    else:
        from run import create_app

        app = create_app()
        transport = FlaskTransport(app.test_client())
    token = settings.auth_token()
    if not token:
        raise click.UsageError("TWILIO_AUTH_TOKEN is not set (or use JOBLINE_ENV=development)")
    phone = Phone(transport, token, caller=caller)
    script = [k.strip() for k in keys.split(",")] if keys else None
    shown = 0
    phone.dial()
    while True:
        for h in phone.heard[shown:]:
            click.echo(f"  [{h.language or '?'}] {h.text}")
        shown = len(phone.heard)
        if phone.ended:
            phone.hangup()
            click.echo("-- call ended")
            return
        waiting = phone.pending.tag if phone.pending is not None else "?"
        if script is not None:
            if not script:
                phone.hangup()
                click.echo("-- hung up (no more keys)")
                return
            key = script.pop(0)
            click.echo(f"> {key}")
        else:
            key = click.prompt(f"{waiting}: keys (- for silence, q to hang up)", default="-")
        if key == "q":
            phone.hangup()
            click.echo("-- hung up")
            return
        if waiting == "Record":
            phone.record() if key != "-" else phone.silence()
        elif key == "-":
            phone.silence()
        else:
            phone.press(key)
