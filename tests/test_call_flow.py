"""A caller's story through the IVR: language, menus, information, keys that always work."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Call, Caller


def test_first_call_offers_each_language_in_its_own_voice(phone):
    p = phone().dial()
    assert [h.text for h in p.heard] == [
        "For English, press 1.", "Para español, pulse 2.", "Pour le français, appuyez sur 3."
    ]
    assert [h.language for h in p.heard] == ["en-US", "es-US", "fr-FR"]
    assert len({h.voice for h in p.heard}) == 3
    assert p.pending is not None and p.pending.tag == "Gather"


def test_language_is_remembered_for_the_next_call(phone, s):
    first = phone("+447700900555").dial().press("2")
    assert first.heard[3].text.startswith("Bienvenido")
    assert "Menú principal." in first.last_heard
    first.hangup()

    again = phone("+447700900555").dial()
    assert again.heard[0].text.startswith("Bienvenido")  # no language question this time
    assert all(h.language == "es-US" for h in again.heard)
    assert "Para elegir otro idioma, pulse 7." in again.last_heard
    again.press("7").press("3")
    assert again.last_heard.startswith("Menu principal.")
    caller = s.scalar(select(Caller).where(Caller.phone == "+447700900555"))
    assert caller.language == "fr"
    assert len(s.scalars(select(Call)).all()) == 2
