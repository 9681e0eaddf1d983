"""Callers read ID numbers aloud in their own way; the digits come out the same."""

from __future__ import annotations

import pytest

from speech.numbers import LANGUAGES, digit_grammar, spoken_digits

CASES = [
    # English: digits, oh, double/triple, teens and tens, groups, homophones near numbers
    ("en", "one two three four", "1234"),
    ("en", "five five double oh nineteen", "550019"),
    ("en", "oh seven seven double four", "07744"),
    ("en", "triple seven", "777"),
    ("en", "nineteen eighty four", "1984"),
    ("en", "twenty one fifty", "2150"),
    ("en", "twenty one", "21"),
    ("en", "forty", "40"),
    ("en", "one hundred and five", "105"),
    ("en", "a hundred", "100"),
    ("en", "two thousand and five", "2005"),
    ("en", "five to six", "526"),  # "to" heard for "two"
    ("en", "four for five", "445"),
    ("en", "for to five", "425"),  # homophones next to homophones next to a number
    ("en", "eight ate one", "881"),
    ("en", "I want to register for benefits", ""),  # no number, no digits
    ("en", "twenty, uh, five", "205"),  # a pause word ends the group
    ("en", "it's 12 34 five", "12345"),
    ("en", "One-Two-Three", "123"),
    # Spanish
    ("es", "cero cero cinco", "005"),
    ("es", "veintiuno", "21"),
    ("es", "veintidós treinta y dos", "2232"),
    ("es", "dieciséis", "16"),
    ("es", "diecinueve ochenta y cuatro", "1984"),
    ("es", "doscientos treinta y uno", "231"),
    ("es", "ciento uno", "101"),
    ("es", "mil novecientos ochenta y cuatro", "1984"),
    ("es", "doble cinco uno", "551"),
    ("es", "cinco y seis", "56"),
    ("es", "quiero darme de alta", ""),
    # French
    ("fr", "zéro six douze", "0612"),
    ("fr", "dix-neuf", "19"),
    ("fr", "dix neuf", "19"),
    ("fr", "soixante-dix-sept", "77"),
    ("fr", "soixante et onze", "71"),
    ("fr", "quatre-vingts", "80"),
    ("fr", "quatre-vingt-dix", "90"),
    ("fr", "quatre vingt dix neuf", "99"),
    ("fr", "vingt et un", "21"),
    ("fr", "deux cents", "200"),
    ("fr", "mille neuf cent quatre-vingt-quatre", "1984"),
    ("fr", "septante nonante", "7090"),  # Belgian and Swiss tens
    ("fr", "cet huit", "78"),  # "cet" heard for "sept" next to a number
    ("fr", "je voudrais cette allocation", ""),
    # Korean: sino-Korean digits, 공/영 for zero, words run together, 십 compounds
    ("ko", "공 일 이 삼 사 오 육 칠 팔 구", "0123456789"),
    ("ko", "영 일 이", "012"),
    ("ko", "공일공 일이삼사", "0101234"),
    ("ko", "이십삼", "23"),
    ("ko", "십오", "15"),
    ("ko", "삼백", "300"),
    ("ko", "하나 둘 셋", "123"),
    ("ko", "일이삼이요", "123"),  # the polite ending is not a digit
    ("ko", "실업 급여 신청", ""),
]


@pytest.mark.parametrize(("lang", "said", "digits"), CASES)
def test_spoken_numbers_become_digits(lang, said, digits):
    assert spoken_digits(said, lang) == digits


def test_every_language_is_covered():
    assert {lang for lang, _, _ in CASES} == set(LANGUAGES)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="de"):
        spoken_digits("eins zwei", "de")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_word_of_the_digit_grammar_reads_back_as_digits(lang):
    grammar = digit_grammar(lang)
    assert (grammar[-1] == "[unk]") == (lang != "ko")  # the Korean model has no [unk]
    assert len(grammar) == len(set(grammar))
    one = {"en": "one", "es": "uno", "fr": "un", "ko": "일"}[lang]
    for word in [w for w in grammar if w != "[unk]"]:  # as the recognizer writes it
        assert len(spoken_digits(f"{word} {one}", lang)) >= 2, word
