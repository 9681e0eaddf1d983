"""A caller who chooses Swahili (5), a language heard only from recordings, hears <Play> of the
flow's files and never a <Say>: menus (label, "press", the key's number), an information message,
the ID number read back digit by digit from the number recordings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

VALID = "79927398"  # a Luhn-valid jobseeker number


def plays(reply: str) -> list[str]:
    return [urlsplit((el.text or "").strip()).path.removeprefix("/ivr/prompts/")
            for el in ET.fromstring(reply).iter("Play")]


def says(reply: str) -> list[str]:
    return [(el.text or "").strip() for el in ET.fromstring(reply).iter("Say")]


def swahili(phone):
    p = phone().dial()
    assert "sw/choose.wav" in plays(p.replies[-1])  # offered in its own recorded words
    assert says(p.replies[-1])[-1] == "한국어는 4번을 누르세요."  # the others in their voices
    mark = len(p.replies)
    return p.press("5"), mark


def test_the_main_menu_is_played_piece_by_piece_with_the_keys_from_the_number_recordings(phone):
    p, mark = swahili(phone)
    menu = plays(p.replies[-1])
    assert menu[:6] == ["sw/welcome.wav", "sw/main-prompt.wav", "sw/main-option-1.wav", "sw/option-press.wav",
                        "sw/numbers/1.wav", "sw/main-option-2.wav"]
    assert menu[-6:] == ["sw/adviser_hint.wav", "sw/numbers/0.wav", "sw/slower_hint.wav", "sw/numbers/8.wav",
                         "sw/repeat_hint.wav", "sw/numbers/9.wav"]
    assert all(not says(reply) for reply in p.replies[mark:])


def test_an_information_message_and_the_choice_after_it_are_recordings(phone, client):
    p, mark = swahili(phone)
    p.press("3")
    assert plays(p.replies[-1]) == ["sw/vacancies-text.wav", "sw/after_info.wav", "sw/goodbye.wav"]
    assert p.heard[-3].play and not says(p.replies[-1])
    # Twilio fetches each file from Jobline: served, and only the flow's own.
    url = urlsplit(next(el.text for el in ET.fromstring(p.replies[-1]).iter("Play")))
    resp = client.get(f"{url.path}?{url.query}")
    assert resp.status_code == 200 and resp.mimetype in {"audio/wav", "audio/x-wav"}
    assert client.get("/ivr/prompts/sw/numbers/../welcome.wav").status_code == 404
    assert all(not says(reply) for reply in p.replies[mark:])


def test_an_id_number_is_read_back_from_the_digit_recordings(phone):
    p, mark = swahili(phone)
    p.press("2").press("3")
    assert plays(p.replies[-1]) == ["sw/benefit_id-prompt.wav"]
    p.press(VALID + "#")
    assert plays(p.replies[-1]) == (["sw/you-entered.wav"] + [f"sw/numbers/{d}.wav" for d in VALID]
                                    + ["sw/if-right-press.wav"])
    p.press("1")
    assert plays(p.replies[-1])[0] == "sw/capture_thanks.wav"
    assert all(not says(reply) for reply in p.replies[mark:])


def test_a_wrong_key_and_silence_are_recordings_too(phone):
    p, mark = swahili(phone)
    p.press("4").press("5")  # the employers' menu, then a key it does not have
    assert plays(p.replies[-1])[0] == "sw/invalid.wav"
    p.silence()
    assert plays(p.replies[-1])[0] == "sw/no_input.wav"
    assert all(not says(reply) for reply in p.replies[mark:])
