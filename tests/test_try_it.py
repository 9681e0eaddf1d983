"""The README's "Try it without a phone line" section, walked as a newcomer walks it, in Chromium.

`run.py serve` (what `make run` runs) on a fresh instance folder: the banner's addresses and
the first admin's one-time password, the Users page, the desk in one browser, the web phone in
another; a caller answered on the desk, a second caller booking a callback that rings the web
phone, and the wallboard, reports and flow map showing both calls. Each step does
what the README says, with what the page shows."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from config.settings import ROOT
from tests.support.browser import ARGS, CHROMIUM, SHOTS
from tests.test_serve import free_port, start_serve, wait_healthy

pytestmark = pytest.mark.browser

PASSWORD = "a-newcomer's-own-password"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


class Serve:
    """`run.py serve` with its output read as it comes (the banner, then the log)."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.proc = start_serve(tmp_path, self.port, env)
        self.lines: list[str] = []
        self.banner = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C to stop."):
                self.banner.set()

    def address_of(self, label: str) -> str:
        """The address the banner prints for a page, e.g. 'Web phone'."""
        for line in self.lines:
            match = re.match(rf"\s+{re.escape(label)}:\s+(http://\S+)$", line)
            if match:
                return match.group(1)
        raise AssertionError(f"the banner names no {label!r}: {self.lines}")

    def admin_password(self) -> str:
        at = self.lines.index("  First sign-in: username 'admin', one-time password:")
        return self.lines[at + 1].strip()


@pytest.fixture
def helpdesk(tmp_path) -> Iterator[Serve]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    # The README's way to try the queue outside the opening hours: a copy of the flow open all day.
    flow = yaml.safe_load((ROOT / "config" / "ivr.yaml").read_text())
    flow["hours"]["weekly"] = dict.fromkeys(flow["hours"]["weekly"], "00:00-23:59")
    flow["hours"]["holidays"] = []
    copy = tmp_path / "ivr-open.yaml"
    copy.write_text(yaml.safe_dump(flow, allow_unicode=True))
    (tmp_path / "audio").symlink_to(ROOT / "config" / "audio")  # its recorded prompts, beside it
    serve = Serve(tmp_path, {"JOBLINE_IVR_FILE": str(copy)})
    try:
        wait_healthy(serve.proc, serve.port)
        assert serve.banner.wait(60), "serve printed no banner"
        yield serve
    finally:
        serve.proc.terminate()
        try:
            serve.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.proc.kill()


