"""On hold in Swahili, a language heard only from recordings: the place, the wait and the
callback offer are <Play>s (the numbers from the number recordings), and so is the callback
read-back and booking; never a <Say>."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

HOLD_URL = "/ivr/queue/static/hold.wav"


def plays(reply: str) -> list[str]:
    return [urlsplit((el.text or "").strip()).path.removeprefix("/ivr/prompts/")
            for el in ET.fromstring(reply).iter("Play")]


def says(reply: str) -> list[str]:
    return [(el.text or "").strip() for el in ET.fromstring(reply).iter("Say")]


def test_a_swahili_caller_on_hold_hears_place_wait_and_the_callback_offer_as_recordings(caller, adviser):
    adviser(languages=["sw"])
    p = caller("+447700900111").dial()
    mark = len(p.replies)
    p.press("5").press("0")  # Swahili, then an adviser: the general queue
    hold = plays(p.replies[-1])
    assert hold[:5] == ["sw/queue_next.wav", "sw/queue_wait.wav", "sw/numbers/5.wav",
                        "sw/queue_callback_hint.wav", HOLD_URL]
    p.press("1")  # be called back instead: the number it ends in, digit by digit
    assert plays(p.replies[-1]) == (["sw/number-ending-in.wav"] + [f"sw/numbers/{d}.wav" for d in "0111"]
                                    + ["sw/if-right-press-other.wav"])
    p.press("1")
    assert plays(p.replies[-1])[0] in {"sw/callback_booked_one.wav", "sw/callback_booked.wav"}
    assert all(not says(reply) for reply in p.replies[mark:])


def test_a_second_swahili_caller_hears_their_number_in_line(caller, adviser, clock):
    adviser(languages=["sw"])
    caller("+447700900111").dial().press("5").press("0")
    clock.tick(20)
    second = caller("+447700900222").dial().press("5").press("0")
    assert plays(second.replies[-1])[:3] == ["sw/you-are-number.wav", "sw/numbers/2.wav", "sw/in-line.wav"]
    assert not says(second.replies[-1])
