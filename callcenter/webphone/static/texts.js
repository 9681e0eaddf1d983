// Text messages Jobline sends this web phone (information by SMS): ask the server every two
// seconds for those that arrived, and list them as a phone shows them, newest last.
(() => {
  const list = document.getElementById("texts"), none = document.getElementById("texts-none");
  let asking = false;

  function show(text) {
    const item = document.createElement("li");
    const from = document.createElement("strong");
    from.textContent = "Text message from " + text.from + ": ";
    item.append(from, document.createTextNode(text.body));
    list.append(item);
    none.hidden = true;
  }

  async function poll() {
    if (asking) return;
    asking = true;
    try {
      const r = await fetch("/phone/api/texts", {headers: {"Accept": "application/json"}});
      if (r.ok) (await r.json()).texts.forEach(show);
    } catch (err) { /* the next poll tries again */ } finally { asking = false; }
  }

  setInterval(poll, 2000);
  poll();
})();
