"""The deploy/ files run as an IT team installs them, on loopback: systemd units read for their
ExecStart line (the venv and instance filled in), the environment file filled in, nginx with the
site file rendered (ports and certificate paths only), a self-signed certificate, a Redis server
of the test's own, and a process kept running as systemd's Restart=always keeps it."""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.env import ROOT

DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/jobline"  # where the units expect the checkout (WorkingDirectory)
RESTART_SEC = float(re.search(r"^RestartSec=(\d+)$", (DEPLOY / "jobline-worker@.service").read_text(),
                              re.MULTILINE).group(1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_file(values: dict[str, str]) -> dict[str, str]:
    """deploy/jobline.env.example as systemd reads it (NAME=value lines), with `values` filled in.
    Every name given must be one the file documents."""
    settings: dict[str, str] = {}
    for line in (DEPLOY / "jobline.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    unknown = set(values) - set(settings)
    assert not unknown, f"not in deploy/jobline.env.example: {sorted(unknown)}"
    return {**settings, **values}


def exec_start(unit: str, instance: str, env: dict[str, str],
               runtime: Path) -> tuple[list[str], dict[str, str]]:
    """A unit's ExecStart argv and its Environment= lines, as systemd expands them: %i is the
    instance, ${NAME} comes from the environment file; the installed paths become this checkout
    and the venv running the tests, /run this test's folder."""
    argv: list[str] = []
    extra: dict[str, str] = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        line = line.replace("%i", instance).replace("/run/", f"{runtime}/")
        if line.startswith("ExecStart="):
            words = shlex.split(line.removeprefix("ExecStart="))
            argv = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], w) for w in words]
        elif line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            extra[name] = value
        elif line.startswith("WorkingDirectory="):
            assert line == f"WorkingDirectory={INSTALLED}"
    assert argv[0] == f"{INSTALLED}/.venv/bin/python", argv
    return [sys.executable, *argv[1:]], extra


class Unit:
    """One service instance: started from its unit file, restarted when it dies (Restart=always)."""

    def __init__(self, unit: str, instance: str, env: dict[str, str], folder: Path) -> None:
        self.argv, extra = exec_start(unit, instance, env, folder)
        for path in extra.values():
            if path.startswith(str(folder)):  # RuntimeDirectory=: systemd makes it, empty
                Path(path).mkdir(parents=True, exist_ok=True)
        self.env = {"PATH": os.environ["PATH"], **env, **extra}
        self.log = folder / f"{unit.split('@')[0]}-{instance}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.wanted = True  # False once stopped, or killed for good (its machine lost)
        self.down_since = 0.0

    def start(self) -> None:
        with self.log.open("ab") as out:
            # A session of its own: its processes are one group, as a unit's are one cgroup.
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def keep_alive(self) -> None:
        """Restart=always, RestartSec=2: started again two seconds after it ended."""
        if not self.wanted or self.proc is None or self.proc.poll() is None:
            self.down_since = 0.0
            return
        self.down_since = self.down_since or time.monotonic()
        if time.monotonic() - self.down_since >= RESTART_SEC:
            self.start()

    def kill(self, for_good: bool = False) -> None:
        """kill -9 of the service and every process it started, at once (a crash; for good: its
        machine lost, so systemd never starts it again)."""
        assert self.proc is not None
        self.wanted = False
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 30  # until the kernel has closed its sockets with it
        while (_group(self.proc.pid) or self._accepts()) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.wanted = not for_good

    def _accepts(self) -> bool:
        """A web node's port still takes connections (nothing to check for a worker)."""
        if "--bind" not in self.argv:
            return False
        host, _, port = self.argv[self.argv.index("--bind") + 1].rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        self.wanted = False
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # KillMode=mixed: SIGTERM to the main process, then the rest killed
        try:
            self.proc.wait(timeout=20)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Systemd:
    """What systemd does for these units meanwhile: Restart=always, in a thread of its own."""

    def __init__(self, units: list[Unit]) -> None:
        self.units, self.stopped = units, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(0.2):
            for unit in self.units:
                unit.keep_alive()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        for unit in self.units:
            unit.stop()


def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, made with openssl, and its key."""
    cert, key = folder / "jobline.pem", folder / "jobline.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


SITE_SUBSTITUTIONS = ("listen 80;", "listen 443 ssl;", "127.0.0.1:8001", "127.0.0.1:8002",
                      "/etc/ssl/certs/jobline.pem", "/etc/ssl/private/jobline.key")


def rendered_values(http: int, https: int, webs: list[int], cert: Path, key: Path) -> tuple[str, ...]:
    """What each of SITE_SUBSTITUTIONS becomes for the test."""
    return (f"listen 127.0.0.1:{http};", f"listen 127.0.0.1:{https} ssl;", f"127.0.0.1:{webs[0]}",
            f"127.0.0.1:{webs[1]}", str(cert), str(key))


def render_site(http: int, https: int, webs: list[int], cert: Path, key: Path) -> str:
    """deploy/nginx/jobline.conf with loopback ports and the test's certificate: nothing else."""
    site = (DEPLOY / "nginx" / "jobline.conf").read_text()
    for old in SITE_SUBSTITUTIONS:
        assert site.count(old) == 1, f"deploy/nginx/jobline.conf no longer has {old!r} once"
    for old, value in zip(SITE_SUBSTITUTIONS, rendered_values(http, https, webs, cert, key), strict=True):
        site = site.replace(old, value)
    return site


def start_nginx(nginx: str, folder: Path, site: str) -> subprocess.Popen[bytes]:
    """nginx in the foreground as this user, with the site included as Debian's nginx.conf does."""
    (folder / "sites-enabled").mkdir(parents=True)
    (folder / "sites-enabled" / "jobline").write_text(site)
    conf = folder / "nginx.conf"
    conf.write_text(f"""daemon off;
user {getpass.getuser()};  # workers as the test's user (root would make them nobody)
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/sites-enabled/*;
}}
""")
    subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(folder)], check=True, capture_output=True)
    return subprocess.Popen([nginx, "-c", str(conf), "-p", str(folder)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


class RedisServer:
    """A redis-server of the test's own on a free port, persisting to its folder so a restart
    keeps the queues (as Debian's redis-server does with its default snapshots)."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.wanted = True  # False once stopped, or killed for good (its machine lost)
        self.down_since = 0.0

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                      "--dir", str(self.folder), "--appendonly", "yes"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        self.wanted = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
