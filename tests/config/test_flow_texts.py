"""Information by text message in the flow file: a message's `sms` text sits beside its spoken
one, in every language; the key that asks for it is said by its prompt and differs from the
keys after a message; a broken one stops the boot with the path and the fix."""

from __future__ import annotations

import pytest

from config.flow import load_flow
from config.flow_texts import segments
from tests.config.test_flow_config import SHIPPED, broken, error_of


def test_the_shipped_flow_sends_registration_and_office_details_in_every_language():
    flow = load_flow(SHIPPED)
    assert set(flow.texts) == {"register", "offices"}
    assert set(flow.texts["offices"]) == {lang.code for lang in flow.languages}  # en es fr ko sw
    assert "https://pes.example/register" in flow.texts["register"]["en"]
    assert flow.answer_keys.send_text == "1"
    assert flow.prompt("text_offer", "en") == "To get this information by text message, press 1."


def test_a_language_without_its_text_is_named(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["offices"]["sms"].pop("ko"))
    assert "nodes.offices.sms: no text for language 'ko'; add 'ko: ...'" in error_of(path)


def test_only_an_information_message_has_a_text(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["main"].update(sms={"en": "x", "es": "x", "fr": "x",
                                                                          "ko": "x"}))
    assert "nodes.main.sms: only an information message (action 'say') can be sent by text" in error_of(path)


def test_a_text_longer_than_twilio_takes_is_refused(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["offices"]["sms"].update(en="a" * 1601))
    assert "nodes.offices.sms.en: 1601 characters; a text message holds at most 1600" in error_of(path)


def test_the_text_key_is_required_once_a_message_has_a_text(tmp_path):
    path = broken(tmp_path, lambda raw: raw["answer_keys"].pop("send_text"))
    assert "answer_keys.send_text: missing" in error_of(path)


@pytest.mark.parametrize(("key", "clash"), [("9", "repeat"), ("*", "back"), ("0", "adviser")])
def test_the_text_key_may_not_be_a_key_the_choice_after_a_message_offers(tmp_path, key, clash):
    path = broken(tmp_path, lambda raw: raw["answer_keys"].update(send_text=key))
    message = error_of(path)
    assert f"answer_keys.send_text: {key!r} is also the key of {clash!r} (keys.{clash})" in message
    assert "give it its own key" in message


def test_the_offer_must_say_the_key_in_every_language(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"]["text_offer"].update(fr="Appuyez sur 1."))
    assert ("prompts.text_offer.fr: does not say the key of 'send_text'; write {send_text}"
            in error_of(path))


def test_a_flow_without_texts_needs_neither_the_key_nor_the_prompts(tmp_path):
    def no_texts(raw):
        for node in raw["nodes"].values():
            node.pop("sms", None)
        raw["answer_keys"].pop("send_text")
        for name in ("text_offer", "text_sent", "text_withheld", "text_limit"):
            raw["prompts"].pop(name)

    flow = load_flow(broken(tmp_path, no_texts))
    assert flow.texts == {} and flow.answer_keys.send_text is None


def test_segments_count_as_phones_split_them():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2  # GSM-7: 160, then 153 each
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # an extension character is two septets
    assert segments("가" * 70) == 1 and segments("가" * 71) == 2  # Unicode: 70, then 67 each
