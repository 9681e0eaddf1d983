"""The IVR engine: walks config/ivr.yaml for one call, one webhook at a time.

Each function takes the flow, a session and the call, records what happened, and returns the
TwiML the caller hears next. Every path ends with a person, a message or a goodbye: never a
dead end. What each node action does is listed in ACTIONS and INPUTS, filled by ivr.init_app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, request, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from config.flow import Flow, Node
from config.hours import holiday_on, is_open
from db import session as db_session
from db.models import Call
from ivr import calls
from ivr.callstate import NO_LANGUAGE, CallState
from ivr.telephony.twiml import Speaker

MAX_RETRIES = 2  # a wrong key or silence is re-prompted twice, then a person takes over
MENU_TIMEOUT_S = 6
SLOW_TIMEOUT_S = 10


@dataclass
class Turn:
    """One webhook's worth of a call: the flow, the call's state and a reply being built.

    `state` is what the menus need (language, slower speech, node): a light CallState for most
    webhooks, or the ORM Call once an action asks for `t.call` (queues, captures, recordings),
    which applies the state to the stored call first. `form` and `args` are the webhook's body
    and query string; `after_commit` holds work that must only start once this step is
    committed (enqueueing a job that reads the new rows).
    """

    flow: Flow
    state: Call | CallState
    now: datetime
    form: Mapping[str, str] = field(default_factory=dict)
    args: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.after_commit: list[Callable[[], None]] = []
        self.reply = VoiceResponse()
        self.speaker = Speaker(self.flow, self.state.language or self.flow.default_language,
                               self.state.slow_speech)

    @property
    def s(self) -> Session:
        """The request's ORM session, opened only by the steps that need it."""
        return db_session.current()

    @property
    def call(self) -> Call:
        """The stored call, loaded (and brought up to date with this turn's state) on first use."""
        if isinstance(self.state, CallState):
            self.state = calls.materialize(self.s, self.state, self.form)
        return self.state

    def url(self, endpoint: str, **values: object) -> str:
        """An action URL for Twilio that carries the call's state, so the next webhook of a
        menu walk needs no database read (Twilio signs the URL: the caller cannot alter it)."""
        values["lang"] = self.state.language or NO_LANGUAGE
        if self.state.slow_speech:
            values["slow"] = 1
        return _url(id(current_app), request.script_root, endpoint, tuple(sorted(values.items())))

    def input_url(self, node: str, attempt: int = 0) -> str:
        return self.url("ivr.node_input", node=node, attempt=attempt)

    def gather(self, action: str, **kwargs: object) -> Gather:
        timeout = SLOW_TIMEOUT_S if self.state.slow_speech else MENU_TIMEOUT_S
        options = {"input": "dtmf", "num_digits": 1, "timeout": timeout, "action_on_empty_result": False}
        options.update(kwargs)
        gather = Gather(action=action, method="POST", **options)
        self.reply.append(gather)
        return gather

    def say(self, name: str, target: VoiceResponse | Gather | None = None, **values: object) -> None:
        self.speaker.prompt(self.reply if target is None else target, name, **values)

    def open(self) -> bool:
        return is_open(self.flow.hours, self.now)


@functools.lru_cache(maxsize=4096)
def _url(_app: int, _root: str, endpoint: str, values: tuple[tuple[str, object], ...]) -> str:
    """url_for, remembered: a flow has a few hundred distinct action URLs and each webhook
    builds two or three of them."""
    return url_for(endpoint, **dict(values))


Action = Callable[[Turn, Node], None]
InputHandler = Callable[[Turn, Node, str, int], None]
# What entering a node with each action does, and how keys pressed at it are handled (default:
# menu keys). Filled by ivr.init_app (ivr/__init__.py), the one place that lists the actions.
ACTIONS: dict[str, Action] = {}
INPUTS: dict[str, InputHandler] = {}
# What else the choice after an information message offers, said before it (ivr/actions/texts.py).
AFTER_INFO: list[Callable[[Turn, Node, Gather], None]] = []


def register(name: str, enter: Action, on_input: InputHandler | None = None) -> None:
    """Say what a node with this action does when entered, and with the keys pressed at it."""
    ACTIONS[name] = enter
    if on_input is not None:
        INPUTS[name] = on_input


# -- call start and language ---------------------------------------------------------------

def answer(t: Turn) -> None:
    """First webhook of a call: ask the language, or greet in the remembered one."""
    if t.state.language is None:
        language_menu(t, 0)
    else:
        welcome(t)


def language_menu(t: Turn, attempt: int) -> None:
    url = t.url("ivr.language", attempt=attempt)
    gather = t.gather(url)
    for lang in t.flow.languages:
        t.speaker.said(gather, f"languages.{lang.code}.choose", lang.choose, lang.code)
    t.reply.redirect(url, method="POST")


def choose_language(t: Turn, digits: str, attempt: int) -> None:
    chosen = next((lang for lang in t.flow.languages if lang.key == digits), None)
    if chosen is None:
        calls.event(t.state, "no_input" if not digits else "invalid", "language")
        if attempt >= MAX_RETRIES:
            calls.remember_choice(t.state, language=t.flow.default_language)
            t.speaker.lang = t.flow.default_language
            to_person(t)
            return
        language_menu(t, attempt + 1)
        return
    calls.remember_choice(t.state, language=chosen.code)
    t.speaker.lang = chosen.code
    calls.event(t.state, "language", detail=chosen.code)
    welcome(t)


