"""The caller survey in config/ivr.yaml: `survey: true` per queue, its prompts in every language
saying the ends of the scale, each mistake refused at boot with the file, the path and the fix."""

from __future__ import annotations

from config.flow import load_flow
from tests.config.test_flow_config import SHIPPED, broken, error_of


def test_the_shipped_flow_asks_after_employer_calls_only_and_says_the_scale_in_each_language():
    flow = load_flow(SHIPPED)
    assert {name: q.survey for name, q in flow.queues.items()} == {
        "general": False, "benefits": False, "employers": True}
    for lang in ("en", "es", "fr", "ko"):
        said = flow.fill(flow.prompts["survey_question"][lang], lang, lowest="1", highest="5")
        assert "1" in said and "5" in said and "{" not in said


def test_survey_must_be_true_or_false(tmp_path):
    path = broken(tmp_path, lambda raw: raw["queues"]["general"].update(survey="yes"))
    assert error_of(path) == f"{path}: queues.general.survey: 'yes' is not of type 'boolean'"


def test_a_survey_queue_without_the_question_is_refused_naming_the_fix(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"].pop("survey_question"))
    message = error_of(path)
    assert ("ivr.yaml: prompts.survey_question: missing; queues.employers.survey asks callers a "
            "question") in message
    assert "add survey_question in every language (or set survey: false)" in message


def test_the_question_is_needed_in_every_language(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"]["survey_thanks"].pop("fr"))
    assert "prompts.survey_thanks: no text for language 'fr'; add 'fr: ...'" in error_of(path)


def test_a_question_that_does_not_say_the_scale_is_refused(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"]["survey_question"].update(
        es="¿Le hemos ayudado? Pulse {lowest} a cinco."))
    assert ("prompts.survey_question.es: does not say the key of 'highest'; write {highest} where "
            "the highest score's key is said") in error_of(path)


def test_an_unknown_placeholder_in_the_survey_is_refused(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"]["survey_invalid"].update(
        en="Press {lowest} to {highest}, or {callback}."))
    assert "prompts.survey_invalid.en: {callback} is not a survey placeholder (known: lowest, highest)" in (
        error_of(path))


def test_a_flow_without_survey_queues_needs_no_survey_prompts(tmp_path):
    def no_survey(raw):
        raw["queues"]["employers"].pop("survey")
        for name in ("survey_question", "survey_invalid", "survey_thanks"):
            raw["prompts"].pop(name)
    flow = load_flow(broken(tmp_path, no_survey))
    assert not any(q.survey for q in flow.queues.values())
