"""The flow map shows what a message sends by text beside what the caller hears: the key, how
many SMS it takes and the words, in each language, in the graph and in the text list."""

from __future__ import annotations

import html as markup

from tests.callcenter.reports.test_flowmap import drawn


def test_a_message_sent_by_text_shows_its_key_segments_and_words(signed_in):
    page = signed_in("agent").get("/flow").get_data(as_text=True)
    nodes = {n["id"]: n for n in drawn(page)["nodes"]}
    assert nodes["offices"]["sms"]["en"] == ("Text message (key 1, 1 SMS): Employment offices: Mon-Fri "
                                             "9:00-14:00, Thu afternoon by appointment. Nearest office "
                                             "and appointments: https://pes.example/offices")
    assert nodes["register"]["sms"]["ko"].startswith("Text message (key 1, 2 SMS): 구직자 등록")
    assert nodes["vacancies"]["sms"] == {}  # no text for this message
    text = markup.unescape(page)
    assert '<p class="fm-sms" lang="es">Text message (key 1, 3 SMS): Inscríbase como demandante' in text
