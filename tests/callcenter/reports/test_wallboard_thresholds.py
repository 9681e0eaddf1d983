"""The wallboard's red thresholds come from config/ivr.yaml; a broken one stops the boot."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from config.flow import load_flow
from config.settings import ROOT, ConfigError
from tests.support.reports_script import NOW

SHIPPED = ROOT / "config" / "ivr.yaml"


def flow_file(tmp_path: Path, **wallboard: object) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["wallboard"].update(wallboard)
    path = tmp_path / "ivr.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    (tmp_path / "audio").symlink_to(ROOT / "config" / "audio")  # its recorded prompts, beside it
    return path


def test_the_shipped_thresholds_are_read():
    limits = load_flow(SHIPPED).wallboard
    assert (limits.service_level_goal, limits.abandon_limit, limits.waiting_limit) == (80, 5, 5)


@pytest.mark.parametrize(("field", "value", "says"), [
    ("abandon_limit", 150, "150 is greater than the maximum of 100"),
    ("service_level_goal", "high", "'high' is not of type 'number'"),
    ("waiting_limit", -1, "-1 is less than the minimum of 0"),
])
def test_a_broken_threshold_stops_the_boot_naming_file_and_field(tmp_path, field, value, says):
    with pytest.raises(ConfigError) as info:
        load_flow(flow_file(tmp_path, **{field: value}))
    assert str(info.value) == f"{tmp_path / 'ivr.yaml'}: wallboard.{field}: {says}"


def test_the_wallboard_turns_red_at_the_configured_thresholds(make_app, tmp_path, script):
    from callcenter.reports.wallboard import floor
    from db import session as db

    for waited in (90, 80, 70):  # three callers waiting in 'general'
        call = script.call(NOW - timedelta(seconds=waited + 40), None, nodes=("main", "adviser"))
        script.leg(call, "general", NOW - timedelta(seconds=waited), None, wait=0)
    script.done()
    strict = make_app(CLOCK=lambda: NOW, IVR_FILE=flow_file(tmp_path, waiting_limit=2))
    with db.SessionLocal() as s:
        board = floor(s, strict.extensions["jobline.flow"], NOW)
        general = next(q for q in board["queues"] if q["queue"] == "general")
        assert "waiting" in general["breach"] and board["thresholds"]["waiting_limit"] == 2
        relaxed = floor(s, load_flow(SHIPPED), NOW)
        assert "waiting" not in next(q for q in relaxed["queues"] if q["queue"] == "general")["breach"]
