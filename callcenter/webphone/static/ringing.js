// A callback rings the web phone: while no call is in progress, ask the server whether Jobline is
// calling this user; show Answer / Decline, ring aloud, and hand an answered call to webphone.js.
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let ring = null, tone = null, asking = false;

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

  async function post(path) {
    const r = await fetch(path, {method: "POST", headers: {"X-CSRFToken": csrf, "Content-Type": "application/json"},
                                 body: JSON.stringify({sid: ring ? ring.sid : ""})});
    return [r, await r.json().catch(() => ({error: "The server answered " + r.status}))];
  }

  async function poll() {
    if (asking || (!ring && $("call").disabled)) return;  // on a call: no second one rings here
    asking = true;
    try {
      const r = await fetch("/phone/api/ring", {headers: {"Accept": "application/json"}});
      if (r.ok) showRing(await r.json());
    } catch (err) { /* the next poll tries again */ } finally { asking = false; }
  }

  $("ring-answer").addEventListener("click", async () => {
    if (!ring) return;
    stopTone();
    const [r, data] = await post("/phone/api/ring/answer");
    ring = null; $("ring").hidden = true;
    if (!r.ok || data.error) { $("status").textContent = data.error || ("Error " + r.status); return; }
    document.dispatchEvent(new CustomEvent("webphone:answered", {detail: data}));
  });
  $("ring-decline").addEventListener("click", async () => {
    if (!ring) return;
    stopTone();
    await post("/phone/api/ring/decline");
    ring = null; $("ring").hidden = true;
    $("status").textContent = "You declined the call";
  });

  setInterval(poll, 2000);
  poll();
})();
