"""The callers of bench/peak.py (its advisers: bench/peak_advisers.py): each follows the TwiML as
Twilio plays it (the project's simulator, ivr/telephony/simulator, over HTTP), at the pace a
caller hears it.

Pace, from what each reply makes the caller hear: a <Say> lasts its text at 14 characters a
second (about 150 words a minute of neural TTS), a <Play> the length of its WAV, a <Pause> its
length, a <Gather> nobody answers its nested audio then its timeout (SIMULATOR.md, "Keys"), and
the hold loop asks the wait URL again only once its document has played out
(https://www.twilio.com/docs/voice/twiml/enqueue, `waitUrl`; SIMULATOR.md, "Queues").
Menu keys come after 60-100 % of the prompt plus a second; recordings last what is said.
"""

from __future__ import annotations

import queue
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ivr.telephony.simulator import HttpTransport, Phone
from ivr.telephony.simulator.media import media_seconds
from ivr.telephony.simulator.transport import CallError

CHARS_PER_S = 14.0
# callcenter/demo/seed.py's shares: queued 62 %, self-service 28 %, hung up in the menus 10 %;
# queues 40/45/15 %; 35 % of queued callers say why they call.
QUEUE_KEYS = {"general": ["0"], "benefits": ["2", "3"], "employers": ["4", "2"]}
QUEUE_SHARES = {"general": 0.40, "benefits": 0.45, "employers": 0.15}
SELF_SERVICE = (["1"], ["2", "1"], ["3"], ["5"], ["2", "2"], ["4", "1"])
SPOKEN_SHARE = 0.35
ASKING = {"benefit_id", "benefit_id_spoken", "ask_name", "ask_reason"}  # their Gathers confirm with 1


@dataclass
class Stats:
    """Every webhook and desk request: (sent at, ms, kind, route, ok)."""

    rows: list[tuple[float, float, str, str, bool]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # state -> calls in it
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, at: float, ms: float, kind: str, route: str, ok: bool) -> None:
        with self.lock:
            self.rows.append((at, ms, kind, route, ok))

    def move(self, old: str | None, new: str | None) -> None:
        with self.lock:
            if old:
                self.calls[old] -= 1
            if new:
                self.calls[new] += 1


def route_of(url: str) -> str:
    return re.sub(r"/\d+", "/<id>", urlsplit(url).path)


class Balanced(HttpTransport):
    """Posts signed for the public address to the web nodes in turn (the balancer's job), timed."""

    def __init__(self, public: str, ports: list[int], stats: Stats) -> None:
        super().__init__(public, timeout=15)  # Twilio's own limit for a webhook
        self.ports, self.stats, self.turn = ports, stats, 0

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        self.turn = (self.turn + 1) % len(self.ports)
        target = f"http://127.0.0.1:{self.ports[self.turn]}" + url.removeprefix(self.base_url)
        t0 = time.perf_counter()
        try:
            status, body = super().post(target, params, signature)
        except OSError as e:
            status, body = 0, str(e)
        ok = 200 <= status < 300 and (status == 204 or body.lstrip().startswith(("<?xml", "<Response")))
        self.stats.add(time.time(), (time.perf_counter() - t0) * 1000, "webhook", route_of(url), ok)
        if not ok:
            with self.stats.lock:
                self.stats.failures.append(f"{route_of(url)} {status} {body[:120]!r}")
        return status, body


