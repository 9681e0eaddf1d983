"""A newcomer's first ten minutes: every command README.md shows works as written on a fresh
`make run` checkout (no activated virtualenv, nothing configured), and `serve`'s banner lists
the pages they will open, each at its real address."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from callcenter.accounts.users import create_user
from config.settings import ROOT
from db import session as db
from tests.support.desk import PASSWORD, sign_in

README = (ROOT / "README.md").read_text()
SH_BLOCKS = re.findall(r"^```sh\n(.*?)^```", README, flags=re.S | re.M)
# Commands as a reader copies them: the lines of the sh blocks and the inline code spans.
COMMANDS = [line.split("  #")[0].strip() for block in SH_BLOCKS for line in block.splitlines()
            if line.strip()] + re.findall(r"`([^`\n]+)`", README)
MAKE_LINES = sorted({c for c in COMMANDS if c.startswith("make ") and "<" not in c})  # not `make <command>`


def dry_run(make_line: str) -> str:
    """The run.py command line a `make ...` line runs, from make's dry run (nothing is executed)."""
    done = subprocess.run(["make", "-n", *shlex.split(make_line)[1:]], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"{make_line}: {done.stderr}"
    runs = [line for line in done.stdout.splitlines() if " run.py " in line]
    assert runs, f"{make_line} runs no run.py command: {done.stdout}"
    return runs[-1]


def test_the_readme_shows_commands_and_none_needs_an_activated_virtualenv():
    assert len(MAKE_LINES) >= 8
    bare = [c for c in COMMANDS if re.match(r"(python3?|flask|pip|pytest|gunicorn) ", c)]
    assert bare == []  # `python run.py ...` fails in a fresh shell: no venv, and production by default


@pytest.mark.parametrize("make_line", [line for line in MAKE_LINES if line.split()[1] not in {"test"}])
def test_each_make_command_in_the_readme_is_a_target_running_a_real_command(make_line):
    argv = shlex.split(dry_run(make_line))
    assert argv[0] == "JOBLINE_ENV=${JOBLINE_ENV:-development}"  # as `make run`: local defaults
    command = argv[argv.index("run.py") + 1:]
    helped = subprocess.run([sys.executable, "run.py", *command, "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "JOBLINE_ENV": "development"})
    assert helped.returncode == 0, helped.stderr  # a command (and subcommand) run.py has
    options = [word.split("=")[0] for word in command if word.startswith("--")]
    assert [o for o in options if o not in helped.stdout] == []  # every option shown exists


def test_make_init_db_works_on_a_fresh_checkout_with_nothing_configured(tmp_path):
    line = dry_run("make init-db").replace(".venv/bin/python", sys.executable)
    env = {k: v for k, v in os.environ.items()
           if k not in {"JOBLINE_ENV", "DATABASE_URL", "REDIS_URL", "TWILIO_AUTH_TOKEN", "SECRET_KEY", "CI"}}
    env["JOBLINE_INSTANCE"] = str(tmp_path)
    done = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "database is at the latest schema" in done.stdout
    assert (tmp_path / "jobline.db").exists()


def banner_pages(app, capsys) -> dict[str, str]:
    from run import _print_banner

    with app.app_context():
        _print_banner(5000, "https://helpline.example", True)
    lines = re.findall(r"^  ([A-Z][\w ]+):\s+http://localhost:5000(/\S*)$", capsys.readouterr().out, re.M)
    return dict(lines)


def test_the_banner_lists_each_page_at_the_address_that_opens_it(make_app, capsys):
    app = make_app(DEMO_PHONE=True)
    pages = banner_pages(app, capsys)
    assert {"Desk": "/desk", "Web phone": "/phone", "Wallboard": "/wallboard", "Reports": "/reports",
            "Flow map": "/flow", "Health": "/healthz"}.items() <= pages.items()
    with db.SessionLocal() as s:
        for role in ("supervisor", "admin"):
            create_user(s, role + "1", f"Test {role.title()}", role, PASSWORD)
        s.commit()
    login = app.test_client().get(pages.pop("Sign in"), follow_redirects=True)
    assert login.request.path == "/login" and 'name="password"' in login.get_data(as_text=True)
    clients = [app.test_client() for _ in range(2)]
    for client, username in zip(clients, ("supervisor1", "admin1"), strict=True):
        assert sign_in(client, username).status_code == 302
    for label, path in pages.items():
        statuses = [client.get(path).status_code for client in clients]
        assert 200 in statuses, f"{label} ({path}): {statuses}"


def test_the_banner_leaves_out_the_web_phone_when_it_is_off(make_app, capsys):
    pages = banner_pages(make_app(DEMO_PHONE=False), capsys)
    assert "Web phone" not in pages and pages["Desk"] == "/desk"
