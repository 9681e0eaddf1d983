"""Spoken numbers to digit strings, in English, Spanish, French and Korean.

Callers read ID numbers digit by digit, in groups ("nineteen eighty four"), with "oh" for zero,
"double five", or as compound numbers ("quatre-vingt-dix", "veintiuno", "이십삼"). Groups are
concatenated: "twenty one fifty" -> "2150". Words that are not numbers end a group, so
"twenty, uh, five" -> "205", never "25".

Recognizers also hear homophones of digits ("to", "for", "ate" in English). Those count as digits
only next to a real number word, so "I want to register" has no digits but "five to six" is "526".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from speech.number_words import (
    DIGITS,
    ES_HUNDREDS,
    ES_TWENTIES,
    EXTRA_DIGITS,
    HOMOPHONES,
    HUNDRED,
    KO_ENDINGS,
    KO_MULT,
    KO_NATIVE,
    KO_SINO,
    LINK,
    REPEAT,
    TEENS,
    TENS,
    THOUSAND,
)

LANGUAGES = ("en", "es", "fr", "ko")

@dataclass
class _Tok:
    kind: str  # digit teen tens hundred hundreds thousand raw repeat link homophone other
    value: int = 0
    text: str = ""


def _fold(text: str, lang: str) -> list[str]:
    text = text.lower()
    if lang != "ko":  # NFKD would split Hangul syllables into jamo
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return re.findall(r"[0-9]+|[^\W\d_]+", text)


def _lexicon(lang: str) -> dict[str, _Tok]:
    lex: dict[str, _Tok] = {}
    for value, word in enumerate(DIGITS[lang]):
        lex[word] = _Tok("digit", value)
    for word, value in EXTRA_DIGITS[lang].items():
        lex[word] = _Tok("digit", value)
    for i, word in enumerate(TEENS[lang]):
        lex[word] = _Tok("teen", 10 + i)
    for i, word in enumerate(TENS[lang]):
        lex[word] = _Tok("tens", 20 + 10 * i)
    if lang == "es":
        for i, word in enumerate(ES_TWENTIES[1:], start=21):
            lex[word] = _Tok("teen", i)
        lex.update({w: _Tok("hundreds", v) for w, v in ES_HUNDREDS.items()})
    if lang == "fr":
        lex["vingts"] = _Tok("tens", 20)
        lex["octante"] = _Tok("tens", 80)
    lex.update({w: _Tok("hundred", 100) for w in HUNDRED[lang]})
    lex.update({w: _Tok("thousand", 1000) for w in THOUSAND[lang]})
    lex.update({w: _Tok("repeat", n) for w, n in REPEAT[lang].items()})
    lex.update({w: _Tok("link") for w in LINK[lang]})
    for word, value in HOMOPHONES[lang].items():
        lex.setdefault(word, _Tok("homophone", value))
    return lex


_LEXICONS = {lang: _lexicon(lang) for lang in ("en", "es", "fr")}


def _ko_tokens(word: str) -> list[_Tok]:
    if word in KO_NATIVE:
        value = KO_NATIVE[word]
        return [_Tok("teen" if value == 10 else "digit", value)]
    for ending in KO_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):
            stem = word[: -len(ending)]
            if all(c in KO_SINO or c in KO_MULT for c in stem):
                word = stem
                break
    if not all(c in KO_SINO or c in KO_MULT for c in word):
        return [_Tok("other")]
    toks: list[_Tok] = []
    for c in word:
        if c == "십":  # sino-Korean tens: 이십 = 20, 십오 = 15
            if toks and toks[-1].kind == "digit" and toks[-1].value >= 2:
                toks[-1] = _Tok("tens", toks[-1].value * 10)
            else:
                toks.append(_Tok("tens", 10))
        elif c in KO_MULT:
            toks.append(_Tok("hundred" if c == "백" else "thousand", KO_MULT[c]))
        else:
            toks.append(_Tok("digit", KO_SINO[c]))
    return toks


def _tokens(text: str, lang: str) -> list[_Tok]:
    words = _fold(text, lang)
    if lang == "ko":
        return [t for w in words for t in (_ko_tokens(w) if not w.isdigit() else [_Tok("raw", 0, w)])]
    lex = _LEXICONS[lang]
    toks: list[_Tok] = []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        tok = _Tok("raw", 0, w) if w.isdigit() else lex.get(w, _Tok("other"))
        if lang == "en" and w in ("a", "an") and nxt in ("hundred", "thousand"):
            tok = _Tok("digit", 1)
        if lang == "fr" and toks and toks[-1].kind == "digit" and toks[-1].value == 4 \
                and w in ("vingt", "vingts"):
            toks[-1] = _Tok("tens", 80)  # quatre-vingt(s)
            continue
        if lang == "fr" and toks and toks[-1].kind == "teen" and toks[-1].value == 10 \
                and tok.kind == "digit" and tok.value >= 7:
            toks[-1] = _Tok("teen", 10 + tok.value)  # dix-sept, dix-huit, dix-neuf
            continue
        toks.append(tok)
    return _resolve_homophones(toks)


def _resolve_homophones(toks: list[_Tok]) -> list[_Tok]:
    definite = {"digit", "teen", "tens", "hundred", "hundreds", "thousand", "raw", "repeat"}
    changed = True
    while changed:
        changed = False
        for i, tok in enumerate(toks):
            if tok.kind != "homophone":
                continue
            neighbours = toks[max(i - 1, 0) : i] + toks[i + 1 : i + 2]
            if any(n.kind in definite for n in neighbours):
                v = tok.value
                kind = "digit" if v < 10 else "teen" if v < 20 else "tens" if v < 100 else "hundred"
                toks[i] = _Tok(kind, v)
                changed = True
    return toks


class _Groups:
    """Accumulates compound numbers ("one hundred and five") and concatenates the groups."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.out: list[str] = []
        self.open = False
        self.total = 0
        self.current = 0
        self.last = ""

    def close(self) -> None:
        if self.open:
            self.out.append(str(self.total + self.current))
        self.open, self.total, self.current, self.last = False, 0, 0, ""

    def start(self, value: int, kind: str) -> None:
        self.close()
        self.open, self.current, self.last = True, value, kind

    def add(self, tok: _Tok) -> None:
        after_mult = self.open and self.last in ("hundred", "thousand")
        if tok.kind == "digit":
            if (self.last == "tens" and tok.value) or (after_mult and self.current % 100 == 0):
                self.current += tok.value
                self.last = "digit"
            else:
                self.start(tok.value, "digit")
        elif tok.kind == "teen":
            # soixante-dix (70), quatre-vingt-dix-neuf (99)
            after_fr_tens = self.lang == "fr" and self.last == "tens" and self.current % 100 in (
                60, 80)
            if (after_mult and self.current % 100 == 0) or after_fr_tens:
                self.current += tok.value
                self.last = "teen"
            else:
                self.start(tok.value, "teen")
        elif tok.kind == "tens":
            if after_mult and self.current % 100 == 0:
                self.current += tok.value
                self.last = "tens"
            else:
                self.start(tok.value, "tens")
        elif tok.kind == "hundred":
            if self.open and self.last in ("digit", "teen") and 0 < self.current < 20:
                self.current *= 100
                self.last = "hundred"
            else:
                self.start(100, "hundred")
        elif tok.kind == "hundreds":
            if self.open and self.last == "thousand" and self.current == 0:
                self.current = tok.value
                self.last = "hundred"
            else:
                self.start(tok.value, "hundred")
        elif tok.kind == "thousand":
            if self.open and self.last != "thousand" and 0 < self.current < 1000:
                self.total, self.current, self.last = self.current * 1000, 0, "thousand"
            else:
                self.start(0, "thousand")
                self.total = 1000