def first_sign_in(page, address: str, username: str, one_time: str) -> None:
    """Sign in with a one-time password and choose one's own, as the page asks."""
    page.goto(address)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", one_time)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Choose your own to continue")
    page.get_by_label("Current password").fill(one_time)
    page.get_by_label("New password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_role("button", name="Save password").click()
    page.wait_for_function("() => !document.body.innerText.includes('Choose your own to continue')")


def hears(phone, text: str, timeout: float = 30_000) -> None:
    phone.wait_for_function("t => document.getElementById('heard').innerText.includes(t)", arg=text,
                            timeout=timeout)


def status_is(phone, pattern: str, timeout: float = 30_000) -> None:
    try:
        phone.wait_for_function("p => new RegExp(p).test(document.getElementById('status').innerText)",
                                arg=pattern, timeout=timeout)
    except Exception:
        print("The web phone says:", phone.inner_text("#status"), "| ringing:", phone.is_visible("#ring"))
        print("It heard:", phone.inner_text("#heard")[-800:])
        phone.screenshot(path=str(SHOTS / "try-it-failed.png"))
        raise


def call_to_the_queue(phone, first: bool = True) -> None:
    """Press Call, choose English (the helpline remembers it next time), ask for an adviser (0)."""
    phone.click("#call")
    if first:
        hears(phone, "For English, press 1.")
        phone.click('.key[data-key="1"]')
    hears(phone, "Main menu.")
    phone.click('.key[data-key="0"]')
    status_is(phone, "^On hold")


def test_the_readme_try_it_section_walks_end_to_end(helpdesk):
    from playwright.sync_api import expect, sync_playwright

    steps = readme_section("Try it without a phone line: the web phone")
    assert "make run" in steps and "**Users**" in steps and "**Desk**" in steps and "**Web phone**" in steps

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # 1. Open the printed address and sign in as admin with the one-time password.
        admin = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        first_sign_in(admin, helpdesk.address_of("Sign in"), "admin", helpdesk.admin_password())

        # 2. Under Users, create an adviser with the queues and languages to test.
        admin.goto(helpdesk.address_of("Users"))
        admin.fill("input[name=name]", "Ana Adviser")
        admin.fill("input[name=username]", "ana")
        admin.select_option("select[name=role]", "agent")
        admin.check("input[name=queues][value=general]")
        admin.check("input[name=languages][value=en]")
        admin.click("text=Create with a one-time password")
        ana_one_time = admin.inner_text(".otp-value").strip()

        # 3. Open Desk in one window and set yourself Available.
        desk = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        first_sign_in(desk, helpdesk.address_of("Sign in"), "ana", ana_one_time)
        desk.goto(helpdesk.address_of("Desk"))
        desk.click("button.status[data-status=available]")
        desk.wait_for_selector("button.status[data-status=available][aria-pressed=true]")

        # 4. Open Web phone in another window and press Call; keys walk the menus.
        admin.goto(helpdesk.address_of("Web phone"))
        admin.uncheck("#speak")  # headless Chromium has no voices; the words are on screen too
        call_to_the_queue(admin)

        # 5. The caller appears on the desk; Answer, and the web phone is connected.
        desk.wait_for_selector("#rows tr")
        desk.keyboard.press("a")
        desk.wait_for_selector(".oncall")
        status_is(admin, "^Connected to an adviser")
        admin.screenshot(path=str(SHOTS / "try-it-connected.png"))
        desk.screenshot(path=str(SHOTS / "try-it-desk.png"))

        # The adviser notes the call, chooses a disposition and presses Done: asked first, as the
        # caller is still on the line, the desk hangs up and the web phone hears the call end.
        desk.fill("#notes", "Asked how to register; sent the link.")
        desk.click(".dispositions button:has-text('Registered or updated registration')")
        desk.click("#done")
        desk.click("#hang-up-confirm")
        desk.wait_for_selector("text=Saved. You are available.")
        status_is(admin, "^The adviser ended the call")

        # 6. Callbacks: on a break, call again, 0, then 1 in the hold loop and 1 to keep the number.
        desk.click("button.status[data-status=break]")
        desk.wait_for_selector("button.status[data-status=break][aria-pressed=true]")
        call_to_the_queue(admin, first=False)
        status_is(admin, "^On hold — press 1 for a callback")
        admin.keyboard.press("1")
        status_is(admin, "^Listening for your keys")
        admin.keyboard.press("1")
        status_is(admin, "^The helpline ended the call")
        # Available: the worker dials the callback; the desk says the phone rings, and it does.
        desk.click("button.status[data-status=available]")
        desk.wait_for_selector("button.status[data-status=available][aria-pressed=true]")
        expect(desk.locator(".oncall")).to_contain_text("their phone is ringing", timeout=90_000)
        ring = admin.locator("#ring")
        expect(ring).to_contain_text("Jobline is calling you back", timeout=30_000)
        admin.screenshot(path=str(SHOTS / "try-it-ringing.png"))
        admin.get_by_role("button", name="Answer").click()
        status_is(admin, "^Listening for your keys")
        admin.keyboard.press("1")  # through to the adviser now
        status_is(admin, "^Connected to an adviser")
        expect(desk.locator(".oncall")).to_contain_text("On a callback", timeout=30_000)
        desk.fill("#notes", "Called back about a payment date.")
        desk.click(".dispositions button:has-text('Helped with a benefit claim')")
        desk.click("#done")
        desk.click("#hang-up-confirm")
        expect(desk.locator("#toast")).to_contain_text("Saved", timeout=30_000)
        status_is(admin, "^The adviser ended the call")

        # 7. Wallboard and Reports show the calls; Flow map draws the flow file.
        admin.goto(helpdesk.address_of("Wallboard"))
        admin.wait_for_selector("text=General enquiries")
        admin.screenshot(path=str(SHOTS / "try-it-wallboard.png"))
        admin.goto(helpdesk.address_of("Reports"))
        admin.wait_for_selector("table")
        assert "General enquiries" in admin.inner_text("main")
        admin.screenshot(path=str(SHOTS / "try-it-reports.png"))
        admin.goto(helpdesk.address_of("Flow map"))
        admin.wait_for_selector('#flowmap g.node[data-node="main"]')
        main_box = " ".join(admin.locator('#flowmap g.node[data-node="main"] text').all_text_contents())
        assert "Main menu." in main_box and "2 reached" in admin.inner_text("main")
        browser.close()
