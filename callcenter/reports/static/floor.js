// The floor (/floor): redraw the advisers and the callers waiting from /api/floor (with the page's
// own filters) whenever the server says the floor changed (live.js: Server-Sent Events, polling
// when the stream is refused), and tick every clock each second in between. The counts are read
// out (a polite live region) only when they change; the clocks and tables are not announced.
(function () {
  "use strict";
  const root = document.querySelector(".fl-root");
  if (!root) return;
  const words = JSON.parse(document.getElementById("fl-words").textContent);
  const every = Number(root.dataset.pollMs) || 1500;
  const stale = document.querySelector(".fl-stale");
  const summary = document.getElementById("fl-summary");
  let offsetMs = Date.parse(root.dataset.serverTime) - Date.now();  // server clock minus ours

  function clock(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  function tick() {
    const now = Date.now() + offsetMs;
    for (const el of document.querySelectorAll(".fl-root .tick[data-since]")) {
      el.textContent = clock(Math.max(0, Math.floor((now - Date.parse(el.dataset.since)) / 1000)));
    }
  }
  function cell(row, text, tag) {
    const td = document.createElement(tag || "td");
    if (tag === "th") td.scope = "row";
    if (text instanceof Node) td.append(text); else td.textContent = text;
    row.append(td);
    return td;
  }
  function chip(status, text) {
    const span = document.createElement("span");
    span.className = "chip st-" + status;
    span.textContent = text;
    return span;
  }
  function ticking(seconds, since) {
    const span = document.createElement("span");
    span.className = "tick";
    if (since) span.dataset.since = since;
    span.textContent = clock(seconds);
    return span;
  }
  function waitingRow(r) {
    const tr = document.createElement("tr");
    Object.assign(tr.dataset, {kind: r.kind, id: r.id, queue: r.queue});
    cell(tr, r.position ? String(r.position) : "—");
    cell(tr, r.queue_label);
    cell(tr, r.language_name || "—");
    cell(tr, ticking(r.wait_s, r.enqueued_at));
    cell(tr, chip(r.status, words.waiting[r.status] || r.status));
    cell(tr, r.caller || "Withheld").className = "mono";
    return tr;
  }
  function adviserRow(a) {
    const tr = document.createElement("tr");
    Object.assign(tr.dataset, {adviser: a.id, status: a.status});
    cell(tr, a.name, "th");
    const status = chip(a.status, a.status_label);
    status.dataset.field = "status";
    cell(tr, status);
    cell(tr, ticking(a.in_state_s, a.status_since));
    const current = cell(tr, a.current ? "" : "—");
    current.dataset.field = "current";
    if (a.current) {
      const what = (words.phases[a.current.phase] || a.current.phase) + (a.current.callback ? " (callback)" : "");
      current.append(what + " · " + a.current.queue_label + " · ", ticking(a.current.seconds, a.current.since));
    }
    cell(tr, a.queues.map((q) => words.queues[q] || q).join(", ") || "—");
    cell(tr, a.languages.join(", ") || "—");
    return tr;
  }
  function said(counts) {
    const parts = [];
    for (const el of root.querySelectorAll(".fl-count .n[data-count]")) {
      parts.push(counts[el.dataset.count] + " " + el.parentNode.querySelector(".l").textContent);
    }
    return "Floor: " + parts.join(", ") + ".";
  }
  function draw(floor) {
    offsetMs = Date.parse(floor.server_time) - Date.now();
    document.getElementById("fl-at").textContent = floor.server_time.slice(11, 19);
    document.getElementById("fl-waiting-rows").replaceChildren(...floor.waiting.map(waitingRow));
    document.getElementById("fl-adviser-rows").replaceChildren(...floor.advisers.map(adviserRow));
    document.getElementById("fl-waiting-empty").hidden = floor.waiting.length > 0;
    document.getElementById("fl-advisers-empty").hidden = floor.advisers.length > 0;
    for (const el of root.querySelectorAll("[data-count]")) el.textContent = floor.counts[el.dataset.count];
    const text = said(floor.counts);
    if (summary.dataset.said !== text) {  // a screen reader hears a change, never the same again
      if (summary.dataset.said !== undefined) summary.textContent = text;
      summary.dataset.said = text;
    }
  }
  async function refresh() {
    try {
      const answer = await fetch(root.dataset.source + (root.dataset.query ? "?" + root.dataset.query : ""),
                                 {headers: {Accept: "application/json"}, cache: "no-store"});
      if (!answer.ok) throw new Error(String(answer.status));
      draw(await answer.json());
      stale.hidden = true;
    } catch (e) {
      stale.hidden = false;
    }
    document.getElementById("fl-live").textContent =
      document.body.dataset.live === "open" ? "live" : "refreshing every few seconds";
  }
  setInterval(tick, 1000);
  window.joblineLive(root.dataset.events, refresh, every);
})();
