// The flow map: the steps of the flow as boxes (what the caller hears, in the chosen language,
// and the IVR report's figures), the options as labelled arrows. dagre (vendor/, MIT) places the
// boxes and the arrows' labels so that none overlaps another; this file measures the text, asks
// dagre for the layout and draws it as SVG. The page lists the same facts as text below the map.
(function () {
  "use strict";
  const source = document.getElementById("flowmap-data");
  const svg = document.getElementById("flowmap");
  if (!source || !svg || typeof dagre === "undefined") return;
  const data = JSON.parse(source.textContent);
  const select = document.getElementById("fm-lang");
  const NS = "http://www.w3.org/2000/svg";
  const BOX_W = 260, PAD = 10, EDGE_W = 190;
  // Line heights: one and a half times the font size (flowmap.css), room for Korean glyphs too.
  const LINE = { kind: 18, heard: 21, figures: 20, survey: 20, "edge-label": 18, "broken-label": 20 };
  const COLOUR = { menu: "menu", say: "say", capture: "capture", record: "capture", queue: "queue" };

  function make(name, attrs, parent, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // Words of text in lines no wider than width, measured in the class's font as drawn.
  function wrap(text, width, cls) {
    const probe = make("text", { class: cls, x: 0, y: -100 }, svg);
    const lines = [];
    let line = "";
    for (const word of String(text).split(/\s+/).filter(Boolean)) {
      const longer = line ? line + " " + word : word;
      probe.textContent = longer;
      if (line && probe.getComputedTextLength() > width) {
        lines.push(line);
        line = word;
      } else {
        line = longer;
      }
    }
    if (line) lines.push(line);
    let widest = 0;
    for (const l of lines) {
      probe.textContent = l;
      widest = Math.max(widest, probe.getComputedTextLength());
    }
    probe.remove();
    return { lines: lines.length ? lines : [""], width: widest };
  }

  function boxOf(node, lang) {
    const kind = node.kind + (node.queue[lang] ? ": " + node.queue[lang] : "");
    const parts = [{ cls: "kind", lines: wrap(kind, BOX_W - 2 * PAD, "kind").lines },
                   { cls: "heard", lines: wrap(node.short[lang] || "(nothing to hear in this language)",
                                               BOX_W - 2 * PAD, "heard").lines }];
    if (node.sms && node.sms[lang]) {  // an information message also sent by text (issue 19)
      const sms = node.sms[lang].length > 90 ? node.sms[lang].slice(0, 88) + "…" : node.sms[lang];
      parts.push({ cls: "kind", lines: wrap(sms, BOX_W - 2 * PAD, "kind").lines });
    }
    if (node.survey && node.survey[lang]) {  // the question after the call (caller survey)
      parts.push({ cls: "survey", lines: wrap("Then asked: " + node.survey[lang], BOX_W - 2 * PAD, "survey").lines });
    }
    const fig = data.figures && data.figures[node.id];
    if (fig) parts.push({ cls: "figures", lines: [fig.entered + " reached",
                                                  fig.hangups + " hung up here (" + fig.drop_off + ")"] });
    const height = 2 * PAD + parts.reduce((h, p) => h + p.lines.length * LINE[p.cls], 0) + 4;
    return { width: BOX_W, height: height, parts: parts, node: node };
  }

  function drawLines(group, parts, x, top, anchor) {
    let y = top;
    for (const part of parts) {
      for (const line of part.lines) {
        y += LINE[part.cls];
        make("text", { class: part.cls, x: x, y: y - 5, "text-anchor": anchor }, group, line);
      }
    }
  }

  function draw(lang) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "LR", nodesep: 22, ranksep: 46, edgesep: 12, marginx: 16, marginy: 16 });
    for (const node of data.nodes) g.setNode(node.id, boxOf(node, lang));
    data.edges.forEach(function (edge, i) {
      let target = edge.target;
      if (edge.broken) {  // a made-up box for the step the option names, drawn in red
        target = "?" + i;
        const lines = wrap(edge.target + "? No step has that name.", 160, "broken-label").lines;
        g.setNode(target, { width: 180, height: 2 * PAD + lines.length * LINE["broken-label"],
                            parts: [{ cls: "broken-label", lines: lines }], broken: true });
      }
      const label = wrap(edge.label[lang] || "", EDGE_W, "edge-label");
      g.setEdge(edge.source, target, { width: label.width + 8, height: label.lines.length * LINE["edge-label"] + 4,
                                       labelpos: "c", lines: label.lines, broken: edge.broken }, "e" + i);
    });
    dagre.layout(g);
    const size = g.graph();
    svg.setAttribute("width", Math.ceil(size.width));
    svg.setAttribute("height", Math.ceil(size.height));
    const defs = make("defs", {}, svg);
    const marker = make("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, orient: "auto",
                                    markerUnits: "userSpaceOnUse", markerWidth: 10, markerHeight: 10 }, defs);
    make("path", { d: "M0,0 L10,5 L0,10 z" }, marker);
    const edges = g.edges().map((e) => g.edge(e));
    for (const edge of edges) {  // every line first, then the labels above them all
      const group = make("g", { class: "edge" + (edge.broken ? " broken" : "") }, svg);
      const d = edge.points.map((p, i) => (i ? "L" : "M") + p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" ");
      make("path", { d: d, "marker-end": "url(#arrow)" }, group);
    }
    for (const edge of edges) {
      const group = make("g", { class: "edge edge-text" }, svg);
      const h = edge.lines.length * LINE["edge-label"];
      make("rect", { class: "label-bg", x: edge.x - edge.width / 2, y: edge.y - h / 2 - 2,
                     width: edge.width, height: h + 4, rx: 3 }, group);
      drawLines(group, [{ cls: "edge-label", lines: edge.lines }], edge.x, edge.y - h / 2, "middle");
    }
    for (const id of g.nodes()) {
      const box = g.node(id);
      const n = box.node;
      const classes = box.broken ? "node broken" : "node " + (COLOUR[n.action] || "other") +
        (n.missing.length ? " missing" : "") + (n.reachable ? "" : " unreachable");
      const group = make("g", { class: classes, "data-node": box.broken ? "" : id }, svg);
      if (n) {
        let title = (n.heard[lang] || "") + " (" + n.kind + ", step " + n.id + ")";
        if (n.missing.length) title += ". No text in: " + n.missing.join(", ");
        if (!n.reachable) title += ". No caller can reach this step.";
        make("title", {}, group, title);
      }
      const left = box.x - box.width / 2, top = box.y - box.height / 2;
      make("rect", { x: left, y: top, width: box.width, height: box.height, rx: 8 }, group);
      drawLines(group, box.parts, left + PAD, top + PAD, "start");
    }
  }

  function show(lang) {
    draw(lang);
    for (const text of svg.querySelectorAll("text.heard, .edge-label")) text.setAttribute("lang", lang);
    for (const list of document.querySelectorAll(".fm-steps")) list.hidden = list.dataset.lang !== lang;
    const url = new URL(window.location.href);
    url.searchParams.set("lang", lang);
    if (window.location.pathname === url.pathname) window.history.replaceState(null, "", url);
  }

  const box = document.getElementById("flowmap-box");
  if (box) box.hidden = false;  // without script the page shows the list alone
  if (select) select.addEventListener("change", () => show(select.value));
  show(select ? select.value : data.lang);
})();
