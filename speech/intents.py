"""What a caller wants, from the words of their spoken reason.

The intent table is data from config/ivr.yaml:

    {"registration": {"en": ["register", "sign up", "new jobseeker"], "es": [...], ...},
     "benefits": {...}, ...}

Each phrase scores how well its words appear in the transcript: every phrase word takes its
best match among the transcript's words (exact, a word that starts with it, e.g. "registered" or
Korean "등록하고" for "등록", or a close spelling by difflib, e.g. "benefit" for "benefits"), and
the phrase scores the mean. Words the recognizer split ("sign up" heard as "signup", "bene
fits") are matched against adjacent words joined. Case and accents are ignored. The intent of
the best phrase wins when it reaches the threshold.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

IntentTable = dict[str, dict[str, list[str]]]

# A spelling this close counts as the word misheard; below it, not at all, so that short
# unrelated words do not add up to a match.
_FUZZY_FLOOR = 0.75


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [unicodedata.normalize("NFC", w) for w in re.findall(r"[^\W_]+", text)]


def _word_score(word: str, candidates: list[str]) -> float:
    best = 0.0
    for cand in candidates:
        if cand == word:
            return 1.0
        if len(word) >= 2 and cand.startswith(word):
            best = max(best, 0.95)  # inflections and attached particles
            continue
        ratio = SequenceMatcher(None, word, cand).ratio()
        if ratio >= _FUZZY_FLOOR:
            best = max(best, ratio)
    return best


def phrase_score(phrase: str, text: str) -> float:
    """How well `phrase` appears in `text`, from 0 (not at all) to 1 (every word present)."""
    wanted = _words(phrase)
    heard = _words(text)
    if not wanted or not heard:
        return 0.0
    candidates = heard + [a + b for a, b in zip(heard, heard[1:], strict=False)]
    joined = "".join(wanted)
    whole = _word_score(joined, candidates) if len(wanted) > 1 else 0.0
    return max(whole, sum(_word_score(w, candidates) for w in wanted) / len(wanted))


def match_intent(
    text: str, table: IntentTable, lang: str, threshold: float = 0.8
) -> tuple[str | None, float]:
    """The intent whose phrases best match `text` in `lang`, with its score.

    Returns (None, best score) when nothing reaches `threshold`. A language missing from an
    intent falls back to that intent's phrases in every language, so a partly translated table
    still routes callers.
    """
    best_intent: str | None = None
    best = 0.0
    for intent, phrases_by_lang in table.items():
        phrases = phrases_by_lang.get(lang)
        if phrases is None:
            phrases = [p for ps in phrases_by_lang.values() for p in ps]
        for phrase in phrases:
            score = phrase_score(phrase, text)
            if score > best:
                best_intent, best = intent, score
    if best < threshold:
        return None, best
    return best_intent, best


def check_table(table: object) -> IntentTable:
    """Validate an intent table's shape; raises ValueError naming the bad entry."""
    if not isinstance(table, dict):
        raise ValueError("the intent table must map intent names to {language: [phrases]}")
    for intent, by_lang in table.items():
        if not isinstance(intent, str) or not isinstance(by_lang, dict):
            raise ValueError(f"intent {intent!r} must map language codes to lists of phrases")
        for lang, phrases in by_lang.items():
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise ValueError(f"intents.{intent}.{lang} must be a list of phrases (strings)")
    return table  # type: ignore[return-value]
