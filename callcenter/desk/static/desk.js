// The adviser desk: fetches /api/desk when the server says it changed (live.js) or, without that,
// polls it; draws the waiting list, the caller summary and the current call, and sends the
// adviser's actions to the same API. Text from the server is only ever set with textContent
// (never innerHTML), so a transcript cannot inject markup.
"use strict";

(() => {
  const CONFIG = JSON.parse(document.getElementById("desk-config").textContent);
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const DISPOSITIONS = CONFIG.dispositions;
  const state = {
    desk: null, receivedAt: 0, tab: "calls", selected: null, pinned: false,
    summaries: new Map(), active: false, notesTimer: null, busy: false, disposition: null,
  };
  const $ = (id) => document.getElementById(id);

  // Single-key shortcuts can be turned off (WCAG 2.1.4): speech input types letters, and a stray
  // key must not answer a caller. The choice is this browser's, kept in localStorage.
  const SHORTCUTS = "jobline.desk.shortcuts";
  let shortcuts = true;
  try { shortcuts = localStorage.getItem(SHORTCUTS) !== "off"; } catch (e) { /* storage blocked: on */ }
  const shortcutsOn = () => shortcuts;
  function showShortcuts() {
    const on = shortcutsOn();
    document.body.classList.toggle("keys-off", !on);
    $("shortcuts").checked = on;
    $("keys-on").hidden = !on;
    $("keys-off").hidden = on;
  }

  // -- small DOM builder ------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(s).padStart(2, "0")}`
      : `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  }
  const sinceLoad = () => (Date.now() - state.receivedAt) / 1000;
  const serverAge = (iso) => (Date.parse(state.desk.server_time) - Date.parse(iso)) / 1000 + sinceLoad();
  const waitClass = (wait, sl) => (wait >= sl ? "late" : wait >= sl * 0.5 ? "soon" : "ok");
  const dispositionLabel = (code) => (DISPOSITIONS.find((d) => d.code === code) || { label: code }).label;
  // How an earlier call ended (db/states.py CallOutcome), said as an adviser would.
  const OUTCOMES = { self_service: "Answered by the menus", ivr_hangup: "Hung up in the menus", answered: "Answered",
    abandoned: "Hung up while waiting", short_abandon: "Hung up at once", callback: "Asked for a callback",
    voicemail: "Left a voicemail", closed: "Called while closed", transferred: "Transferred" };
  const outcomeLabel = (o) => (o ? OUTCOMES[o] || o.replace(/_/g, " ") : "No outcome recorded");
  // The flow's label for an intent (config/ivr.yaml); a code it does not name, made readable.
  const readable = (code) => code.charAt(0).toUpperCase() + code.slice(1).replace(/_/g, " ");
  const intentLabel = (intent) => (intent ? CONFIG.intents[intent] || readable(intent) : "");
  const QUEUES = Object.fromEntries(CONFIG.queues.map((q) => [q.name, q]));
  const queueLabel = (name) => (QUEUES[name] || { label: name }).label;
  const serviceLevel = (name) => (QUEUES[name] || { service_level_s: 60 }).service_level_s;

  // -- talking to the API -----------------------------------------------------------------
  async function api(method, path, body, poll) {
    const headers = { "X-CSRFToken": CSRF, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (poll) {
      headers["X-Jobline-Poll"] = "1";
      if (state.active) headers["X-Jobline-Active"] = "1";
      state.active = false;
    }
    const resp = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (resp.status === 401) { window.location = "/login?next=/desk"; throw new Error("signed out"); }
    const data = await resp.json().catch(() => ({ error: `The server answered ${resp.status}.` }));
    if (!resp.ok) throw new Error(data.error || `The server answered ${resp.status}.`);
    return data;
  }

  function toast(message, kind) {
    const t = $("toast");
    t.textContent = message;
    t.className = "toast " + (kind || "bad");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  async function act(method, path, body) {
    if (state.busy) return null;
    state.busy = true;
    try {
      const data = await api(method, path, body);
      if (data && data.me && data.waiting) take(data);
      return data;
    } catch (e) {
      toast(e.message);
      poll();
      return null;
    } finally {
      state.busy = false;
    }
  }

  async function poll() {
    try {
      take(await api("GET", "/api/desk", undefined, true));
    } catch (e) {
      if (e.message !== "signed out") $("status-since").textContent = "Connection lost – retrying…";
    }
  }

  function take(desk) {
    const hadCall = state.desk && state.desk.current;
    state.desk = desk;
    state.receivedAt = Date.now();
    if (!desk.current && hadCall) state.disposition = null;
    const ids = new Set(desk.waiting.map((r) => r.id));
    if (!state.pinned || !ids.has(state.selected)) {
      state.selected = desk.waiting.length ? desk.waiting[0].id : null;
      state.pinned = false;
    }
    draw();
    if (window.joblineNotice) window.joblineNotice.update(desk, queueLabel);
  }

  // -- drawing ----------------------------------------------------------------------------
  function draw() {
    const d = state.desk;
    if (!d) return;
    for (const b of document.querySelectorAll("button.status")) {
      b.setAttribute("aria-pressed", String(b.dataset.status === d.me.status));
    }
    document.body.dataset.status = d.me.status;
    document.body.classList.toggle("on-call", Boolean(d.current));
    $("count-calls").textContent = d.waiting_total;
    $("count-callbacks").textContent = d.callbacks.length;
    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === state.tab));
    }
    drawRows();
    drawSummary();
    tick();
  }

  const tabRows = () => (state.tab === "calls" ? state.desk.waiting : state.desk.callbacks);
  const chosenId = () => (state.tab === "calls" ? state.selected : state.callback);
  const focusedRow = () => (document.activeElement && document.activeElement.closest
    ? document.activeElement.closest("#rows tr[data-id]") : null);

  // Rows are redrawn on every poll: the row that had the focus gets it back (the same caller, or
  // the list's chosen row if they left), so keyboard users do not fall back to the page's top.
  function drawRows() {
    const d = state.desk;
    const rows = tabRows();
    const body = $("rows");
    const had = focusedRow();
    const hadId = had && body.dataset.tab === state.tab ? had.dataset.id : null;
    const chosen = rows.some((r) => r.id === chosenId()) ? chosenId() : (rows[0] || {}).id;
    body.dataset.tab = state.tab;
    $("waiting").setAttribute("aria-label", state.tab === "calls" ? "Waiting callers" : "Callbacks");
    body.replaceChildren(...rows.map((r, i) => {
      const selected = r.id === chosenId();
      return h("tr", {
        class: (selected ? "selected " : "") + (i === 0 && state.tab === "calls" ? "next" : ""),
        "data-id": r.id, tabindex: r.id === chosen ? "0" : "-1", "aria-selected": String(selected),
        onclick: () => openRow(r),
      },
        h("td", { class: "c-wait" }, r.status === "failed" ? h("span", { class: "chip failed" }, "failed")
          : h("span", { class: "wait " + waitClass(r.wait_s, serviceLevel(r.queue)), "data-since": r.enqueued_at || r.requested_at,
            "data-sl": serviceLevel(r.queue) }, clock(r.wait_s))),
        h("td", {}, h("span", { class: "chip q-" + r.queue }, queueLabel(r.queue))),
        h("td", { class: "lang" }, (r.language || "?").toUpperCase()),
        h("td", { class: "c-caller" }, nameLine(r)),
        h("td", { class: "c-reason" }, reasonLine(r)),
        h("td", { class: "idn" }, r.id_number ? r.id_number.masked : "—"));
    }));
    const more = state.tab === "calls" ? d.waiting_total - rows.length : 0;
    if (more > 0) {
      body.append(h("tr", { class: "more" }, h("td", { colspan: 6 }, `+ ${more} more waiting behind these (see the wallboard)`)));
    }
    if (had) {
      const again = (hadId && body.querySelector(`tr[data-id="${hadId}"]`)) || body.querySelector("tr[tabindex='0']");
      if (again) again.focus({ preventScroll: true });
    }
    $("empty").hidden = rows.length > 0;
    $("empty").textContent = state.tab === "calls" ? "No one is waiting in your queues." : "No callbacks are due.";
  }

  // What the desk says when a caller's name is missing: the same words in the list and the summary.
  const noName = (r) => (r.name ? "Name recorded, not transcribed" : "No name given");

  function nameLine(r) {
    const text = r.name && r.name.text;
    return [text ? h("strong", {}, text) : h("span", { class: "muted" }, noName(r)),
      h("span", { class: "sub" }, r.caller)];
  }

  function reasonLine(r) {
    const intent = intentLabel(r.intent);
    const text = r.reason && r.reason.text;
    return [intent ? h("span", { class: "intent" }, intent) : null,
      text ? h("span", { class: "sub quote" }, text) : (!intent ? h("span", { class: "muted" }, "—") : null)];
  }

  async function select(id, pinned) {
    state.callback = null;
    state.selected = id;
    state.pinned = pinned;
    drawRows();
    drawSummary();
  }

  async function summaryOf(id) {
    const cached = state.summaries.get(id);
    if (cached && Date.now() - cached.at < 10000) return cached.data;
    const data = await api("GET", `/api/entries/${id}`);
    state.summaries.set(id, { at: Date.now(), data });
    return data;
  }

  // A callback's summary: the same facts; no Answer button, Jobline dials it in its turn. A failed
  // one (supervisors see the week's) can be put back in line.
  function showCallback(r) {
    const pane = $("summary");
    const note = r.status === "failed"
      ? h("div", { class: "notice" }, `Jobline tried ${r.attempts} times and reached no one. `,
        h("button", { type: "button", id: "retry", onclick: async () => {
          if (!(await act("POST", `/api/callbacks/${r.id}/retry`))) return;
          toast("Back in line: Jobline will call again.", "good");
          const again = state.desk.callbacks.find((c) => c.id === r.id);
          if (again) showCallback(again);
        } }, "Try again"))
      : h("p", { class: "notice" }, "Jobline calls this person back when it is their turn " +
        "and an adviser of the queue is available; their details will be on your screen.");
    state.callback = r.id;
    drawRows();
    if (state.desk.current) return; // the call the adviser is on stays on screen
    pane.dataset.for = `cb-${r.id}`;
    pane.replaceChildren(...summaryBlocks(r, null), note);
    if (r.entry_id) {
      summaryOf(r.entry_id).then((full) => {
        if (state.callback === r.id && !state.desk.current) pane.replaceChildren(...summaryBlocks(full, full), note);
      }).catch(() => {});
    }
  }

  // The callback try this adviser waited for reached no one: say why, and what they can do.
  function drawFailedTry(pane, f) {
    const key = `failed-${f.event_id}`;
    if (pane.dataset.for === key) return;
    pane.dataset.for = key;
    const button = (label, path, cls) => h("button", { type: "button", class: cls || "",
      onclick: () => act("POST", `/api/callbacks/${f.callback_id}/${path}`) }, label);
    const next = f.status === "failed" ? "That was the last try." : "Jobline will try again later.";
    pane.replaceChildren(h("div", { class: "failed-try", role: "alert" },
      h("h2", {}, "The callback did not reach the caller"),
      h("p", { id: "failed-try-text" }, `${f.text} ${next}`),
      h("div", { class: "actions" },
        f.can_retry ? button("Try again", "try-again", "primary") : null,
        button("Mark as not reached", "not-reached"),
        button("OK", "failure-seen"))));
    const first = pane.querySelector(".failed-try button");
    if (first) first.focus();
  }

  function drawSummary() {
    const d = state.desk, pane = $("summary");
    if (d.current) return drawCurrent(pane, d.current);
    if (d.offer) return drawOffer(pane, d.offer);
    if (d.failed_try) return drawFailedTry(pane, d.failed_try);
    if (state.tab === "callbacks" && d.callbacks.some((c) => c.id === state.callback)) return;
    const row = d.waiting.find((r) => r.id === state.selected);
    if (!row) {
      pane.replaceChildren(h("div", { class: "idle" },
        h("h2", {}, "No caller waiting"),
        d.away_reason ? h("p", { class: "away-reason", role: "status" }, d.away_reason) : null,
        h("p", {}, d.me.status === "available" ? "You are available: new callers appear here at once."
          : shortcutsOn() ? "Set yourself Available (Shift+A) to take calls." : "Set yourself Available to take calls.")));
      pane.dataset.for = "";
      return;
    }
    if (pane.dataset.for !== String(row.id)) {
      pane.dataset.for = String(row.id);
      pane.dataset.fullAt = "";
      pane.replaceChildren(...summaryBlocks(row, null), answerBar(row));
    }
    summaryOf(row.id).then((full) => {
      if (state.desk.current || state.selected !== row.id) return;
      const at = String(state.summaries.get(row.id).at);
      const audio = $("name-audio");
      if (pane.dataset.fullAt === at || (audio && !audio.paused)) return; // don't cut the name off
      pane.dataset.fullAt = at;
      pane.replaceChildren(...summaryBlocks(full, full), answerBar(full));
    }).catch(() => {});
  }

  // A caller of an offer-mode queue (issue 16) rings on one desk at a time: Accept or Reject
  // before the time runs out (then the server offers them to the next adviser).
  function drawOffer(pane, o) {
    if (pane.dataset.for === `offer-${o.id}`) return;
    pane.dataset.for = `offer-${o.id}`;
    const what = o.kind === "callback" ? "Callback offered to you" : "Call offered to you";
    pane.replaceChildren(
      h("div", { class: "offer-head", role: "alert" }, h("h2", {}, `${what} · ${queueLabel(o.queue)}`),
        h("p", {}, "Accept within ", h("strong", { id: "offer-left" }, `${o.seconds_left} s`),
          o.kind === "callback" ? ": Jobline then calls the caller back." : ", or it goes to the next adviser.")),
      ...summaryBlocks(o.summary, o.summary),
      h("div", { class: "actions sticky" },
        h("button", { type: "button", class: "primary huge", id: "offer-accept",
          onclick: () => act("POST", `/api/offers/${o.id}/accept`) }, "Accept"),
        h("button", { type: "button", id: "offer-reject",
          onclick: () => act("POST", `/api/offers/${o.id}/reject`) }, "Reject")));
  }

  function answerBar(row) {
    if (row.offered_only || (state.desk.waiting.find((r) => r.id === row.id) || {}).offered_only) {
      return h("p", { class: "actions note" }, `Callers of ${queueLabel(row.queue)} ring on an adviser's desk in turn: ` +
        "wait for one to be offered to you.");
    }
    const first = state.desk.waiting.length && state.desk.waiting[0].id === row.id;
    return h("div", { class: "actions sticky" },
      h("button", { type: "button", class: "primary huge", id: "answer",
        onclick: () => answer(first ? null : row.id) }, first ? "Answer next caller" : "Answer this caller",
        h("kbd", {}, first ? "A" : "Enter")));
  }

  function summaryBlocks(r, full) {
    const blocks = [
      h("div", { class: "caller-head" },
        h("div", {}, h("div", { class: "eyebrow" }, `${queueLabel(r.queue)} · ${CONFIG.languages[r.language] || "Language not chosen"}`),
          h("h2", { class: "caller-name" }, (r.name && r.name.text) || noName(r))),
        (r.status || "waiting") === "waiting" ? h("div", { class: "big-wait" }, h("span", { class: "wait " + waitClass(r.wait_s, serviceLevel(r.queue)), "data-since": r.enqueued_at,
          "data-sl": serviceLevel(r.queue) }, clock(r.wait_s)), h("small", {}, "waiting")) : null),
      h("dl", { class: "facts" },
        h("dt", {}, "Name"), h("dd", {}, nameAudio(r)),
        h("dt", {}, "ID number"), h("dd", {}, idNumber(r)),
        h("dt", {}, "Reason"), h("dd", {}, intentLabel(r.intent) ? h("span", { class: "intent" }, intentLabel(r.intent)) : null,
          r.reason && r.reason.text ? h("q", {}, r.reason.text) : h("span", { class: "muted" }, r.reason ? "Reason recorded, not transcribed" : "No reason given")),
        h("dt", {}, "Phone"), h("dd", {}, r.caller || "—")),
    ];
    if (full) {
      blocks.push(h("h3", {}, "Path through the menus"),
        full.path.length ? h("ol", { class: "path" }, full.path.map(pathStep))
          : h("p", { class: "muted" }, "No menu steps recorded."));
      blocks.push(h("h3", {}, `Previous contacts (${full.history.length})`),
        full.history.length ? h("ul", { class: "history" }, full.history.map((c) => h("li", {},
          h("span", { class: "when" }, new Date(c.started_at).toLocaleString("en-GB",
            { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" })),
          h("span", { class: "chip" }, c.disposition ? dispositionLabel(c.disposition) : outcomeLabel(c.outcome)),
          c.adviser ? h("span", { class: "sub" }, c.adviser) : null,
          c.same_number ? null : h("span", { class: "sub" }, "same ID, other number"),
          c.notes ? h("div", { class: "sub quote" }, c.notes) : null)))
          : h("p", { class: "muted" }, "First contact."));
    }
    return blocks;
  }

  // A step as the caller heard it; a transfer with who made it and their note for this adviser.
  function pathStep(p) {
    if (p.kind === "transfer") {
      return h("li", { class: "transfer" }, p.note ? [`${p.label}: `, h("q", {}, p.note)] : p.label);
    }
    if (p.kind === "hold" && p.seconds != null) {  // how long, once the caller is back
      return h("li", { class: "hold" }, `${p.label} (${Math.floor(p.seconds / 60)} min ${p.seconds % 60} s)`);
    }
    return h("li", {}, p.key ? h("kbd", {}, p.key) : null, p.label);
  }

  function nameAudio(r) {
    if (!r.name) return h("span", { class: "muted" }, noName(r));
    const parts = [];
    if (r.name.audio) {
      const audio = h("audio", { id: "name-audio", preload: "none", src: `/api/recordings/${r.name.recording_id}/audio` });
      parts.push(audio, h("button", { type: "button", class: "play", onclick: () => playName() }, "▶ Play name", h("kbd", {}, "P")));
    }
    parts.push(r.name.text ? h("span", {}, r.name.text) : h("span", { class: "muted" }, "Not transcribed"));
    return parts;
  }

  function idNumber(r) {
    if (!r.id_number) return h("span", { class: "muted" }, "No ID number given");
    const span = h("span", { class: "mono", id: "id-value" }, r.id_number.masked);
    const c = state.desk.current;  // the server allows it while talking, or to supervisors
    const talkingTo = c && c.id === r.id && c.kind === (r.kind || "call") && c.status !== "calling_back" && !c.ended_at;
    const canReveal = state.desk.me.role === "supervisor" || talkingTo;
    return [span, r.id_number.confirmed ? null : h("span", { class: "sub" }, " (not confirmed)"),
      canReveal ? h("button", { type: "button", class: "link", onclick: async () => {
        const data = await act("POST", r.kind === "callback" ? `${workPath(r)}/reveal-id` : `/api/entries/${r.id}/reveal-id`);
        if (data) { span.textContent = data.id_number; setTimeout(() => { span.textContent = r.id_number.masked; }, 30000); }
      } }, "Show full") : null];
  }

  // The call the adviser is on: a call answered from the queue, or a callback Jobline placed.
  function workPath(c) {
    return c.kind === "callback" ? `/api/callbacks/${c.id}` : `/api/calls/${c.id}`;
  }

  function onCallText(c) {
    if (c.status === "calling_back") return "Calling the caller back… their phone is ringing";
    if (c.status === "connecting") return "Connecting… your phone rings";
    return c.kind === "callback" ? "On a callback" : "On call";
  }

  function drawCurrent(pane, c) {
    const room = c.conversation ? [c.conversation.room, c.conversation.on_hold, c.conversation.muted,
      c.conversation.consulting].join("/") : "";
    const key = `${c.kind}-${c.id}-${c.status}-${c.ended_at ? "acw" : "talk"}-${room}`;
    if (pane.dataset.for === key) return; // redraw only when the call changes state
    pane.dataset.for = key;
    const typed = $("notes") ? $("notes").value : null; // keep what the adviser is typing
    const focused = document.activeElement && document.activeElement.id === "notes";
    const notes = h("textarea", { id: "notes", rows: 4, placeholder: "What the caller needed, what you did (N)",
      oninput: () => saveNotesSoon() });
    notes.value = typed !== null ? typed : (c.notes || "");
    state.disposition = state.disposition || c.disposition;
    const dispo = h("div", { class: "dispositions", role: "radiogroup", "aria-label": "Disposition" },
      DISPOSITIONS.map((d, i) => h("button", { type: "button", role: "radio", "data-code": d.code,
        "aria-checked": String(state.disposition === d.code), onclick: () => choose(d.code) },
      h("kbd", {}, String(i + 1)), d.label)));
    const transfer = h("button", { type: "button", id: "transfer", "aria-haspopup": "dialog",
      onclick: () => askTransfer(c) }, "Transfer…", h("kbd", {}, "T"));
    const talking = !c.ended_at, callback = c.kind === "callback", ringing = c.status === "calling_back";
    pane.replaceChildren(
      h("div", { class: "oncall " + (talking ? "talking" : "acw") },
        h("span", {}, talking ? onCallText(c) : callback ? "After-call work · callback" : "After-call work"),
        h("span", { class: "timer", id: "call-timer", "data-since": talking ? (c.answered_at || (callback ? state.desk.server_time : c.enqueued_at)) : c.ended_at }, "00:00")),
      h("div", { class: "call-grid" },
        h("div", { class: "call-facts" }, ...summaryBlocks(c, c)),
        h("div", { class: "call-work" },
          h("label", { class: "notes-label", for: "notes" }, "Notes"), notes,
          h("div", { class: "label" }, "Disposition"), dispo,
          callback ? null : h("div", { class: "texts", id: "texts-box" }),  // texts.js fills it
      h("div", { class: "actions" },
        talking && !callback ? h("button", { type: "button", onclick: () => endCall(c) }, "End conversation", h("kbd", {}, "E")) : null,
        talking && !callback ? transfer : null,
        talking && !callback ? roomControls(c) : null,
        ringing ? h("p", { class: "muted" }, "When the caller presses 1, your phone rings. If no one answers, the desk frees you.")
          : h("button", { type: "button", class: "primary huge", id: "done", onclick: () => done() }, "Done – available", h("kbd", {}, "D"))))));
    if (focused) notes.focus();
    if (!callback && !ringing && window.joblineTexts) window.joblineTexts.fill($("texts-box"), c.id);
  }

  // In the call's conference room: hold, mute, and a consult with a line of the directory, then
  // hand the caller on or go back to them (callcenter/desk/conference_api.py, consult_api.py).
  const lineLabel = (code) => (CONFIG.directory.find((d) => d.code === code) || { label: code }).label;

  function roomControls(c) {
    const t = c.conversation;
    if (!t || !t.room) return null;
    const path = `/api/calls/${c.id}`;
    const change = (what) => act("POST", `${path}/${what}`).then((data) => showConversation(c, data));
    if (t.consulting) {
      const line = lineLabel(t.consulting);
      return h("div", { class: "room", role: "group", "aria-label": "Consult" },
        h("p", { class: "room-state", role: "status" }, `On the line with you: ${line}. The caller is on hold.`),
        h("button", { type: "button", id: "consult-transfer", onclick: () => act("POST", `${path}/consult/transfer`)
          .then((data) => { if (data) toast(`Transferred to ${line}.`, "good"); }) }, `Transfer to ${line}`),
        h("button", { type: "button", id: "consult-return", onclick: () => change("consult/return") }, "Return to the caller"));
    }
    return h("div", { class: "room", role: "group", "aria-label": "Call controls" },
      t.on_hold ? h("p", { class: "room-state on-hold", role: "status" }, "On hold: the caller hears the hold music.") : null,
      h("button", { type: "button", id: "hold", onclick: () => change(t.on_hold ? "resume" : "hold") }, t.on_hold ? "Resume" : "Hold"),
      h("button", { type: "button", id: "mute", onclick: () => change(t.muted ? "unmute" : "mute") }, t.muted ? "Unmute" : "Mute"),
      CONFIG.directory.length ? h("button", { type: "button", id: "consult", "aria-haspopup": "dialog",
        onclick: () => askConsult(c) }, "Consult…") : null);
  }

  // The answer of hold, mute and consult is the conversation itself: shown at once, not on the next refresh.
  function showConversation(c, data) {
    const now = state.desk && state.desk.current;
    if (!data || !now || now.kind !== "call" || now.id !== c.id) return;
    now.conversation = data;
    draw();
  }

  function askConsult(c) {
    const ask = $("consult-dialog");
    $("consult-line").replaceChildren(...CONFIG.directory.map((d) => h("option", { value: d.code }, d.label)));
    ask.dataset.call = String(c.id);
    ask.returnValue = "";
    ask.showModal();
    $("consult-line").focus();
  }

  // A transfer asks where to and takes a note for the next adviser, who reads it in the path.
  function askTransfer(c) {
    const ask = $("transfer-dialog"), choice = $("transfer-queue");
    choice.replaceChildren(...CONFIG.queues.filter((q) => q.name !== c.queue)
      .map((q) => h("option", { value: q.name }, q.label)));
    $("transfer-note").value = "";
    ask.dataset.call = String(c.id);
    ask.returnValue = "";
    ask.showModal();
    $("transfer-note").focus();
  }

  function endCall(c) {
    if (window.joblinePhone) window.joblinePhone.hangup();
    return act("POST", `/api/calls/${c.id}/end`);
  }

  function choose(code) {
    state.disposition = code;
    for (const b of document.querySelectorAll(".dispositions button")) {
      b.setAttribute("aria-checked", String(b.dataset.code === code));
    }
  }

  function saveNotesSoon() {
    clearTimeout(state.notesTimer);
    const c = state.desk.current;
    state.notesTimer = setTimeout(() => {
      api("PUT", `${workPath(c)}/notes`, { notes: $("notes").value }).catch((e) => toast(e.message));
    }, 800);
  }

  // Done while the caller is still talking hangs up on them: the desk asks first (a dialog whose
  // default is to keep talking), so a stray D or Ctrl+Enter cannot cut a caller off.
  async function done(confirmed) {
    const c = state.desk.current;
    if (!c) return;
    if (!state.disposition) {
      toast(shortcutsOn() ? "Choose a disposition first (keys 1–9)." : "Choose a disposition first.");
      return;
    }
    const talking = !c.ended_at && c.status !== "calling_back";
    if (talking && confirmed !== `${c.kind}-${c.id}`) {
      const ask = $("hang-up");
      ask.dataset.call = `${c.kind}-${c.id}`;
      ask.returnValue = "";
      ask.showModal();
      return;
    }
    clearTimeout(state.notesTimer);
    if (talking && window.joblinePhone) window.joblinePhone.hangup();
    const data = await act("POST", `${workPath(c)}/wrap-up`, { disposition: state.disposition, notes: $("notes").value });
    if (data) { state.disposition = null; toast("Saved. You are available.", "good"); }
  }

  async function answer(entryId) {
    if (state.desk.current) { toast("Finish your current call first (Done)."); return; }
    if (state.desk.offer && !entryId) { await act("POST", `/api/offers/${state.desk.offer.id}/accept`); return; } // A accepts
    await act("POST", "/api/answer", entryId ? { entry_id: entryId } : {});
  }

  function playName() {
    const audio = $("name-audio");
    if (!audio) return;
    if (audio.paused) audio.play().catch(() => toast("The name recording could not be played."));
    else { audio.pause(); audio.currentTime = 0; }
  }

  // Ticking clocks between polls: the server's ages plus the time since the last answer.
  function tick() {
    if (!state.desk) return;
    let longest = null;
    for (const el of document.querySelectorAll("[data-since]")) {
      const age = serverAge(el.dataset.since);
      el.textContent = clock(age);
      if (el.classList.contains("wait")) el.className = "wait " + waitClass(age, Number(el.dataset.sl));
    }
    const offer = state.desk.offer, left = $("offer-left");
    if (offer && left) {
      const s = Math.max(0, Math.ceil(offer.seconds_left - (Date.now() - state.receivedAt) / 1000));
      left.textContent = `${s} s`;
      if (s === 0 && state.offerOver !== offer.id) { state.offerOver = offer.id; poll(); } // it moved on
    }
    if (state.desk.longest_wait_since) longest = serverAge(state.desk.longest_wait_since);
    $("longest").textContent = longest === null ? "–" : clock(longest);
    const me = state.desk.me;
    const label = { busy: "On a call", after_call: "After-call work" }[me.status];
    $("status-since").textContent = `${label && me.status === "busy" ? label + " · " : ""}for ${clock(serverAge(me.status_since))}`;
  }

  // -- keyboard ---------------------------------------------------------------------------
  // A row opens as a click does: a waiting caller's summary, or a callback's.
  function openRow(r) {
    if (state.tab === "calls") select(r.id, true);
    else showCallback(r);
  }

  function move(step) {
    const rows = tabRows();
    if (!rows.length) return;
    const i = rows.findIndex((r) => r.id === chosenId());
    const next = rows[i < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, i + step))];
    openRow(next);
    const tr = document.querySelector(`#rows tr[data-id="${next.id}"]`);
    if (tr) { tr.focus({ preventScroll: true }); tr.scrollIntoView({ block: "nearest" }); }
  }

  // Keys of a focused row, a widget's own keys, so they work with shortcuts off too: arrows,
  // Home and End move; Space opens; Enter opens a callback, or answers a waiting caller.
  const ROW_STEPS = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };
  function rowKey(e, tr) {
    if (ROW_STEPS[e.key]) { e.preventDefault(); move(ROW_STEPS[e.key]); return true; }
    if (e.key !== "Enter" && e.key !== " ") return false;
    e.preventDefault();
    const r = tabRows().find((x) => String(x.id) === tr.dataset.id);
    if (r && state.tab === "calls" && e.key === "Enter") answer(r.id === state.desk.waiting[0].id ? null : r.id);
    else if (r) openRow(r);
    return true;
  }

  const STATUS_KEYS = { A: "available", B: "break", W: "after_call", O: "offline" };
  document.addEventListener("keydown", (e) => {
    state.active = true;
    if (!state.desk || document.querySelector("dialog[open]")) return; // a dialog has its own keys
    const el = document.activeElement;
    const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(el.tagName) && el.type !== "checkbox";
    if (typing) {
      if (e.key === "Escape") el.blur();
      if (e.key === "Enter" && e.ctrlKey) { e.preventDefault(); done(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tr = focusedRow();
    if (tr && rowKey(e, tr)) return;
    if (!shortcutsOn()) return;
    // Enter or Space on a button presses that button; Enter answers a caller only from the page.
    if ((e.key === "Enter" || e.key === " ") && el !== document.body) return;
    const c = state.desk.current;
    if (e.shiftKey && STATUS_KEYS[e.key.toUpperCase()]) { setStatus(STATUS_KEYS[e.key.toUpperCase()]); e.preventDefault(); return; }
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const handlers = {
      a: () => answer(null), Enter: () => state.selected && answer(state.selected === (state.desk.waiting[0] || {}).id ? null : state.selected),
      ArrowDown: () => move(1), j: () => move(1), ArrowUp: () => move(-1), k: () => move(-1),
      p: playName, c: () => { state.tab = state.tab === "calls" ? "callbacks" : "calls"; draw(); },
      "?": () => $("help").showModal(),
      n: () => c && $("notes") && $("notes").focus(), e: () => c && !c.ended_at && c.kind !== "callback" && endCall(c),
      t: () => c && $("transfer") && askTransfer(c), d: done,
    };
    if (c && /^[1-9]$/.test(key) && DISPOSITIONS[Number(key) - 1]) { choose(DISPOSITIONS[Number(key) - 1].code); e.preventDefault(); return; }
    if (handlers[key]) { e.preventDefault(); handlers[key](); }
  });
  document.addEventListener("mousedown", () => { state.active = true; });

  async function setStatus(status) {
    const me = await act("PUT", "/api/me/status", { status });
    if (me) { state.desk.me = me; draw(); }
  }
  for (const b of document.querySelectorAll("button.status")) b.addEventListener("click", () => setStatus(b.dataset.status));
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => { state.tab = tab.dataset.tab; draw(); });
  }
  $("keys-open").addEventListener("click", () => $("help").showModal());
  $("notify").addEventListener("refused", () => toast("This browser blocks notifications from Jobline: " +
    "allow them in the site settings (the icon left of the address), then turn them on again."));
  $("shortcuts").addEventListener("change", () => {
    shortcuts = $("shortcuts").checked;
    try { localStorage.setItem(SHORTCUTS, shortcuts ? "on" : "off"); } catch (e) { /* kept for this page only */ }
    showShortcuts();
  });
  $("transfer-dialog").addEventListener("close", () => {
    const ask = $("transfer-dialog"), c = state.desk && state.desk.current;
    if (ask.returnValue !== "transfer" || !c || ask.dataset.call !== String(c.id)) return;
    act("POST", `${workPath(c)}/transfer`, { queue: $("transfer-queue").value, note: $("transfer-note").value })
      .then((data) => { if (data) toast(`Transferred to ${queueLabel($("transfer-queue").value)}.`, "good"); });
  });
  $("consult-dialog").addEventListener("close", () => {
    const ask = $("consult-dialog"), c = state.desk && state.desk.current;
    if (ask.returnValue !== "consult" || !c || ask.dataset.call !== String(c.id)) return;
    act("POST", `/api/calls/${c.id}/consult`, { directory: $("consult-line").value })
      .then((data) => showConversation(c, data));
  });
  $("hang-up").addEventListener("close", () => {
    const ask = $("hang-up"), c = state.desk && state.desk.current;
    if (ask.returnValue === "hang-up" && c && ask.dataset.call === `${c.kind}-${c.id}`) done(ask.dataset.call);
  });
  showShortcuts();

  window.joblineLive("/api/events", poll, CONFIG.pollMs);  // pushed live, or polled (live.js)
  setInterval(tick, 1000);
})();
