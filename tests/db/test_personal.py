"""Masking of personal data in logs and on screens."""

from __future__ import annotations

import pytest

from db.personal import mask_id, mask_numbers, mask_phone


@pytest.mark.parametrize("text,expected", [
    ("caller +447700900123 hung up", "caller +44•••••••123 hung up"),
    ("caller +44 7700 900123 hung up", "caller +44•••••••123 hung up"),
    ("id 79927398 keyed", "id ••••••98 keyed".replace("••••••98", mask_phone("79927398"))),
    ("national 07700900123", "national " + mask_phone("07700900123")),
])
def test_numbers_are_masked_in_free_text(text, expected):
    assert mask_numbers(text) == expected
    assert "7700900" not in mask_numbers(text) and "927398" not in mask_numbers(text)


@pytest.mark.parametrize("text", [
    '127.0.0.1 - - [26/Nov/2026:07:18:21] "GET /flow HTTP/1.1" 200 -',
    "2026-11-26 07:18:21,289 INFO took 1234 ms",
    "recording RE0123456789abcdef0123456789abcdef stored",
    "/ivr/node/main/input?attempt=2",
])
def test_addresses_times_and_identifiers_are_left_alone(text):
    assert mask_numbers(text) == text


def test_screen_masks():
    assert mask_phone("+447700900123") == "+44•••••••123"
    assert mask_id("79927398") == "••••••98"
    assert mask_phone(None) == "" and mask_id("") == ""
