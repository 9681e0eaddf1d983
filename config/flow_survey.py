"""The question after the call (issue 19): `survey: true` on a queue of config/ivr.yaml, and the
prompts it speaks.

After an adviser conversation in such a queue, a caller still on the line hears
`prompts.survey_question` ("how well did we help you today?") and answers with one key of the
scale, 1 (lowest) to 5 (highest); a wrong key hears `prompts.survey_invalid` once, then
`prompts.survey_thanks` ends the call. The question and the re-ask say the ends of the scale as
placeholders, `{lowest}` and `{highest}`, filled with the keys' spoken names as answer_keys are
(config/flow_keys.py), so what the caller is told and what the code accepts are one list.
"""

from __future__ import annotations

from typing import Any

from config.flow_keys import placeholders
from config.settings import ConfigError

SCALE = ("1", "2", "3", "4", "5")  # the keys a caller answers with, lowest score first
SURVEY_PROMPTS: dict[str, tuple[str, ...]] = {  # prompt -> the placeholders each language must say
    "survey_question": ("lowest", "highest"),
    "survey_invalid": ("lowest", "highest"),
    "survey_thanks": (),
}


def scale_words(fill: dict[str, str]) -> dict[str, str]:
    """The placeholders of the survey prompts, from a language's key names (a digit is itself)."""
    return {"lowest": fill.get(SCALE[0], SCALE[0]), "highest": fill.get(SCALE[-1], SCALE[-1])}


def check_survey(raw: dict[str, Any], codes: list[str]) -> None:
    """When any queue has `survey: true`, every survey prompt is there in every language and says
    the ends of the scale; ConfigError names the path and the fix."""
    asking = [name for name, q in raw["queues"].items() if q.get("survey")]
    if not asking:
        return
    prompts = raw["prompts"]
    for pname, needed in SURVEY_PROMPTS.items():
        if pname not in prompts:
            raise ConfigError(f"prompts.{pname}: missing; queues.{asking[0]}.survey asks callers a question "
                              f"after the call, so add {pname} in every language (or set survey: false)")
        for code in codes:
            text = prompts[pname].get(code)
            if text is None:
                raise ConfigError(f"prompts.{pname}.{code}: missing; the survey is asked in every "
                                  f"language of the queue: add the {code} text")
            said = placeholders(text, f"prompts.{pname}.{code}")
            missing = [name for name in needed if name not in said]
            if missing:
                raise ConfigError(f"prompts.{pname}.{code}: does not say the key of {missing[0]!r}; "
                                  f"write {{{missing[0]}}} where the {missing[0]} score's key is said")
            unknown = sorted(said - {"lowest", "highest"})
            if unknown:
                raise ConfigError(f"prompts.{pname}.{code}: {{{unknown[0]}}} is not a survey placeholder "
                                  "(known: lowest, highest)")