def spoken_digits(text: str, lang: str) -> str:
    """The digits spoken in `text`: "five five double oh nineteen" -> "550019".

    Returns "" when no number was spoken.

    Raises ValueError for a language this module does not know.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"no spoken-number rules for language {lang!r}; use one of {LANGUAGES}")
    groups = _Groups(lang)
    repeat = 0
    for tok in _tokens(text, lang):
        if tok.kind == "link":
            continue  # "twenty and one", "treinta y dos", "vingt et un" keep the group open
        if tok.kind == "repeat":
            groups.close()
            repeat = tok.value
            continue
        if repeat and tok.kind in ("digit", "raw"):
            groups.close()
            groups.out.append((tok.text or str(tok.value)) * repeat)
            repeat = 0
            continue
        repeat = 0
        if tok.kind == "raw":
            groups.close()
            groups.out.append(tok.text)
        elif tok.kind in ("other", "homophone"):
            groups.close()
        else:
            groups.add(tok)
    groups.close()
    return "".join(groups.out)


# The recognizers' vocabularies are accented; the lexicon above is folded.
_ACCENTED = {"zero_fr": "zéro", "dieciseis": "dieciséis", "veintidos": "veintidós",
             "veintitres": "veintitrés", "veintiseis": "veintiséis"}


def digit_grammar(lang: str) -> list[str]:
    """The phrases for Vosk grammar mode when a caller speaks digits, "[unk]" for anything else
    (where the language's model knows "[unk]").

    Raises ValueError for a language this module does not know.
    """
    if lang == "ko":
        # no "[unk]": the Korean model's vocabulary lacks it (Vosk warns on every job)
        return [w for w in KO_SINO if w not in ("빵", "륙")] + ["십"]
    if lang not in DIGITS:
        raise ValueError(f"no digit grammar for language {lang!r}; use one of {LANGUAGES}")
    words = [*DIGITS[lang], *TEENS[lang], *TENS[lang], *REPEAT[lang]]
    if lang == "en":
        words.append("oh")
    if lang == "es":
        words += ES_TWENTIES[1:]
    if lang == "fr":
        words[0] = "zero_fr"
    return [_ACCENTED.get(w, w) for w in dict.fromkeys(words)] + ["[unk]"]
