"""`run.py check` (`make check`): before a deploy, one line per check and exit 1 with what to fix.
Run as an operator runs it, in a fresh process with the environment a deployment would have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.migrate import upgrade
from speech.registry import find_source

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("5" * 32, "6" * 32)  # how an auth token and a secret key look; none is printed


def production(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """A complete production environment; the Korean model stands in for the languages this
    machine cannot download a model for (TESTING.md, "Vosk")."""
    korean = str(find_source("ko").path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOSK_MODEL_", "TWILIO_", "JOBLINE_"))}
    env.update(JOBLINE_ENV="production", JOBLINE_INSTANCE=str(tmp_path), DATABASE_URL=database_url,
               REDIS_URL=redis_url, TWILIO_ACCOUNT_SID="AC" + "0123456789abcdef" * 2,
               TWILIO_AUTH_TOKEN=SECRETS[0], SECRET_KEY=SECRETS[1],
               PUBLIC_BASE_URL="https://helpline.pes.example", TWILIO_CALLER_ID="+441632960000",
               VOSK_MODEL_EN=korean, VOSK_MODEL_ES=korean, VOSK_MODEL_FR=korean, VOSK_MODEL_SW=korean)
    return env


def check(env: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "run.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stderr == "" or "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout.splitlines()


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database for the failure cases (the passing case runs on each backend)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('preflight') / 'jobline.db'}"
    upgrade(url)
    return url


def line_for(lines: list[str], name: str) -> str:
    return next(line for line in lines if line.split(":")[0].split()[-1] == name.split()[-1])


def test_a_complete_deployment_passes_every_check(database_url, redis_url, tmp_path):
    code, lines = check(production(database_url, redis_url, tmp_path))
    assert code == 0, "\n".join(lines)
    names = ["settings", "flow file", "database", "redis", "twilio", "speech models"]
    assert [line.split(":")[0] for line in lines[:-1]] == [f"ok    {name}" for name in names]
    assert lines[-1] == "Ready to deploy."
    assert all(secret not in "\n".join(lines) for secret in SECRETS)


@pytest.mark.parametrize("change, name, sentence", [
    ({"DATABASE_URL": "postgresql+psycopg://jobline@127.0.0.1:1/jobline"}, "database",
     "the database in DATABASE_URL does not answer (OperationalError)"),
    ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "redis", "Redis in REDIS_URL does not answer (ConnectionError)"),
    ({"TWILIO_AUTH_TOKEN": "not-a-token"}, "twilio", "TWILIO_AUTH_TOKEN must be 32 hex digits"),
    ({"PUBLIC_BASE_URL": ""}, "settings", "PUBLIC_BASE_URL is not set."),
    ({"VOSK_MODEL_FR": ""}, "speech models", "no Vosk model for fr: run `run.py models install fr`"),
])
def test_each_broken_part_fails_with_a_sentence_naming_it(sqlite_url, redis_url, tmp_path, change, name,
                                                           sentence):
    env = production(sqlite_url, redis_url, tmp_path)
    env.update(change)
    code, lines = check(env)
    assert code == 1
    assert line_for(lines, name).startswith(f"FAIL  {name}: {sentence}")
    assert lines[-1] == f"Fix {name} before deploying."
    assert "not-a-token" not in "\n".join(lines)


def test_a_broken_flow_file_is_named_with_its_fix(sqlite_url, redis_url, tmp_path):
    flow = tmp_path / "ivr.yaml"
    flow.write_text((ROOT / "config" / "ivr.yaml").read_text().replace("queues:", "queuez:", 1))
    env = production(sqlite_url, redis_url, tmp_path)
    env["JOBLINE_IVR_FILE"] = str(flow)
    code, lines = check(env)
    assert code == 1
    failed = line_for(lines, "flow file")
    assert failed.startswith("FAIL  flow file: ") and "ivr.yaml" in failed
    assert line_for(lines, "speech models") == ("FAIL  speech models: not checked: the flow file names "
                                                "the languages")


def test_a_database_behind_its_migrations_is_told_to_run_init_db(redis_url, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    code, lines = check(production(f"sqlite:///{empty}", redis_url, tmp_path))
    assert code == 1
    assert line_for(lines, "database") == ("FAIL  database: the database answers but is not at the latest "
                                           "schema: run `run.py init-db`")
