"""Keying in a jobseeker number: checked, read back digit by digit, never in a URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from config.flow import IdRule, luhn_ok, mod11_ok
from db.models import Call, Capture

VALID = "79927398"  # Luhn-valid, 8 digits
WRONG_CHECK = "79927391"


def to_id_prompt(phone):
    return phone().dial().press("1").press("2").press("3")


def stored_capture(s, p) -> Capture:
    s.expire_all()
    return s.scalar(select(Call).where(Call.sid == p.sid)).captures[-1]


def test_valid_number_is_read_back_and_confirmed(phone, s):
    p = to_id_prompt(phone)
    assert "key in your eight digit jobseeker number" in p.last_heard
    p.press(VALID + "#")
    assert p.last_heard == ("You entered 7 9 9 2, 7 3 9 8. If this is correct, press 1. "
                            "To enter it again, press 2.")
    p.press("1")
    # English "Thank you." is a recording (config/audio/en/thank-you.wav): played, not said
    assert any(h.play and "/ivr/prompts/en/thank-you.wav" in h.play for h in p.heard[-3:])
    cap = stored_capture(s, p)
    assert (cap.field, cap.status, cap.value, cap.method) == ("id_number", "captured", VALID, "keypad")
    urls = [v for reply in p.replies for el in ET.fromstring(reply).iter() for v in el.attrib.values()]
    urls += [el.text or "" for reply in p.replies for el in ET.fromstring(reply).iter("Redirect")]
    assert urls and not any(VALID in u for u in urls)  # the number never travels in a URL


def test_wrong_checksum_asks_again_then_gives_up_kindly(phone, s):
    p = to_id_prompt(phone)
    p.press(WRONG_CHECK)
    assert p.heard[-2].text == "Sorry, that number is not valid. It has 8 digits."
    p.press("123")
    p.press("abcdefgh")
    assert "We could not check your number, an adviser will help you with it." in p.heard_since(-3)
    assert "To leave a message, press 2." in p.last_heard  # on to the adviser step, not hung up
    assert stored_capture(s, p).status == "failed"


def test_star_skips_and_two_reenters(phone, s):
    p = to_id_prompt(phone).press(VALID).press("2")
    assert "key in your eight digit" in p.last_heard
    p.press("*")
    assert stored_capture(s, p).status == "skipped"


@pytest.mark.parametrize("digits,ok", [("79927398", True), ("79927391", False), ("0", False),
                                       ("7992739８", False), ("", False), ("799273980", False)])
def test_luhn_rule_checks_length_digits_and_check_digit(digits, ok):
    assert IdRule(length=8, checksum="luhn").valid(digits) is ok


def test_checksum_schemes():
    assert luhn_ok("4539578763621486") and not luhn_ok("4539578763621487")
    # mod11 over 1234567 with weights 2..7 from the right: 7*2+6*3+5*4+4*5+3*6+2*7+1*2 = 106;
    # 106 mod 11 = 7 -> check digit 11 - 7 = 4
    assert mod11_ok("12345674") and not mod11_ok("12345675")
