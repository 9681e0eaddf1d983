"""What the caller said they want picks the queue, despite recognizer mistakes."""

from __future__ import annotations

import pytest

from speech.intents import check_table, match_intent, phrase_score

TABLE = {
    "registration": {
        "en": ["register", "sign up", "new jobseeker"],
        "es": ["registrarme", "inscribirme", "darme de alta"],
        "fr": ["inscription", "m'inscrire"],
        "ko": ["등록", "가입"],
    },
    "benefits": {
        "en": ["benefits", "unemployment benefit", "payment"],
        "es": ["prestación", "subsidio", "paro"],
        "fr": ["allocation", "indemnités", "chômage"],
        "ko": ["실업 급여", "급여"],
    },
    "employer": {
        "en": ["employer", "hire staff", "post a vacancy"],
        "es": ["empresa", "contratar", "oferta de empleo"],
        "fr": ["employeur", "recruter", "offre d'emploi"],
        "ko": ["고용주", "채용"],
    },
}

CASES = [
    ("en", "i want to register", "registration"),
    ("en", "I'd like to SIGN UP please", "registration"),
    ("en", "id like to signup", "registration"),  # words run together
    ("en", "i want to registered", "registration"),  # inflection
    ("en", "about my benefit payment", "benefits"),
    ("en", "a question about my bene fits", "benefits"),  # a word split in two
    ("en", "we want to post a vacancy", "employer"),
    ("en", "we want to post a vacancies", "employer"),
    ("en", "hello how are you", None),
    ("es", "quiero darme de alta", "registration"),
    ("es", "mi prestacion por desempleo", "benefits"),  # accents dropped by the recognizer
    ("es", "soy una empresa y quiero contratar", "employer"),
    ("es", "buenos dias", None),
    ("fr", "je voudrais m inscrire", "registration"),
    ("fr", "mes INDEMNITES de chomage", "benefits"),
    ("fr", "je suis employeur", "employer"),
    ("fr", "bonjour madame", None),
    ("ko", "등록하고 싶어요", "registration"),  # particles attached to the word
    ("ko", "실업 급여 문의", "benefits"),
    ("ko", "채용 공고", "employer"),
    ("ko", "안녕하세요", None),
]


@pytest.mark.parametrize(("lang", "said", "intent"), CASES)
def test_reason_picks_intent(lang, said, intent):
    got, score = match_intent(said, TABLE, lang, threshold=0.8)
    assert got == intent
    assert (score >= 0.8) == (intent is not None)


def test_below_threshold_gives_none_with_the_score():
    intent, score = match_intent("i want to registered", TABLE, "en", threshold=0.99)
    assert intent is None
    assert score == pytest.approx(0.95)


def test_language_missing_from_an_intent_uses_all_its_phrases():
    table = {"registration": {"en": ["register"]}}
    assert match_intent("register", table, "fr", 0.8) == ("registration", 1.0)


def test_unrelated_short_words_do_not_add_up():
    assert phrase_score("post a vacancy", "a cat sat on a mat") < 0.5


def test_empty_text_matches_nothing():
    assert match_intent("", TABLE, "en", 0.8) == (None, 0.0)


@pytest.mark.parametrize("bad", [["register"], {"registration": ["register"]},
                                 {"registration": {"en": "register"}}])
def test_malformed_table_is_refused(bad):
    with pytest.raises(ValueError):
        check_table(bad)
