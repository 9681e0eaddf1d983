// Telling the adviser a caller has arrived, for when the desk is not in front of their eyes:
// a short chime (chime.wav: `sox -n -r 16000 -b 16 -c 1 chime.wav synth 0.12 sine 880 : synth 0.18
// sine 1320 fade 0 0.18 0.08 vol 0.5`), the tab's title ("(1) Caller waiting — Jobline desk")
// until they come back to the page, and, if they turn it on, a desktop notification. Only for
// callers they can take: they are Available and not on a call. Notifications name the queue,
// never the caller (they show on the screen outside the desk). desk.js calls
// joblineNotice.update(desk, queueLabel) with every answer of /api/desk.
"use strict";

(() => {
  const PREF = "jobline.desk.notify";
  const TITLE = document.title;
  const toggle = document.getElementById("notify");
  const chime = new Audio(toggle.dataset.chime);
  const seen = new Set(), offers = new Set();
  let first = true, unseen = 0, wanted = false;
  try { wanted = localStorage.getItem(PREF) === "on"; } catch (e) { /* storage blocked: off */ }

  const supported = () => "Notification" in window;
  const notifying = () => wanted && supported() && Notification.permission === "granted";
  const away = () => document.hidden || !document.hasFocus();

  function showToggle() {
    toggle.checked = notifying();
    document.getElementById("notify-label").hidden = !supported();
  }

  function setTitle() {
    document.title = unseen ? `(${unseen}) Caller${unseen > 1 ? "s" : ""} waiting — Jobline desk` : TITLE;
  }

  function looked() {
    if (!unseen || away()) return;
    unseen = 0;
    setTitle();
  }

  function ring() {
    chime.currentTime = 0;
    // Counted on the page (data-chimes) once the browser really plays it; a browser that
    // refuses sound before the first click says so in data-chime-blocked.
    chime.play().then(() => {
      document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
    }).catch(() => { document.body.dataset.chimeBlocked = "1"; });
  }

  function update(desk, queueLabel) {
    // A caller of an offer-mode queue rings only the desk it is offered to (desk.offer), even
    // at sign-in; the others see the row listed, which is no news to them.
    const fresh = desk.waiting.filter((r) => !seen.has(r.id) && !r.offered_only);
    for (const r of desk.waiting) seen.add(r.id);
    const offer = desk.offer && !offers.has(desk.offer.id) ? desk.offer : null;
    if (desk.offer) offers.add(desk.offer.id);
    const free = desk.me.status === "available" && !desk.current;
    if (!free) { unseen = 0; setTitle(); }
    const news = offer ? [{ queue: offer.queue }] : first ? [] : fresh; // the list at sign-in is not news
    first = false;
    if (!free || !news.length) return;
    ring();
    unseen += news.length;
    setTitle();
    if (notifying() && away()) {
      const queues = [...new Set(news.map((r) => queueLabel(r.queue)))].join(", ");
      const note = new Notification("Caller waiting — Jobline desk", { body: `In ${queues}`, tag: "jobline-caller" });
      note.onclick = () => { window.focus(); note.close(); };
    }
    looked();
  }

  toggle.addEventListener("change", async () => {
    wanted = toggle.checked;
    if (wanted) {
      if (Notification.permission === "default") await Notification.requestPermission();
      wanted = Notification.permission === "granted";
      if (!wanted) toggle.dispatchEvent(new CustomEvent("refused", { bubbles: true }));
    }
    try { localStorage.setItem(PREF, wanted ? "on" : "off"); } catch (e) { /* this page only */ }
    showToggle();
  });
  for (const ev of ["focus", "keydown", "mousedown", "mousemove"]) window.addEventListener(ev, looked);
  document.addEventListener("visibilitychange", looked);
  showToggle();
  window.joblineNotice = { update };
})();
