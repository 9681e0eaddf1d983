"""Child process of bench_reports.py: stream the call-record CSV of a period to /dev/null and
print, as JSON, the rows, the seconds and the peak RSS before and after (ru_maxrss)."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datetime import date  # noqa: E402

from flask import Flask  # noqa: E402

from callcenter.reports.exports import _call_lines  # noqa: E402
from callcenter.reports.metrics import Filters  # noqa: E402
from db import session as db  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    url, first, last = sys.argv[1:4]
    db.configure(url)
    f = Filters(date.fromisoformat(first), date.fromisoformat(last), ZoneInfo("Europe/London"))
    app = Flask(__name__)
    with app.app_context():
        # Baseline: the same process with everything imported, connected and one small query run.
        list(_call_lines(Filters(f.first_day, f.first_day, f.tz), False))
        base = peak_mb()
        start, rows = time.perf_counter(), 0
        with open("/dev/null", "w") as sink:
            for chunk in _call_lines(f, False):
                rows += chunk.count("\r\n")
                sink.write(chunk)
        seconds = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": seconds, "base_mb": base, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
