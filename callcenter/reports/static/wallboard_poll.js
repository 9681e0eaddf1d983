// Wallboard: fetch /api/wallboard when the floor changes (or poll it) and redraw the tiles in
// place (no reload), so figures on the wall are at most about two seconds old. A failed poll shows a banner instead of old numbers.
(function () {
  "use strict";
  const root = document.querySelector(".wb-queues");
  if (!root) return;
  const every = Number(root.dataset.pollMs) || 1500;
  const stale = document.querySelector(".wb-stale");

  function clock(seconds) {
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + String(s).padStart(2, "0");
  }
  function shown(metric, value) {
    if (value === null || value === undefined) return "—";
    if (metric === "longest_wait_s") return clock(value);
    if (metric === "service_level" || metric === "abandonment_rate") return Math.round(value) + "%";
    return String(value);
  }
  function draw(board) {
    document.querySelector('[data-field="in_ivr"]').textContent = board.in_ivr;
    document.querySelector('[data-field="day"]').textContent = board.day;
    document.querySelector('[data-field="at"]').textContent = board.at.slice(11, 19);
    for (const q of board.queues) {
      const section = root.querySelector('[data-queue="' + q.queue + '"]');
      if (!section) continue;
      for (const tile of section.querySelectorAll("[data-metric]")) {
        const metric = tile.dataset.metric;
        tile.querySelector(".wb-value").textContent = shown(metric, q[metric]);
        tile.classList.toggle("breach", q.breach.includes(metric));
      }
    }
  }
  async function poll() {
    try {
      const answer = await fetch(root.dataset.source, {headers: {Accept: "application/json"}, cache: "no-store"});
      if (!answer.ok) throw new Error(String(answer.status));
      draw(await answer.json());
      stale.hidden = true;
    } catch (e) {
      stale.hidden = false;
    }
  }
  // Pushed when something changes on the floor, polled when the push is not available (live.js).
  window.joblineLive(root.dataset.events, poll, every);
})();
