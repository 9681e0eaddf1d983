// The web phone: drives a call through /phone/api/*, speaks what the caller hears, sends keys,
// records the microphone as a WAV (16 kHz, 16-bit mono) for <Record> steps.
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const keys = [...document.querySelectorAll(".key")];
  let state = null, next = 0, typed = "", gatherTimer = null, pollTimer = null, busy = false;
  let speaking = Promise.resolve();

  function say(item) {
    const li = document.createElement("li");
    if (item.play) { li.className = "music"; li.textContent = "♪ hold music"; }
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

  async function api(path, body, isForm) {
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
      show(data); return data;
    } finally { busy = false; $("mic").disabled = $("wav").disabled = false; $("wav").value = ""; }
  }

  function show(data) {
    state = data; next = data.next;
    data.heard.forEach(say);
    clearTimeout(gatherTimer); clearInterval(pollTimer);
    const live = !data.ended;
    keys.forEach((k) => k.disabled = !live);
    $("call").disabled = live; $("hangup").disabled = !live;
    $("recorder").hidden = data.waiting !== "Record";
    typed = "";
    if (data.ended) { status("Call ended"); speechSynthesis && speechSynthesis.cancel(); return; }
    if (data.connected) { status("Connected to an adviser"); pollTimer = setInterval(poll, 2000); return; }
    if (data.waiting === "Gather") {
      status(data.in_queue ? "On hold — press 1 for a callback" : "Listening for your keys");
      // Armed only if this prompt is still the current one when the speech ends.
      speaking.then(() => {
        if (state === data) gatherTimer = setTimeout(() => api("/phone/api/silence"), data.gather.timeout * 1000);
      });
      if (data.in_queue) pollTimer = setInterval(poll, 2000);
    } else if (data.waiting === "Record") {
      status("Recording — speak after the tone");
    } else if (data.in_queue || data.waiting === "Enqueue") {
      status("On hold");
      pollTimer = setInterval(poll, 2000);
      speaking.then(() => setTimeout(() => { if (!busy) api("/phone/api/continue?hold=1"); }, 4000));
    }
  }

  function poll() { if (!busy) api("/phone/api/continue"); }

  keys.forEach((k) => k.addEventListener("click", () => press(k.dataset.key)));
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || !state || state.ended) return;
    if (/^[0-9*#]$/.test(e.key)) { press(e.key); e.preventDefault(); }
  });

  function press(key) {
    if (!state || state.ended) return;
    if (state.waiting === "Record") { if (key === "#" && recording) stopMic(); return; }
    if (state.waiting !== "Gather") return;
    clearTimeout(gatherTimer);
    speechSynthesis && speechSynthesis.cancel(); speaking = Promise.resolve();
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
    $("heard").innerHTML = ""; next = 0; status("Calling…");
    api("/phone/api/call", {});  // the server places it from this user's demo number
  });
  // A callback the page answered (ringing.js): its call goes on here like one placed with Call.
  document.addEventListener("webphone:answered", (e) => { $("heard").innerHTML = ""; next = 0; show(e.detail); });
  $("hangup").addEventListener("click", () => { you("You hung up"); api("/phone/api/hangup"); });

  // --- recording: microphone to WAV, or a chosen file ---
  let recording = null;
  $("mic").addEventListener("click", () => recording ? stopMic() : startMic());
  $("wav").addEventListener("change", (e) => {
    const file = e.target.files[0]; if (file) upload(file, file.name);
  });
  async function startMic() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      const ctx = new AudioContext(); const src = ctx.createMediaStreamSource(stream);
      const node = ctx.createScriptProcessor(4096, 1, 1); const chunks = [];
      node.onaudioprocess = (ev) => chunks.push(new Float32Array(ev.inputBuffer.getChannelData(0)));
      src.connect(node); node.connect(ctx.destination);
      recording = {stream, ctx, node, chunks};
      $("mic").textContent = "Stop"; $("mic").classList.add("recording"); status("Recording… speak now");
    } catch (err) { status("The microphone is not available: choose a WAV file instead."); }
  }
  function stopMic() {
    const r = recording; recording = null;
    r.node.disconnect(); r.stream.getTracks().forEach((t) => t.stop());
    $("mic").textContent = "Start microphone"; $("mic").classList.remove("recording");
    const blob = toWav(r.chunks, r.ctx.sampleRate, 16000); r.ctx.close();
    upload(blob, "microphone.wav");
  }
  function toWav(chunks, rate, target) {
    const n = chunks.reduce((a, c) => a + c.length, 0), data = new Float32Array(n);
    let o = 0; chunks.forEach((c) => { data.set(c, o); o += c.length; });
    const step = rate / target, len = Math.floor(n / step), pcm = new Int16Array(len);
    for (let i = 0; i < len; i++) {
      const s = Math.max(-1, Math.min(1, data[Math.floor(i * step)]));
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
  function upload(blob, name) {
    const form = new FormData(); form.append("audio", blob, name); form.append("since", next);
    you("You spoke (" + name + ")"); status("Sending your recording…");
    api("/phone/api/record?since=" + next, form, true);
  }
})();
