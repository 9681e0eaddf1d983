// The browser phone, for advisers without a phone number: Jobline puts their calls through
// to this page (<Dial><Client>). It registers a Twilio Voice Device with a token from
// /api/voice-token and accepts the call that arrives after the adviser pressed Answer (no
// other call can reach this identity). Sounds are a local silent file: no CDN.
"use strict";

(() => {
  const badge = document.getElementById("phone-state");
  const SILENT = badge.dataset.silence;
  const SOUNDS = ["incoming", "outgoing", "disconnect", "dtmf0", "dtmf1", "dtmf2", "dtmf3", "dtmf4",
    "dtmf5", "dtmf6", "dtmf7", "dtmf8", "dtmf9", "dtmfs", "dtmfh"];
  let active = null;

  function show(text, kind) {
    badge.textContent = text;
    badge.className = "phone-state " + kind;
  }

  async function token() {
    const resp = await fetch("/api/voice-token", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.error || `the server answered ${resp.status}`);
    return data.token;
  }

  async function start() {
    if (!window.Twilio || !window.Twilio.Device) { show("Browser phone missing", "bad"); return; }
    try {
      const device = new window.Twilio.Device(await token(), {
        closeProtection: "You are on a call: leaving this page hangs up.",
        sounds: Object.fromEntries(SOUNDS.map((name) => [name, SILENT])),
      });
      device.on("registered", () => show("Browser phone ready", "ok"));
      device.on("unregistered", () => show("Browser phone offline", "bad"));
      device.on("error", (e) => show(`Browser phone: ${e.message}`, "bad"));
      device.on("tokenWillExpire", async () => device.updateToken(await token()));
      device.on("incoming", (call) => {
        active = call;
        call.accept();
        show("Talking in the browser", "ok");
        call.on("disconnect", () => { active = null; show("Browser phone ready", "ok"); });
      });
      show("Browser phone connecting…", "wait");
      await device.register();
    } catch (e) {
      // The server's refusal is a whole sentence already ("The browser phone is not set up yet...").
      show(/^The browser phone/.test(e.message) ? e.message : `Browser phone unavailable: ${e.message}`, "bad");
    }
  }

  // desk.js hangs up here when the adviser ends the conversation.
  window.joblinePhone = { hangup: () => { if (active) active.disconnect(); } };
  start();
})();
