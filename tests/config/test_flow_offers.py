"""The flow file's offered-call settings (issue 16): a queue's `mode` and `offer_timeout_s`, the
floor's `offers.misses_before_away`; a mistake stops the boot naming the file, the path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.flow import load_flow
from config.settings import ConfigError
from tests.support.offers import SHIPPED, offer_flow


def edited(tmp_path: Path, edit) -> Path:
    path = offer_flow(tmp_path, queues=("general",), timeout_s=15, misses_before_away=3)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_queues_take_callers_from_the_list_unless_they_say_offer(tmp_path):
    shipped = load_flow(SHIPPED)
    assert {q.mode for q in shipped.queues.values()} == {"pull"}
    assert shipped.offers.misses_before_away == 2
    flow = load_flow(offer_flow(tmp_path, queues=("general",), timeout_s=15, misses_before_away=3))
    assert (flow.queues["general"].mode, flow.queues["general"].offer_timeout_s) == ("offer", 15)
    assert flow.queues["benefits"].mode == "pull" and flow.offers.misses_before_away == 3


@pytest.mark.parametrize(("edit", "says"), [
    (lambda raw: raw["queues"]["general"].update(mode="ring"),
     "queues.general.mode: 'ring' is not one of ['pull', 'offer']"),
    (lambda raw: raw["queues"]["general"].update(offer_timeout_s=2),
     "queues.general.offer_timeout_s: 2 is less than the minimum of 5"),
    (lambda raw: raw["queues"]["benefits"].update(offer_timeout_s=30),
     "queues.benefits.offer_timeout_s: only an offer-mode queue rings advisers; add 'mode: offer' "
     "to queues.benefits or remove offer_timeout_s"),
    (lambda raw: raw["offers"].update(misses_before_away=0),
     "offers.misses_before_away: 0 is less than the minimum of 1"),
    (lambda raw: raw["offers"].update(misses=2), "offers: Additional properties are not allowed"),
])
def test_a_mistake_names_the_file_the_path_and_the_fix(tmp_path, edit, says):
    path = edited(tmp_path, edit)
    with pytest.raises(ConfigError) as e:
        load_flow(path)
    assert str(path) in str(e.value) or "ivr.yaml" in str(e.value)
    assert says in str(e.value)
