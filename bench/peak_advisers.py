"""bench/peak.py's advisers: each signs in through the login form, as a person does, and works
the desk through its own JSON API (the CSRF header desk.js sends)."""

from __future__ import annotations

import queue
import random
import re
import threading
import time
import uuid

import requests

from bench.peak_callers import Stats, route_of


class Adviser:
    """Signs in through the login form, sets Available, and answers through POST /api/answer as the
    desk does (CSRF header), then after-call work and Done (POST /api/calls/<id>/wrap-up)."""

    def __init__(self, base: str, username: str, password: str, stats: Stats, speed: float,
                 acw_s: float) -> None:
        self.base, self.stats, self.speed, self.acw_s = base, stats, speed, acw_s
        self.http = requests.Session()
        page = self.http.get(f"{base}/login", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"username": username, "password": password, "csrf_token": token}
        self.http.post(f"{base}/login", data=form, timeout=30).raise_for_status()
        desk = self.http.get(f"{base}/desk", timeout=30).text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', desk).group(1)
        self.ended: queue.Queue[str] = queue.Queue()
        self.id = str(uuid.uuid4())

    def send(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        t0 = time.perf_counter()
        try:
            resp = self.http.request(method, self.base + path, json=body or {}, timeout=30,
                                     headers={"X-CSRFToken": self.csrf, "Accept": "application/json"})
            status = resp.status_code
        except requests.RequestException:
            resp, status = requests.Response(), 0
            resp.status_code = 599
        self.stats.add(time.time(), (time.perf_counter() - t0) * 1000, "desk", route_of(path),
                       0 < status < 500)
        return resp

    def work(self, on_duty: threading.Event, stop: threading.Event) -> None:
        self.send("PUT", "/api/me/status", {"status": "available"})
        while not stop.is_set():
            if not on_duty.is_set():
                self.send("PUT", "/api/me/status", {"status": "break"})
                while not on_duty.wait(1) and not stop.is_set():
                    pass
                self.send("PUT", "/api/me/status", {"status": "available"})
                continue
            resp = self.send("POST", "/api/answer", {})
            if resp.status_code != 200:
                stop.wait(2 / self.speed)  # nobody waiting: the desk shows the next caller
                continue
            current = resp.json().get("current") or {}
            try:
                self.ended.get(timeout=900 / self.speed)
            except queue.Empty:
                pass
            stop.wait(random.expovariate(1 / self.acw_s) / self.speed)
            if current.get("id"):
                self.send("POST", f"/api/calls/{current['id']}/wrap-up",
                          {"disposition": "resolved", "notes": ""})
