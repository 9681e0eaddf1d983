"""Where one webhook request's time goes, in-process: cProfile over many identical requests.

Builds the WSGI environ gunicorn would build for a signed request and calls the app directly,
so only the app's own work is measured (no server, no network, no load generator).

    .venv/bin/python bench/profile_webhook.py [--target floor|call|ceiling] [--requests 3000] [--top 30]
    .venv/bin/python bench/profile_webhook.py --target floor --no-profile   # CPU time a request only
    .venv/bin/python bench/profile_webhook.py --target call --statements    # the SQL of one call
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "bench-token-" + "0" * 20
BASE = "http://127.0.0.1:8000"


def environ(path: str, form: dict[str, str]) -> dict:
    body = urlencode(form).encode()
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, form)
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": route, "QUERY_STRING": query,
        "RAW_URI": path,  # gunicorn's
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_X_TWILIO_SIGNATURE": signature,
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "_body": body,
    }


def call_requests(floor: bool) -> list[dict]:
    from bench.bench_webhooks import FLOOR_STEPS, STEPS

    sid = "CA" + uuid.uuid4().hex
    base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": f"+4477009{uuid.uuid4().int % 10**5:05d}",
            "To": "+18005550100", "CallStatus": "in-progress", "Direction": "inbound"}
    return [environ(path, {**base, **extra}) for path, extra in (FLOOR_STEPS if floor else STEPS)]


def serve(app, env: dict) -> int:
    env = dict(env, **{"wsgi.input": io.BytesIO(env["_body"])})
    status = []
    body = app(env, lambda s, h, exc_info=None: status.append(s))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return int(status[0][:3])


def statements(app, call: list[dict]) -> None:
    """Each request of one (warmed-up) call with the statements it sent to the database."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    sent: list[str] = []

    def log(_conn, _cursor, statement, _params, _context, many) -> None:
        sent.append(("(many) " if many else "") + " ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", log)
    total = 0
    for env in call:
        sent.clear()
        status = serve(app, env)
        total += len(sent)
        print(f"{env['PATH_INFO']}?{env['QUERY_STRING']} -> {status}: {len(sent)} statements")
        for statement in sent:
            print("   ", statement[:160])
    print(f"{total} statements in {len(call)} requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["floor", "call", "ceiling"], default="floor")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-profile", action="store_true", help="time the requests only")
    parser.add_argument("--statements", action="store_true", help="the SQL of one call, by request")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jobline-profile-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.update(JOBLINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID="AC" + "0" * 32,
                      SECRET_KEY="bench", DATABASE_URL=url, PUBLIC_BASE_URL=BASE, JOBLINE_INSTANCE=str(tmp),
                      REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))
    from db.migrate import upgrade

    upgrade(url)
    if args.target == "floor":
        from bench.floor_app import app
    elif args.target == "ceiling":
        from bench.ceiling_app import app
    else:
        from run import create_app

        app = create_app()
    floor = args.target == "floor"
    batches = [call_requests(floor) for _ in range(args.requests // 5 + 20)]
    for env in (e for b in batches[:20] for e in b):  # warm-up
        assert serve(app, env) < 300, env["PATH_INFO"]
    if args.statements:
        statements(app, call_requests(floor))
        return
    todo = [e for b in batches[20:] for e in b]
    if args.no_profile:  # the machine is shared: the fastest of 5 slices, in CPU time
        size = len(todo) // 5
        slices = []
        for n in range(5):
            started = time.process_time()
            for env in todo[n * size:(n + 1) * size]:
                serve(app, env)
            slices.append((time.process_time() - started) / size * 1000)
        print(f"{args.target}: {len(todo)} requests, {min(slices):.3f} ms a request (CPU, fastest of 5 "
              f"slices; slowest {max(slices):.3f})")
        return
    started = time.perf_counter()
    profiler = cProfile.Profile()
    profiler.enable()
    for env in todo:
        serve(app, env)
    profiler.disable()
    took = time.perf_counter() - started
    print(f"{args.target}: {len(todo)} requests, {took / len(todo) * 1000:.3f} ms a request under cProfile")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
