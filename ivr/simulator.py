"""A caller simulator: places a call against Jobline's webhooks, signed exactly as Twilio signs,
and follows the TwiML the way Twilio would. Used by `run.py simulate`, the tests and the bench.

    phone = Phone(FlaskTransport(app.test_client()), token)   # or HttpTransport("http://...")
    phone.dial()             # follows until the caller must act (a <Gather>, <Record> or hangup)
    phone.heard              # what the caller has heard so far, in order
    phone.press("1")         # keys to the pending <Gather>;  phone.silence() lets it time out
    phone.hold()             # on hold in an <Enqueue>: Twilio asks the waitUrl again
    phone.redirect(url)      # a REST redirect of this call (an adviser answering, a transfer)
    phone.adviser_answers(); phone.adviser_hangs_up()   # the far end of a pending <Dial>
"""

from __future__ import annotations

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


class CallError(AssertionError):
    """Jobline answered something Twilio could not follow (a non-2xx status, bad XML)."""


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
    queue_time: int = 0  # seconds in the queue, as Twilio reports it (tests set it)
    while_paused: Callable[[float], None] | None = None  # at each <Pause>, with its seconds
    dialing: ET.Element | None = None  # the <Dial> the caller is connected or ringing through
    dial_base: str = ""

    # -- keeping a call between requests (the web phone) -------------------------------------
    _ELEMENTS = ("pending", "queue", "dialing")
    _PLAIN = ("caller", "to", "sid", "account", "url", "ended", "queue_base", "queue_time", "dial_base")

    def state(self) -> dict[str, object]:
        """What is needed to carry on this call in another process (JSON-able)."""
        data: dict[str, object] = {k: getattr(self, k) for k in self._PLAIN}
        for k in self._ELEMENTS:
            element = getattr(self, k)
            data[k] = ET.tostring(element, encoding="unicode") if element is not None else None
        data["after"] = [ET.tostring(v, encoding="unicode") for v in self.after]
        data["heard"] = [vars(h) for h in self.heard]
        return data

    @classmethod
    def resume(cls, transport: Transport, token: str, data: dict) -> Phone:
        phone = cls(transport, token, **{k: data[k] for k in cls._PLAIN})
        for k in cls._ELEMENTS:
            setattr(phone, k, ET.fromstring(data[k]) if data.get(k) else None)
        phone.after = [ET.fromstring(v) for v in data.get("after", [])]
        phone.heard = [Heard(**h) for h in data.get("heard", [])]
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

    def request(self, url: str, **extra: str) -> None:
        """Post to a TwiML URL and follow the reply until the caller must act."""
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
        self.run(list(root))

    # -- following TwiML ---------------------------------------------------------------
    def run(self, verbs: list[ET.Element]) -> None:
        self.pending, self.after = None, []
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                self.hear(verb)
            elif verb.tag in {"Gather", "Record"}:
                for child in verb:
                    if child.tag == "Say":
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
                if self.while_paused is not None:  # time passes for the caller: let the world move
                    self.while_paused(float(verb.get("length") or 1))
            elif verb.tag == "Enqueue":
                self.queue, self.queue_base, self.dialing = verb, self.url, None
                self.hold()
                return
            elif verb.tag == "Leave" and self.queue is not None:
                self._left("leave")
                return
            elif verb.tag == "Dial":
                self.dialing, self.dial_base, self.pending, self.after = verb, self.url, verb, verbs[i + 1:]
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
        gather = self._expect("Gather")
        self.request(gather.get("action") or self.url, Digits=digits)
        return self

    def silence(self) -> Phone:
        """Let the pending <Gather> or <Record> time out: Twilio runs the verbs after it."""
        if self.pending is None:
            raise CallError("nothing is waiting for the caller")
        self.run(self.after)
        return self

    def record(self, sid: str | None = None, duration: int = 5, url: str | None = None) -> Phone:
        """Speak into the pending <Record>: its status callback, then its action."""
        rec = self._expect("Record")
        sid = sid or "RE" + uuid.uuid4().hex
        url = url or f"https://api.twilio.com/2010-04-01/Accounts/{self.account}/Recordings/{sid}"
        fields = {"RecordingSid": sid, "RecordingUrl": url, "RecordingDuration": str(duration)}
        callback = rec.get("recordingStatusCallback")
        if callback:
            status, body = self.post(callback, self.params(RecordingStatus="completed", **fields))
            if status >= 300:
                raise CallError(f"recording callback answered {status}: {body[:200]}")
        self.request(rec.get("action") or self.url, **fields, Digits="#")
        return self

    # -- queues and dialled advisers (what Twilio does around <Enqueue> and <Dial>) ----------------
    def _queue_params(self) -> dict[str, str]:
        return {"QueueSid": "QU" + "0" * 32, "QueueTime": str(self.queue_time)}

    def hold(self) -> Phone:
        """One turn of the hold loop: Twilio requests the <Enqueue waitUrl>."""
        if self.queue is None:
            raise CallError("the caller is not in a queue")
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

    def adviser_answers(self) -> list[str]:
        """The dialled adviser picks up: the noun's url (a whisper) runs on their leg."""
        dial = self._expect("Dial")
        noun = next(iter(dial), None)
        url = noun.get("url") if noun is not None else None
        if not url:
            return []
        leg = {"CallSid": "CA" + uuid.uuid4().hex, "ParentCallSid": self.sid, "AccountSid": self.account,
               "From": self.caller, "To": (noun.text or "").strip(), "CallStatus": "in-progress",
               "Direction": "outbound-dial", "ApiVersion": "2010-04-01"}
        status, body = self.post(urljoin(self.dial_base, url), leg)
        if status != 200:
            raise CallError(f"the whisper answered {status}: {body[:200]}")
        return [(el.text or "").strip() for el in ET.fromstring(body).iter("Say")]

    def _dial_ended(self, status: str, duration: int) -> None:
        dial, self.dialing = self._expect("Dial"), None
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
        self._dial_ended(status, 0)
        return self

    def hangup(self, duration: int = 30) -> int:
        """The caller hangs up: what Twilio reports of the queue or dial, then the final status."""
        if self.queue is not None and not self.ended:
            self._left("hangup")
        if self.dialing is not None and not self.ended and self.dialing.get("action"):
            self.post(urljoin(self.dial_base, self.dialing.get("action") or ""),
                      self.params(DialCallStatus="completed", DialCallDuration=str(duration)))
        self.dialing = None
        self.ended = True
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
