// Live updates for the desk and the wallboard: the server says "changed" over Server-Sent Events
// (/api/events) and the page fetches its state at once, as its poll would. When the stream is
// refused (503: too many open, Redis down), broken, or buffered away by a proxy, the page polls as
// before and tries the stream again later. document.body.dataset.live says which ("open" or
// "polling") for the page's own status line and for tests.
"use strict";

window.joblineLive = function joblineLive(url, refresh, pollMs) {
  const SAFETY_MS = 15000;  // while live, still fetch this often: nothing can be missed for long
  const RETRY_MS = 30000;   // a refused or closed stream is tried again after this
  let source = null, fetchedAt = 0;
  const open = () => source !== null && source.readyState === EventSource.OPEN;
  const show = () => { document.body.dataset.live = open() ? "open" : "polling"; };
  async function fetchNow() {
    fetchedAt = Date.now();
    await refresh();
  }
  function listen() {
    if (!window.EventSource) { show(); return; }
    source = new EventSource(url);
    source.addEventListener("open", () => { show(); fetchNow(); });  // what changed while away
    source.addEventListener("message", () => fetchNow());
    source.addEventListener("error", () => {
      show();  // the browser reconnects by itself unless the server refused the stream
      if (source.readyState === EventSource.CLOSED) { source = null; setTimeout(listen, RETRY_MS); }
    });
  }
  show();
  listen();
  fetchNow();
  setInterval(() => { if (!open() || Date.now() - fetchedAt >= SAFETY_MS) fetchNow(); }, pollMs);
};