def welcome(t: Turn) -> None:
    t.say("welcome")
    if not t.open():
        announce_closed(t, "closed_at_start")
        t.say("self_service_open")
    enter(t, t.flow.start)


def announce_closed(t: Turn, event_kind: str = "closed") -> None:
    """Advisers are off duty: say so (and why, on a public holiday), with the opening hours."""
    calls.event(t.state, event_kind)
    if holiday_on(t.flow.hours, t.now):
        t.say("holiday")
    t.say("closed")
    t.say("hours")


# -- walking the nodes ---------------------------------------------------------------------

def enter(t: Turn, node_id: str) -> None:
    node = t.flow.nodes.get(node_id)
    if node is None:  # the flow changed under a live call: start again rather than fail
        calls.event(t.state, "error", node_id, "node no longer in the flow")
        node = t.flow.nodes[t.flow.start]
    t.state.node = node.id
    calls.event(t.state, "enter", node.id)
    ACTIONS[node.action](t, node)


def menu(t: Turn, node: Node, attempt: int = 0) -> None:
    keys, sp = t.flow.keys, t.speaker
    gather = t.gather(t.input_url(node.id, attempt))
    # (the text's path in the flow, its words, the values of its placeholders)
    lines: list[tuple[str, str, dict[str, str]]] = [(f"nodes.{node.id}.prompt", node.prompt[sp.lang], {})]
    for o in node.options.values():
        values = {"label": o.label[sp.lang], "key": sp.key(o.key)}
        lines.append(("prompts.option", sp.text("option", **values), values))
    hints = ["adviser"] + (["back"] if node.id != t.flow.start else [] if t.state.slow_speech else ["slower"])
    for hint in [*hints, "repeat"]:
        values = {"key": sp.key(keys[hint])}
        lines.append((f"prompts.{hint}_hint", sp.text(f"{hint}_hint", **values), values))
    if any(t.flow.recorded(path, sp.lang) for path, _, _ in lines):  # recorded: each part in turn
        for path, text, values in lines:
            sp.said(gather, path, text, **values)
    else:
        sp.say(gather, " ".join(text for _, text, _ in lines))
    t.reply.redirect(t.input_url(node.id, attempt), method="POST")


def say_info(t: Turn, node: Node) -> None:
    calls.event(t.state, "info", node.id)
    t.speaker.said(t.reply, f"nodes.{node.id}.text", node.text[t.speaker.lang])
    if node.next:
        t.reply.redirect(t.url("ivr.node", node=node.next), method="POST")
        return
    after_info(t, node)


def after_info(t: Turn, node: Node, attempt: int = 0, offers: bool = True) -> None:
    """The short choice after a message; silence means the caller is done: goodbye."""
    keys, sp = t.flow.keys, t.speaker
    gather = t.gather(t.input_url(node.id, attempt))
    for offer in AFTER_INFO if offers else ():
        offer(t, node, gather)
    t.say("after_info", gather, repeat=sp.key(keys["repeat"]), back=sp.key(keys["back"]),
          adviser=sp.key(keys["adviser"]))
    goodbye(t)


def hangup(t: Turn, node: Node | None = None) -> None:
    goodbye(t)


def goodbye(t: Turn) -> None:
    t.say("goodbye")
    t.reply.hangup()


def language_node(t: Turn, node: Node) -> None:
    language_menu(t, 0)


def to_person(t: Turn) -> None:
    """Retries used up or the caller is stuck: a person takes over (or a message when closed)."""
    calls.event(t.state, "to_person", t.state.node)
    t.say("to_person")
    enter(t, t.flow.adviser)


def handle_input(t: Turn, node_id: str, digits: str, attempt: int) -> None:
    """A key pressed (or silence, digits == '') at a node."""
    node = t.flow.nodes.get(node_id)
    if node is None:
        enter(t, node_id)
        return
    if node.action in INPUTS:
        INPUTS[node.action](t, node, digits, attempt)
    else:
        menu_keys(t, node, digits, attempt)


def menu_keys(t: Turn, node: Node, digits: str, attempt: int) -> None:
    """The keys every menu and message answer: adviser, repeat, back, slower, a menu's options."""
    keys = t.flow.keys
    if digits == keys["adviser"]:
        calls.event(t.state, "key", node.id, "adviser")
        enter(t, t.flow.adviser)
    elif digits == keys["repeat"]:
        calls.event(t.state, "key", node.id, "repeat")
        ACTIONS[node.action](t, node)
    elif digits == keys["back"]:
        calls.event(t.state, "key", node.id, "back")
        enter(t, t.flow.parent_of(node.id) or t.flow.start)
    elif digits == keys["slower"] and node.action == "menu":
        calls.remember_choice(t.state, slow=True)
        t.speaker.slow = True
        calls.event(t.state, "key", node.id, "slower")
        t.say("slower_on")
        menu(t, node)
    elif node.action == "menu" and digits in node.options:
        calls.event(t.state, "key", node.id, digits)
        enter(t, node.options[digits].next)
    else:
        retry(t, node, digits, attempt)


def retry(t: Turn, node: Node, digits: str, attempt: int) -> None:
    kind = "no_input" if not digits else "invalid"
    calls.event(t.state, kind, node.id, None if not digits else digits[:8])
    if attempt >= MAX_RETRIES:
        to_person(t)
        return
    t.say(kind)
    if node.action == "menu":
        menu(t, node, attempt + 1)
    else:  # after an information message: only the short choice again
        after_info(t, node, attempt + 1)
