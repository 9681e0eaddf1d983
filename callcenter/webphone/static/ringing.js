// A callback rings the web phone: while no call is in progress, ask the server whether Jobline is
// calling this user; show Answer / Decline, ring aloud, and hand an answered call to webphone.js.
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // `epoch` moves on when the person answers or declines: a ring check already under way then
  // reports a ring that is over, so its answer is dropped rather than ringing the page again.
  let ring = null, tone = null, asking = false, epoch = 0;

  // A British ring (400+450 Hz, .4 s on, .2 s off, .4 s on, 2 s off), while the ring lasts;
  // silent if the browser allows no sound before the person has touched the page.
  function startTone() {
    try {
      const ctx = new AudioContext(), gain = ctx.createGain();
      gain.gain.value = 0; gain.connect(ctx.destination);
      [400, 450].forEach((f) => { const o = ctx.createOscillator(); o.frequency.value = f; o.connect(gain); o.start(); });
      const burst = () => {
        const t = ctx.currentTime;
        [[0, .4], [.6, 1.0]].forEach(([a, b]) => {
          gain.gain.setValueAtTime(0.08, t + a); gain.gain.setValueAtTime(0, t + b);
        });
      };
      burst();
      tone = {ctx, timer: setInterval(burst, 3000)};
    } catch (err) { tone = null; }
  }
  function stopTone() {
    if (tone) { clearInterval(tone.timer); tone.ctx.close(); tone = null; }
  }

  function showRing(data) {
    const was = ring;
    ring = data.ringing ? data : null;
    $("ring").hidden = !ring;
    if (ring && !was) {
      $("status").textContent = "Incoming call from the helpline";
      startTone();
      $("ring-answer").focus();
    } else if (!ring && was) {
      stopTone();
      if ($("status").textContent === "Incoming call from the helpline") $("status").textContent = "Missed call from the helpline";
    }
  }

  async function post(path, sid) {
    const r = await fetch(path, {method: "POST", headers: {"X-CSRFToken": csrf, "Content-Type": "application/json"},
                                 body: JSON.stringify({sid})});
    return [r, await r.json().catch(() => ({error: "The server answered " + r.status}))];
  }

  async function poll() {
    if (asking || (!ring && $("call").disabled)) return;  // on a call: no second one rings here
    asking = true;
    const mine = epoch;
    try {
      const r = await fetch("/phone/api/ring", {headers: {"Accept": "application/json"}});
      const data = r.ok ? await r.json() : null;
      if (data && mine === epoch) showRing(data);
    } catch (err) { /* the next poll tries again */ } finally { asking = false; }
  }

  // Answer or Decline, once: the ring is taken off the page before the request goes, so a second
  // press (Enter held, a double click) has nothing to act on.
  async function settle(path) {
    if (!ring) return null;
    const sid = ring.sid;
    epoch += 1; stopTone();
    ring = null; $("ring").hidden = true;
    return post(path, sid);
  }
  $("ring-answer").addEventListener("click", async () => {
    const result = await settle("/phone/api/ring/answer");
    if (!result) return;
    const [r, data] = result;
    if (!r.ok || data.error) { $("status").textContent = data.error || ("Error " + r.status); return; }
    document.dispatchEvent(new CustomEvent("webphone:answered", {detail: data}));
  });
  $("ring-decline").addEventListener("click", async () => {
    if (!(await settle("/phone/api/ring/decline"))) return;
    $("status").textContent = "You declined the call";
  });

  setInterval(poll, 2000);
  poll();
})();
