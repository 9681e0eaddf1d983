"""Jobline served over HTTP on 127.0.0.1 in a separate process, against the test database and
Redis: for the two-process rate limit and the browser tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(overrides: dict[str, object]) -> Iterator[str]:
    """Start `create_app(overrides)` under werkzeug in a child process; yield its base URL."""
    port = free_port()
    env = dict(os.environ, JOBLINE_LIVE_CONFIG=json.dumps(overrides), JOBLINE_LIVE_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.live"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urlopen(base + "/login", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                    raise RuntimeError(f"the live server did not start:\n{out[-3000:]}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    from run import create_app

    app = create_app(json.loads(os.environ["JOBLINE_LIVE_CONFIG"]))
    run_simple("127.0.0.1", int(os.environ["JOBLINE_LIVE_PORT"]), app, threaded=True)
