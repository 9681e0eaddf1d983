"""A caller's story through the IVR: language, menus, information, keys that always work."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Call, Caller


def test_first_call_offers_each_language_in_its_own_voice(phone):
    p = phone().dial()
    said, played = [h for h in p.heard if h.play is None], [h.play for h in p.heard if h.play]
    assert [h.text for h in said] == [
        "For English, press 1.", "Para español, pulse 2.", "Pour le français, appuyez sur 3.",
        "한국어는 4번을 누르세요.",
    ]
    assert [h.language for h in said] == ["en-US", "es-US", "fr-FR", "ko-KR"]
    assert len({h.voice for h in said}) == 4
    # Swahili has no voice: its own recorded line ("Kwa Kiswahili, bonyeza 5."), last.
    assert p.heard[-1].play == played[0] and played[0].split("?")[0] == "/ivr/prompts/sw/choose.wav"
    assert p.pending is not None and p.pending.tag == "Gather"


def test_language_is_remembered_for_the_next_call(phone, s):
    first = phone("+447700900555").dial().press("2")
    assert first.heard[5].text.startswith("Bienvenido")  # after the five languages
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


def english_call(phone, caller="+447700900123"):
    return phone(caller).dial().press("1")


def outcome(s, p) -> str | None:
    s.expire_all()
    return s.scalar(select(Call.outcome).where(Call.sid == p.sid))


def test_self_service_information_then_goodbye_is_contained(phone, s):
    p = english_call(phone)
    assert "For unemployment benefits, press 2." in p.last_heard
    p.press("2").press("1")
    assert p.last_heard.startswith("To hear this again, press 9.")
    assert "Benefits are paid on the tenth working day" in p.heard[-2].text
    p.silence()
    assert p.ended and p.last_heard.startswith("Thank you for calling")
    assert p.hangup() == 204
    assert outcome(s, p) == "self_service"


def test_nine_repeats_star_goes_back_and_zero_reaches_an_adviser_on_every_menu(phone):
    p = english_call(phone).press("2")
    benefits_menu = p.last_heard
    assert benefits_menu.startswith("Unemployment benefits.")
    assert "To go back, press star." in benefits_menu
    assert p.press("9").last_heard == benefits_menu
    assert p.press("*").last_heard.startswith("Main menu.")
    p.press("4")
    assert p.last_heard.startswith("Employers.")
    p.press("0")  # no adviser is signed in: the caller is offered a callback or a message
    assert "To be called back by an adviser, press 1. To leave a message, press 2." in p.last_heard
    assert p.press("2").pending.tag == "Record"


def test_information_message_keys_repeat_back_and_adviser(phone):
    p = english_call(phone).press("3")
    message = p.heard[-2].text
    assert message.startswith("All our job vacancies")
    p.press("9")
    assert p.heard[-2].text == message
    assert p.press("*").last_heard.startswith("Main menu.")


def test_wrong_keys_and_silence_are_reprompted_twice_then_a_person_takes_over(phone, s):
    # Every key of the main menu means something: its benefits menu has keys to spare.
    p = english_call(phone).press("2")
    menu = p.last_heard
    p.press("7")
    assert p.heard[-2].text == "Sorry, that is not one of the choices."
    assert p.last_heard == menu
    p.silence()
    assert p.heard[-2].text == "Sorry, we did not hear your choice."
    p.press("7")
    assert "Let us put you through to someone who can help." in p.heard_since(-3)
    assert "To leave a message, press 2." in p.last_heard  # nobody signed in: callback or message
    kinds = [e.kind for e in s.scalar(select(Call).where(Call.sid == p.sid)).events]
    assert kinds.count("invalid") == 2 and kinds.count("no_input") == 1 and "to_person" in kinds


def test_hash_alone_is_no_input_and_is_asked_again(phone, s):
    # Twilio requests no action for a <Gather> ended by its finishOnKey with nothing typed: the
    # next verb runs (https://www.twilio.com/docs/api/twiml/gather), so the caller hears the
    # no-input prompt, not "not one of the choices".
    p = english_call(phone)
    p.press("#")
    assert p.heard[-2].text == "Sorry, we did not hear your choice."
    assert p.last_heard.startswith("Main menu.")
    kinds = [e.kind for e in s.scalar(select(Call).where(Call.sid == p.sid)).events]
    assert kinds.count("no_input") == 1 and "invalid" not in kinds


def test_slower_speech_is_offered_and_remembered(phone):
    p = english_call(phone, "+447700900777")
    assert "To hear our messages more slowly, press 8." in p.last_heard
    p.press("8")
    assert p.heard[-2].text == "From now on, we will speak more slowly."
    assert p.heard[-1].slow and "more slowly, press 8" not in p.last_heard
    p.hangup()
    again = phone("+447700900777").dial()
    assert all(h.slow for h in again.heard)


def test_outside_hours_the_caller_hears_the_hours_and_can_leave_a_message(closed_app, phone, s):
    from db.models import Recording

    p = phone(on=closed_app).dial().press("1")
    heard = p.heard_since(4)
    assert "Our advisers are not available at the moment." in heard
    assert "Monday to Thursday from 8 in the morning" in heard
    assert "You can still use our automated information service." in heard
    p.press("0")
    assert "To leave a message, press 2." in p.last_heard
    p.press("2")
    assert p.pending.tag == "Record"
    assert "Please leave your name" in p.last_heard
    p.record(sid="RE" + "a" * 32, duration=12)
    assert "Your message has been saved" in p.heard_since(-2)
    assert p.ended
    p.hangup()
    rec = s.scalar(select(Recording).where(Recording.sid == "RE" + "a" * 32))
    assert rec.kind == "voicemail" and rec.duration_s == 12 and rec.call.sid == p.sid
    assert outcome(s, p) == "voicemail"


def test_public_holiday_is_announced(make_app, phone):
    from datetime import UTC, datetime

    christmas = make_app(CLOCK=lambda: datetime(2026, 12, 25, 11, 0, tzinfo=UTC))
    p = phone(on=christmas).dial().press("3")
    assert "Hoy es día festivo." not in p.heard_since(0)
    assert "Aujourd'hui est un jour férié." in p.heard_since(4)


def test_empty_voicemail_returns_to_the_menu(phone, s):
    from db.models import Recording

    p = english_call(phone).press("0").press("2")
    p.record(duration=0)
    assert p.heard[-2].text == "We did not receive a message."
    assert p.last_heard.startswith("Main menu.")
    assert s.scalars(select(Recording)).all()[0].duration_s == 0
