"""A broken config/ivr.yaml stops the boot with the file, the path in it and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.flow import load_flow
from config.settings import ROOT, ConfigError

SHIPPED = ROOT / "config" / "ivr.yaml"


def broken(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "ivr.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with_recordings(tmp_path)
    return path


def with_recordings(folder: Path) -> None:
    """The shipped recorded prompts beside a copy of the flow (config/audio/ -> folder/audio/)."""
    if not (folder / "audio").exists():
        (folder / "audio").symlink_to(ROOT / "config" / "audio")


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_flow(path)
    return str(info.value)


def test_the_shipped_flow_is_valid_and_complete():
    flow = load_flow(SHIPPED)
    assert [lang.code for lang in flow.languages] == ["en", "es", "fr", "ko", "sw"]
    assert [lang.code for lang in flow.languages if lang.recorded_only] == ["sw"]
    assert {"register", "benefits", "vacancies", "employers", "offices", "adviser"} <= set(flow.nodes)
    assert flow.nodes["main"].options["1"].next == "register"


def test_unknown_action_is_named_with_a_suggestion(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["register"].update(action="sya"))
    message = error_of(path)
    assert str(path) in message or "ivr.yaml" in message
    assert "nodes.register.action: unknown action 'sya'" in message and "did you mean 'say'" in message


def test_missing_prompt_for_a_configured_language(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["vacancies"]["text"].pop("fr"))
    assert "nodes.vacancies.text: no text for language 'fr'" in error_of(path)


def test_option_pointing_to_a_missing_menu(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["main"]["options"]["2"].update(next="benfits"))
    message = error_of(path)
    assert "nodes.main.options.2.next: 'benfits' is not a node" in message
    assert "did you mean 'benefits'" in message


def test_duplicate_keys_are_refused_with_their_lines(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "  register:\n    action: say\n", "  register:\n    action: say\n    action: menu\n", 1)
    path = tmp_path / "ivr.yaml"
    path.write_text(text, encoding="utf-8")
    message = error_of(path)
    assert "key 'action' appears twice in the same mapping" in message and "line " in message


def test_a_menu_key_reserved_for_every_menu_is_refused(tmp_path):
    def edit(raw):
        raw["nodes"]["main"]["options"]["9"] = raw["nodes"]["main"]["options"].pop("5")
    assert "nodes.main.options.9: key '9' is reserved for 'repeat'" in error_of(broken(tmp_path, edit))


def test_bad_hours_and_time_zone(tmp_path):
    path = broken(tmp_path, lambda raw: raw["hours"].update(timezone="Europe/Atlantis"))
    assert "hours.timezone: 'Europe/Atlantis' is not a known time zone" in error_of(path)
    path = broken(tmp_path, lambda raw: raw["hours"]["weekly"].update(mon="18:00-08:00"))
    assert "hours.weekly.mon: '18:00-08:00' ends before it starts" in error_of(path)


def test_queue_node_naming_an_unknown_queue(tmp_path):
    path = broken(tmp_path, lambda raw: raw["nodes"]["adviser"].update(queue="generel"))
    assert "nodes.adviser.queue: 'generel' is not a queue" in error_of(path)


def test_the_app_refuses_to_boot_on_a_broken_flow(tmp_path, make_app):
    path = broken(tmp_path, lambda raw: raw["nodes"]["main"].pop("options"))
    with pytest.raises(ConfigError, match="nodes.main: 'options' is a required property"):
        make_app(IVR_FILE=path)


def test_a_queue_larger_than_twilio_allows_is_refused_at_boot(tmp_path, make_app):
    path = broken(tmp_path, lambda raw: raw["queues"]["general"].update(max_size=5001))
    with pytest.raises(ConfigError) as info:
        make_app(IVR_FILE=path)
    message = str(info.value)
    assert message.startswith(f"{path}: queues.general.max_size: 5001 is more callers than a Twilio queue")
    assert "lower it to 5000 or less" in message
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["queues"]["general"]["max_size"] = 5000  # Twilio's own maximum is still accepted
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with_recordings(tmp_path)
    assert load_flow(tmp_path / "ok.yaml").queues["general"].max_size == 5000


def test_a_queue_prompt_missing_a_language_is_refused(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"]["queue_joined"].pop("ko"))
    assert "prompts.queue_joined: no text for language 'ko'; add 'ko: ...'" in error_of(path)
    path = broken(tmp_path, lambda raw: raw["prompts"].pop("callback_greeting"))
    assert "prompts.callback_greeting: missing (the engine speaks it" in error_of(path)


def test_the_queue_and_callback_prompts_are_worded_by_the_flow_file(tmp_path):
    from ivr.queue import prompts as qp
    from ivr.telephony.twiml import Speaker

    reworded = "Merci, vous êtes le numéro {position}."
    flow = load_flow(broken(tmp_path, lambda raw: raw["prompts"]["queue_position"].update(fr=reworded)))
    assert qp.text(Speaker(flow, "fr"), "queue_position", position=3) == "Merci, vous êtes le numéro 3."
    assert qp.text(Speaker(flow, "es"), "queue_next") == "Es usted el siguiente."
    assert qp.worded(Speaker(flow, "de"), "queue_next") == ("en", "You are next in line.")


def test_a_changed_answer_key_changes_what_is_said_and_what_works(tmp_path, make_app):
    from ivr.telephony.simulator import FlaskTransport, Phone
    from tests.support.env import ACCOUNT, TOKEN

    path = broken(tmp_path, lambda raw: raw["answer_keys"].update(callback="4", message="7"))
    app = make_app(IVR_FILE=path)
    p = Phone(FlaskTransport(app.test_client()), TOKEN, caller="+447700900611", account=ACCOUNT)
    p.dial().press("1").press("0")  # English, then an adviser: none is logged in
    assert "No adviser for this service is available at the moment." in p.heard_since(-2)
    assert p.last_heard == "To be called back by an adviser, press 4. To leave a message, press 7."
    p.press("2")  # the shipped key for a message no longer is one
    assert p.heard_since(-2).startswith("Sorry, that is not one of the choices.")
    assert p.pending.tag == "Gather"
    p.press("7")
    assert p.pending.tag == "Record" and "Please leave your name" in p.last_heard
    assert load_flow(path).prompt("queue_offer", "ko") == (
        "상담원의 전화를 받으시려면 4번, 메시지를 남기시려면 7번을 누르세요.")


def test_the_skip_key_is_said_by_its_name_in_each_language_and_hash_is_refused(tmp_path):
    shipped = load_flow(SHIPPED)
    said = [shipped.prompt("record_skip_offer", lang) for lang in ("en", "es", "fr", "ko")]
    assert ["press star" in said[0], "pulse asterisco" in said[1], "appuyez sur étoile" in said[2],
            "별표를 누르세요" in said[3]] == [True] * 4
    flow = load_flow(broken(tmp_path, lambda raw: raw["answer_keys"].update(skip="5")))
    assert flow.answer_keys.skip == "5"
    assert flow.fill(flow.nodes["benefit_id"].prompt["en"], "en").endswith("If you do not have one, press 5.")
    path = broken(tmp_path, lambda raw: raw["answer_keys"].update(skip="#"))
    assert "answer_keys.skip: '#' ends a recording and a keyed-in number" in error_of(path)


def test_two_answers_on_one_key_in_one_prompt_are_refused_at_boot(tmp_path, make_app):
    path = broken(tmp_path, lambda raw: raw["answer_keys"].update(message="1"))
    with pytest.raises(ConfigError) as info:
        make_app(IVR_FILE=path)
    assert str(info.value) == (f"{path}: answer_keys.message: '1' is also the key of 'callback' "
                               "(answer_keys.callback), and prompts.queue_offer offers both; "
                               "give each its own key")
    path = broken(tmp_path, lambda raw: raw["answer_keys"].update(error_message="0"))
    assert error_of(path) == (f"{path}: answer_keys.error_message: '0' is also the key of 'adviser' "
                              "(keys.adviser), and prompts.error_offer offers both; give each its own key")


def test_a_prompt_that_does_not_say_the_key_it_offers_is_refused(tmp_path):
    path = broken(tmp_path, lambda raw: raw["prompts"]["queue_offer"].update(fr="Appuyez sur 1 ou sur 2."))
    assert error_of(path) == (f"{path}: prompts.queue_offer.fr: does not say the key of 'callback'; "
                              "write {callback} where the key is said")
    path = broken(tmp_path, lambda raw: raw["nodes"]["ask_name"]["prompt"].update(es="Pulse {skp}."))
    assert error_of(path).startswith(f"{path}: nodes.ask_name.prompt.es: {{skp}} is not a key (known: ")


def test_an_intent_label_is_optional_but_complete_when_given(tmp_path):
    assert load_flow(SHIPPED).intent_labels["benefits"]["es"] == "Prestaciones y pagos"
    path = broken(tmp_path, lambda raw: raw["intents"]["routes"]["employer"]["label"].pop("ko"))
    assert "intents.routes.employer.label: no text for language 'ko'; add 'ko: ...'" in error_of(path)
    path = broken(tmp_path, lambda raw: raw["intents"]["routes"]["employer"].pop("label"))
    assert "employer" not in load_flow(path).intent_labels  # the reports spell the code instead


def test_the_directory_takes_only_international_numbers_and_names_the_entry(tmp_path):
    path = broken(tmp_path, lambda raw: raw["directory"][0].update(number="020 7946 0018"))
    message = error_of(path)
    assert "directory.0.number: '020 7946 0018' is not a number in international (E.164) form" in message
    assert "ivr.yaml" in message


def test_a_directory_number_listed_twice_is_refused(tmp_path):
    path = broken(tmp_path, lambda raw: raw["directory"][1].update(number=raw["directory"][0]["number"]))
    assert "directory: number '+442079460018' is used twice" in error_of(path)
