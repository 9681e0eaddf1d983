// The web phone: drives a call through /phone/api/*, speaks what the caller hears, plays the hold
// music and recorded prompts, sends keys, records the microphone as a WAV (16 kHz, 16-bit mono)
// for <Record> steps.
// It keeps Twilio's timing: a <Gather>'s nested <Play> plays out before its timeout runs; a
// <Record> ends on a finish key, after `timeout` seconds of silence, or at maxLength
// (https://www.twilio.com/docs/voice/twiml/record).
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const keys = [...document.querySelectorAll(".key")];
  const music = $("hold-music");
  let state = null, next = 0, typed = "", gatherTimer = null, pollTimer = null, busy = false;
  let queued = "";  // keys pressed on hold while no <Gather> listens (between two wait documents)
  let speaking = Promise.resolve();

  function say(item) {
    const li = document.createElement("li");
    if (item.recorded) {
      // A recorded prompt: its transcript shows while the recording plays (not the page's voice).
      const lang = document.createElement("span");
      lang.className = "lang"; lang.textContent = (item.language || "") + " ♪ recording";
      li.className = "recorded"; li.append(lang, item.text);
      speaking = speaking.then(() => playOut([item.play], () => true));
    } else if (item.play) { li.className = "music"; li.textContent = "♪ hold music"; }
    else {
      const lang = document.createElement("span");
      lang.className = "lang"; lang.textContent = item.language || "";
      li.append(lang, item.text);
      if ($("speak").checked && "speechSynthesis" in window) {
        const u = new SpeechSynthesisUtterance(item.text);
        u.lang = item.language || "en-US"; u.rate = item.slow ? 0.8 : 1;
        speaking = speaking.then(() => new Promise((done) => {
          u.onend = done; u.onerror = done; speechSynthesis.speak(u);
        }));
      }
    }
    $("heard").append(li); li.scrollIntoView({block: "nearest"});
  }
  function you(text) {
    const li = document.createElement("li"); li.className = "you"; li.textContent = text;
    $("heard").append(li); li.scrollIntoView({block: "nearest"});
  }
  function status(text) { $("status").textContent = text; }
  function hush() {
    if ("speechSynthesis" in window) speechSynthesis.cancel();
    speaking = Promise.resolve();
    music.pause();
  }

  async function api(path, body, isForm, isPoll) {
    busy = true;
    $("mic").disabled = $("wav").disabled = true;  // one answer at a time
    try {
      const opts = {method: "POST", headers: {"X-CSRFToken": csrf}};
      if (isForm) { opts.body = body; } else {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(Object.assign({since: next}, body || {}));
      }
      const r = await fetch(path, opts);
      const data = await r.json().catch(() => ({error: "The server answered " + r.status}));
      if (!r.ok || data.error) { status(data.error || ("Error " + r.status)); return null; }
      show(data, isPoll); return data;
    } finally {
      busy = false; $("mic").disabled = $("wav").disabled = false; $("wav").value = "";
      if (queued && state && state.waiting === "Gather") { const k = queued; queued = ""; [...k].forEach(press); }
    }
  }

  const ENDED = {adviser: "The adviser ended the call", helpline: "The helpline ended the call",
                 caller: "Call ended"};

  let turn = 0;  // counts the call's steps: a poll that brings nothing new keeps the step's timers
  function show(data, isPoll) {
    const prev = state;
    state = data; next = data.next;
    const same = isPoll && prev && !prev.ended && !data.ended && !data.heard.length && data.waiting === prev.waiting
      && data.in_queue === prev.in_queue && data.connected === prev.connected;
    if (same) return;
    const mine = ++turn, current = () => turn === mine;
    data.heard.forEach(say);
    clearTimeout(gatherTimer); clearInterval(pollTimer);
    const live = !data.ended;
    keys.forEach((k) => k.disabled = !live);
    $("call").disabled = live; $("hangup").disabled = !live;
    $("recorder").hidden = data.waiting !== "Record";
    if (data.waiting !== "Record") stopTimer();
    typed = "";
    if (data.ended) {
      status(ENDED[data.ended_by] || "Call ended"); queued = "";
      if ("speechSynthesis" in window) speechSynthesis.cancel();
      music.pause(); if (recording) discardMic();
      return;
    }
    if (!data.in_queue) { queued = ""; music.pause(); }
    if (data.connected) { status("Connected to an adviser"); pollTimer = setInterval(poll, 2000); return; }
    if (data.waiting === "Gather") {
      status(data.in_queue ? "On hold — press 1 for a callback" : "Listening for your keys");
      if (data.in_queue) pollTimer = setInterval(poll, 2000);
      if (queued) return;  // keys pressed meanwhile answer this <Gather> (api() sends them)
      // The prompts, then the nested hold music, then the Gather's timeout: Twilio's rhythm.
      speaking.then(() => (current() ? playOut(data.gather.play || [], current) : null)).then(() => {
        if (current()) gatherTimer = setTimeout(() => api("/phone/api/silence"), data.gather.timeout * 1000);
      });
    } else if (data.waiting === "Record") {
      status("Recording — speak after the tone");
      speaking.then(() => { if (current()) startRecordStep(data.record); });
    } else if (data.in_queue || data.waiting === "Enqueue") {
      status("On hold");
      pollTimer = setInterval(poll, 2000);
      // The wait document ended: its music plays out, then Twilio asks the wait URL again (at
      // least a second apart here, so a document of silence cannot spin).
      const plays = data.heard.filter((h) => h.play && !h.recorded).map((h) => h.play);
      speaking.then(() => (current() ? playOut(plays, current) : null))
        .then(() => new Promise((wait) => setTimeout(wait, 1000)))
        .then(function again() {
          if (!current()) return;
          if (busy) { setTimeout(again, 200); return; }  // after the poll in flight
          api("/phone/api/continue?hold=1");
        });
    }
  }

  // Plays each file in turn on the page's <audio>; resolves when they have played out (or at
  // once for a file that cannot play, as the simulator counts it 0 s).
  function playOut(paths, current) {
    return paths.reduce((done, path) => done.then(() => new Promise((resolve) => {
      if (!current()) { resolve(); return; }
      const finish = () => { music.onended = music.onerror = null; resolve(); };
      music.onended = finish; music.onerror = finish;
      if (!music.src.endsWith(path)) music.src = path;
      music.currentTime = 0;
      music.dataset.plays = String(Number(music.dataset.plays || 0) + 1);
      music.play().catch(finish);
    })), Promise.resolve());
  }

  function poll() { if (!busy) api("/phone/api/continue", {}, false, true); }

  keys.forEach((k) => k.addEventListener("click", () => press(k.dataset.key)));
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || !state || state.ended) return;
    if (/^[0-9*#]$/.test(e.key)) { press(e.key); e.preventDefault(); }
  });

  function press(key) {
    if (!state || state.ended) return;
    if (state.waiting === "Record") { finishRecording(key); return; }
    if (state.in_queue && (busy || state.waiting !== "Gather")) { queued += key; return; }
    if (state.waiting !== "Gather") return;
    clearTimeout(gatherTimer);
    hush();
    const g = state.gather;
    if (key === g.finish_on_key && typed) { send(typed + key); return; }
    typed += key;
    if ((g.num_digits && typed.length >= g.num_digits) || key === "*" && typed.length === 1 && g.num_digits !== 1) {
      send(typed);
    } else {
      status("Keys: " + typed);
      gatherTimer = setTimeout(() => send(typed), g.timeout * 1000);
    }
  }
  function send(digits) { you("You pressed " + digits); api("/phone/api/keys", {digits}); }

  $("call").addEventListener("click", () => {
    $("heard").innerHTML = ""; next = 0; queued = ""; status("Calling…");
    api("/phone/api/call", {});  // the server places it from this user's demo number
  });
  // A callback the page answered (ringing.js): its call goes on here like one placed with Call.
  document.addEventListener("webphone:answered", (e) => { $("heard").innerHTML = ""; next = 0; queued = ""; show(e.detail); });
  $("hangup").addEventListener("click", () => { you("You hung up"); hush(); api("/phone/api/hangup"); });
  // Closing or reloading the page puts the phone down: the call ends, as a caller expects.
  window.addEventListener("pagehide", () => {
    if (!state || state.ended) return;
    const form = new FormData(); form.append("csrf_token", csrf);
    navigator.sendBeacon("/phone/api/hangup", form);
  });
  // Back to a page kept in the browser's memory: that call was put down when the page was left.
  window.addEventListener("pageshow", (e) => { if (e.persisted && state && !state.ended) location.reload(); });

  // --- recording: the microphone (from the tone) or a chosen file ---
  let recording = null, timer = null, step = null;
  $("mic").addEventListener("click", () => recording ? finishRecording(null) : startMic());
  $("wav").addEventListener("change", (e) => {
    const file = e.target.files[0]; if (file) { discardMic(); upload(file, file.name, null); }
  });

  function startRecordStep(record) {
    step = record;
    const started = Date.now();
    const tick = () => {
      const s = Math.min(record.max_seconds, Math.floor((Date.now() - started) / 1000));
      $("rec-timer").textContent = clock(s) + " / " + clock(record.max_seconds);
      if (Date.now() - started >= record.max_seconds * 1000) finishRecording(null);  // maxLength
    };
    stopTimer(); tick(); timer = setInterval(tick, 250); $("rec-timer").hidden = false;
    beep(); startMic();
  }
  function stopTimer() { clearInterval(timer); timer = null; $("rec-timer").hidden = true; }
  function clock(s) { return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }
  function beep() {
    try {
      const ctx = new AudioContext(), osc = ctx.createOscillator();
      osc.frequency.value = 1000; osc.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25); osc.onended = () => ctx.close();
    } catch (err) { /* no audio output: the timer shows the recording started */ }
  }

  async function startMic() {
    if (recording) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      if (!state || state.waiting !== "Record") { stream.getTracks().forEach((t) => t.stop()); return; }
      const ctx = new AudioContext(); const src = ctx.createMediaStreamSource(stream);
      const node = ctx.createScriptProcessor(4096, 1, 1); const chunks = [];
      recording = {stream, ctx, node, chunks, heard: false, lastSound: Date.now()};
      node.onaudioprocess = (ev) => {
        const data = new Float32Array(ev.inputBuffer.getChannelData(0));
        chunks.push(data);
        const r = recording; if (!r) return;
        const rms = Math.sqrt(data.reduce((a, v) => a + v * v, 0) / data.length);
        if (rms > 0.01) { r.heard = true; r.lastSound = Date.now(); }
        // `timeout` seconds of silence end the recording, as on Twilio.
        if (step && Date.now() - r.lastSound > step.timeout * 1000) finishRecording(null);
      };
      src.connect(node); node.connect(ctx.destination);
      $("mic").textContent = "Stop"; $("mic").classList.add("recording"); status("Recording… speak now");
    } catch (err) { status("The microphone is not available: choose a WAV file instead."); }
  }
  function discardMic() {
    const r = recording; recording = null;
    if (!r) return null;
    r.node.disconnect(); r.stream.getTracks().forEach((t) => t.stop());
    $("mic").textContent = "Start microphone"; $("mic").classList.remove("recording");
    r.ctx.close();
    return r;
  }
  // The recording ends: `key` is the finish key pressed (null: silence, maxLength or Stop).
  function finishRecording(key) {
    if (!state || state.waiting !== "Record" || busy) return;
    if (key !== null && !step.finish_on_key.includes(key)) return;  // other keys are just sound
    stopTimer();
    const r = discardMic();
    if (r && r.heard) { upload(toWav(r.chunks, r.ctx.sampleRate, 16000), "microphone.wav", key); return; }
    // Nothing said: an empty recording. Twilio requests no action and runs the next verb.
    if (key !== null) {
      you("You pressed " + key);
      const form = new FormData(); form.append("key", key);
      api("/phone/api/record?since=" + next, form, true);
    } else { you("(silence)"); api("/phone/api/silence"); }
  }
  function toWav(chunks, rate, target) {
    const n = chunks.reduce((a, c) => a + c.length, 0), data = new Float32Array(n);
    let o = 0; chunks.forEach((c) => { data.set(c, o); o += c.length; });
    const ratio = rate / target, len = Math.floor(n / ratio), pcm = new Int16Array(len);
    for (let i = 0; i < len; i++) {
      const s = Math.max(-1, Math.min(1, data[Math.floor(i * ratio)]));
      pcm[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
    }
    const buf = new ArrayBuffer(44 + pcm.length * 2), v = new DataView(buf);
    const w = (p, s) => [...s].forEach((ch, i) => v.setUint8(p + i, ch.charCodeAt(0)));
    w(0, "RIFF"); v.setUint32(4, 36 + pcm.length * 2, true); w(8, "WAVE"); w(12, "fmt ");
    v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, target, true); v.setUint32(28, target * 2, true); v.setUint16(32, 2, true);
    v.setUint16(34, 16, true); w(36, "data"); v.setUint32(40, pcm.length * 2, true);
    new Int16Array(buf, 44).set(pcm);
    return new Blob([buf], {type: "audio/wav"});
  }
  function upload(blob, name, key) {
    stopTimer();
    const form = new FormData(); form.append("audio", blob, name); form.append("since", next);
    if (key) form.append("key", key);
    you("You spoke (" + name + ")" + (key ? ", then pressed " + key : "")); status("Sending your recording…");
    api("/phone/api/record?since=" + next, form, true);
  }
})();