def luhn_number(rng: random.Random, length: int = 8) -> str:
    digits = [rng.randrange(10) for _ in range(length - 1)]
    total = sum(d if i % 2 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


@dataclass
class Plan:
    """What one caller will do, drawn in seed-demo's proportions."""

    language_key: str
    keys: dict[str, list[str]]
    kind: str  # queued, spoken, self_service, ivr_hangup
    hang_after: int = 0  # key presses before an IVR hang-up

    @classmethod
    def draw(cls, rng: random.Random, language_keys: list[str], language_shares: list[float]) -> Plan:
        lang = rng.choices(language_keys, language_shares)[0]
        r = rng.random()
        if r < 0.62:
            q = rng.choices(list(QUEUE_SHARES), list(QUEUE_SHARES.values()))[0]
            main, rest = QUEUE_KEYS[q][0], QUEUE_KEYS[q][1:]
            keys = {"main": [main], "benefits": rest, "employers": rest, "benefit_id": [luhn_number(rng)]}
            if rng.random() < SPOKEN_SHARE:
                keys["main"] = ["6", main]  # say why; back at the menu if no intent was clear
                return cls(lang, keys, "spoken")
            return cls(lang, keys, "queued")
        if r < 0.90:
            path = rng.choice(SELF_SERVICE)
            return cls(lang, {"main": [path[0]], "benefits": path[1:], "employers": path[1:]}, "self_service")
        return cls(lang, {"main": [rng.choice("245")], "benefits": [], "employers": []}, "ivr_hangup",
                   hang_after=rng.choice((1, 2)))


class Caller:
    """One call from dial to hang-up, paced in real time divided by `speed`."""

    def __init__(self, transport: Balanced, token: str, account: str, rest_mailbox,
                 advisers: dict[str, queue.Queue], stats: Stats, plan: Plan, speed: float,
                 patience_s: float, talk_s: float, audio) -> None:
        caller = f"+4477009{random.randrange(10**5):05d}"
        self.phone = Phone(transport, token, caller=caller, account=account, recording_delay=2.0)
        self.phone.while_paused = lambda s: time.sleep(s / speed)
        self.rest_mailbox, self.advisers, self.stats, self.plan = rest_mailbox, advisers, stats, plan
        self.speed, self.patience_s, self.talk_s, self.audio = speed, patience_s, talk_s, audio
        self.seen, self.state, self.presses = 0, None, 0

    def _to(self, state: str | None) -> None:
        self.stats.move(self.state, state)
        self.state = state

    def _played(self) -> float:
        """Seconds of audio the caller heard since last asked."""
        new, self.seen = self.phone.heard[self.seen:], len(self.phone.heard)
        base = self.phone.url or self.phone.transport.base_url + "/"
        transport = self.phone.transport
        return sum(len(h.text) / CHARS_PER_S if h.play is None else media_seconds(transport, base, h.play)
                   for h in new)

    def _sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)

    def run(self) -> None:
        self._to("ivr")
        try:
            self.phone.dial()
            self._follow()
            self.stats.outcomes[self.plan.kind] += 1
        except (CallError, OSError) as e:
            with self.stats.lock:
                self.stats.failures.append(f"call {self.plan.kind}: {str(e)[:160]}")
            self.stats.outcomes["broken"] += 1
            self.stats.add(time.time(), 0.0, "call", "a call the simulator could not follow", False)
        finally:
            self._to(None)

    def _follow(self) -> None:
        p, mailbox = self.phone, self.rest_mailbox(self.phone.sid)
        held_since = 0.0
        for _ in range(400):
            if p.ended:
                return
            if p.queue is not None:
                if self.state != "hold":
                    self._to("hold")
                    held_since = time.monotonic()
                wait = self._played() + (p._gather_seconds(p.pending) if p.pending is not None else 0)
                try:
                    update = mailbox.get(timeout=max(0.05, wait / self.speed))
                except queue.Empty:
                    if (time.monotonic() - held_since) * self.speed > self.patience_s:
                        p.hangup()
                        self.stats.outcomes["abandoned"] += 1
                        return
                    p.hold()
                    continue
                if update.get("Url"):
                    self._talk(update["Url"], mailbox)
                    return
                continue
            tag = p.pending.tag if p.pending is not None else None
            if tag == "Record":
                self._sleep(self._played() + 1)
                kind = "reason" if "ask_reason" in p.url else "name"
                sid, url = self.audio(kind)
                seconds = 5 if kind == "reason" else 2
                self._sleep(seconds)
                p.record(sid=sid, url=url, duration=seconds)
                continue
            if tag != "Gather":
                p.hangup()
                return
            node = _node_of(p.pending.get("action") or p.url)
            keys = [self.plan.language_key] if node == "language" else self.plan.keys.get(node)
            if self.plan.hang_after and self.presses >= self.plan.hang_after:
                self._sleep(self._played() * random.uniform(0.2, 0.8))
                p.hangup()
                return
            if keys:
                self._sleep(self._played() * random.uniform(0.6, 1.0) + 1)
                key = keys.pop(0) if len(keys) > 1 or node != "language" else keys[0]
                self.presses += 1
                p.press(key)
            elif node in ASKING:
                self._sleep(self._played() + 1)
                p.press("1")
            else:  # an information message: it plays out and silence ends the call politely
                self._sleep(self._played() + p._gather_seconds(p.pending))
                p.silence()
        p.hangup()

    def _talk(self, url: str, mailbox: queue.Queue) -> None:
        """Twilio fetched the redirect: the adviser's phone rings, their whisper, then talking."""
        p = self.phone
        p.redirect(url)
        dialled = next(iter(p.dialing), None) if p.dialing is not None else None
        number = (dialled.text or "").strip() if dialled is not None else ""
        p.adviser_answers("1")
        if not p.bridged:
            p.hangup()
            return
        self._to("talking")
        talk = random.expovariate(1 / self.talk_s)
        try:
            mailbox.get(timeout=talk / self.speed)  # the adviser ended it (REST Status=completed)
        except queue.Empty:
            pass
        p.hangup(duration=int(talk))
        self.stats.outcomes["answered"] += 1
        if number in self.advisers:
            self.advisers[number].put("ended")


def _node_of(url: str) -> str:
    path = urlsplit(url).path
    if path.endswith("/ivr/language"):
        return "language"
    found = re.search(r"/ivr/node/([^/]+)", path)
    return found.group(1) if found else path


def recording_publisher(media, audio: dict[str, bytes]):
    """Each recording a new SID at Twilio's API host (the bench's loopback copy)."""
    def publish(kind: str) -> tuple[str, str]:
        return media.publish(audio[kind])
    return publish
