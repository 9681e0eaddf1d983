// Information by text message on the desk (issue 19): on a call answered from the queue, the
// adviser picks one of the flow's messages (in the caller's language, never free text) and sends
// it; when none can go (withheld number, the daily limit, texts not set up) the reason is shown.
(() => {
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== null && v !== undefined) e.setAttribute(k, v); });
    children.forEach((c) => e.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return e;
  }

  async function call(method, path, body) {
    const r = await fetch(path, { method, credentials: "same-origin",
      headers: { "X-CSRFToken": CSRF, Accept: "application/json", "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined });
    const data = await r.json().catch(() => ({ error: `The server answered ${r.status}.` }));
    if (!r.ok) throw new Error(data.error || `The server answered ${r.status}.`);
    return data;
  }

  const STATUS = { requested: "being sent", queued: "sent to Twilio", accepted: "sent to Twilio", sending: "sending",
                   sent: "sent", delivered: "delivered", undelivered: "not delivered", failed: "failed" };

  async function fill(box, entryId) {
    let data;
    try { data = await call("GET", `/api/calls/${entryId}/texts`); } catch (e) { box.replaceChildren(); return; }
    if (!data.messages.length) { box.replaceChildren(); return; }
    const title = el("div", { class: "label", id: "texts-title" }, "Send information by text message");
    const sent = data.sent.map((t) => el("li", {}, `${(data.messages.find((m) => m.message === t.message) || t).label || t.message}: ${STATUS[t.status] || t.status}`));
    const parts = [title];
    if (data.cannot_send) {
      parts.push(el("p", { class: "muted", id: "texts-why" }, data.cannot_send));
    } else {
      const choice = el("select", { id: "text-message", "aria-labelledby": "texts-title" },
        ...data.messages.map((m) => el("option", { value: m.message, title: m.text }, m.label)));
      const send = el("button", { type: "button", id: "text-send" }, "Send by text");
      const preview = el("p", { class: "sub", id: "text-preview" }, data.messages[0].text);
      choice.addEventListener("change", () => {
        preview.textContent = data.messages.find((m) => m.message === choice.value).text;
      });
      send.addEventListener("click", async () => {
        send.disabled = true;
        try {
          await call("POST", `/api/calls/${entryId}/texts`, { message: choice.value });
          box.dataset.note = "The text is on its way to the caller's phone.";
        } catch (e) { box.dataset.note = e.message; }
        fill(box, entryId);
      });
      parts.push(el("div", { class: "text-send" }, choice, send), preview);
    }
    if (box.dataset.note) parts.push(el("p", { role: "status", id: "texts-note" }, box.dataset.note));
    if (sent.length) parts.push(el("ul", { class: "texts-sent", "aria-label": "Texts sent on this call" }, ...sent));
    box.replaceChildren(...parts);
  }

  window.joblineTexts = { fill };
})();
