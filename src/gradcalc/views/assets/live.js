// gradcalc's page: steps through the forward and backward passes on the SVG that Graphviz drew.
// No layout happens here: drawn nodes are found by their <title> (n3 wire, g3 gate, s3 split, b3_0
// branch, o3 boxes-style operation) and only CSS classes change. Every text and number comes from the
// page's data, written by gradcalc; nothing here computes a value. Text is set with textContent only.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("gc-config").textContent);
  var state = JSON.parse(document.getElementById("gc-state").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var picture = $("gc-picture");
  var data = null;        // the current result's data (null while there is none)
  var step = 0;           // index into data.steps
  var valueAt = [];       // node -> the step that computes its value
  var gradAt = [];        // node -> the step that computes its gradient
  var byNode = [];        // node -> {wire, gate, split, branches: [<g>], edges: [{g, from, to}]}
  var edges = [];         // {g, from, to}: drawn edges and the nodes at their ends
  var inspected = null;   // the node in the inspector
  var timer = null;
  var PLAY_MS = 1100;
  window.gcUpdates = [];  // (for tests and curious readers) when each pushed state reached the page

  function nodeOf(name) {
    var m = /^[ngsbo](\d+)/.exec(name);
    return m ? parseInt(m[1], 10) : -1;
  }

  function endName(text) {  // "n0:e" -> "n0"
    return text.trim().split(":")[0];
  }

  // A wire is two numbers and a thin line: clicks between them would miss it. A transparent rectangle
  // over each node's box (changing no layout) makes the whole box clickable. All boxes are measured
  // before any rectangle is added, so the browser lays the picture out once, not once per node.
  function addHitAreas(groups) {
    var boxes = groups.map(function (g) { return g.getBBox(); });
    groups.forEach(function (g, i) {
      var box = boxes[i];
      var rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      rect.setAttribute("x", String(box.x - 2));
      rect.setAttribute("y", String(box.y - 2));
      rect.setAttribute("width", String(box.width + 4));
      rect.setAttribute("height", String(box.height + 4));
      rect.setAttribute("class", "gc-hit");
      g.insertBefore(rect, g.firstChild);
    });
  }

  function index() {
    byNode = data.nodes.map(function () { return {wire: null, gate: null, split: null, branches: [], edges: []}; });
    edges = [];
    var colors = data.colors;
    var groups = picture.querySelectorAll("g.node, g.edge");
    var clickable = [];
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i];
      var title = g.querySelector("title");
      if (!title) continue;
      var name = title.textContent;
      if (g.classList.contains("edge")) {
        var ends = name.split("->");
        if (ends.length !== 2) continue;
        var e = {g: g, from: nodeOf(endName(ends[0])), to: nodeOf(endName(ends[1]))};
        edges.push(e);
        if (e.from >= 0 && e.from < byNode.length) byNode[e.from].edges.push(e);
        if (e.to >= 0 && e.to < byNode.length && e.to !== e.from) byNode[e.to].edges.push(e);
        continue;
      }
      var k = nodeOf(name);
      if (k < 0 || k >= byNode.length) continue;
      g.setAttribute("data-node", String(k));
      g.classList.add("gc-clickable");
      clickable.push(g);
      var texts = g.querySelectorAll("text");
      for (var t = 0; t < texts.length; t++) {
        var fill = (texts[t].getAttribute("fill") || "").toLowerCase();
        if (fill === colors.value.toLowerCase()) texts[t].classList.add("gc-v");
        if (fill === colors.grad.toLowerCase()) texts[t].classList.add("gc-g");
      }
      var el = data.nodes[k].elements;
      if (name === el.wire) byNode[k].wire = g;
      else if (name === el.gate) byNode[k].gate = g;
      else if (name === el.split) byNode[k].split = g;
      else byNode[k].branches.push(g);
    }
    addHitAreas(clickable);
    valueAt = data.nodes.map(function () { return 0; });
    gradAt = data.nodes.map(function () { return 0; });
    data.steps.forEach(function (s, n) {
      s.nodes.forEach(function (k) {
        if (s.phase === "forward") valueAt[k] = n;
        if (s.phase === "backward") gradAt[k] = n;
      });
    });
  }

  function groupsOf(k) {
    var b = byNode[k];
    return [b.wire, b.gate, b.split].concat(b.branches).filter(function (g) { return g; });
  }

  function setClass(g, name, on) { if (g) g.classList.toggle(name, !!on); }

  function show() {
    if (!data) return;
    var s = data.steps[step];
    var done = s.phase === "done";
    var current = {};
    s.nodes.forEach(function (k) { current[k] = true; });
    for (var k = 0; k < byNode.length; k++) {
      var hasValue = done || (valueAt[k] > 0 && valueAt[k] <= step);
      var hasGrad = done || (gradAt[k] > 0 && gradAt[k] <= step);
      groupsOf(k).forEach(function (g) {
        setClass(g, "gc-novalue", !hasValue);
        setClass(g, "gc-nograd", !hasGrad);
        setClass(g, "gc-dim", !hasValue);
        setClass(g, "gc-current", false);
        setClass(g, "gc-source", false);
      });
    }
    edges.forEach(function (e) {
      var lit = done || (e.from >= 0 && e.to >= 0 && valueAt[e.from] <= step && valueAt[e.to] <= step &&
        valueAt[e.from] > 0 && valueAt[e.to] > 0);
      setClass(e.g, "gc-dim", !lit);
      setClass(e.g, "gc-current", false);
    });
    s.nodes.forEach(function (k) {
      var b = byNode[k];
      if (s.phase === "forward") {
        [b.gate || b.wire, b.wire].forEach(function (g) { setClass(g, "gc-current", true); });
        b.edges.forEach(function (e) { if (e.to === k && (b.gate || e.from === k)) setClass(e.g, "gc-current", true); });
      } else if (s.phase === "backward") {
        groupsOf(k).forEach(function (g) { if (g !== b.gate) setClass(g, "gc-current", true); });
        if (data.nodes[k].output && b.gate) setClass(b.gate, "gc-current", true);
        data.nodes[k].terms.forEach(function (t) {
          var c = byNode[t.consumer];
          setClass(c.gate, "gc-source", true);
          b.edges.forEach(function (e) { if (e.from === k && e.to === t.consumer) setClass(e.g, "gc-current", true); });
          c.edges.forEach(function (e) { if (e.from === k && e.to === t.consumer) setClass(e.g, "gc-current", true); });
        });
      }
    });
    var phase = $("gc-phase");
    var forward = data.steps.filter(function (x) { return x.phase === "forward"; }).length;
    var backward = data.steps.filter(function (x) { return x.phase === "backward"; }).length;
    var label = {ready: "Ready", forward: "Forward pass", backward: "Backward pass", done: "Done"}[s.phase];
    if (s.phase === "forward") label += " · step " + step + " of " + forward;
    if (s.phase === "backward") label += " · step " + (step - forward) + " of " + backward;
    phase.textContent = label;
    phase.className = "phase " + s.phase;
    document.body.setAttribute("data-phase", s.phase);
    document.body.setAttribute("data-step", String(step));
    $("gc-says").textContent = s.text;
    $("gc-back").disabled = step === 0;
    $("gc-step").disabled = done;
    if (inspected !== null) inspect(inspected);
  }

  function go(n) {
    if (!data) return;
    step = Math.max(0, Math.min(data.steps.length - 1, n));
    show();
  }

  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("gc-play").textContent = "▶ Play";
  }

  function play() {
    if (!data) return;
    if (timer !== null) { pause(); return; }
    if (step >= data.steps.length - 1) go(0);
    $("gc-play").textContent = "⏸ Pause";
    timer = setInterval(function () {
      if (step >= data.steps.length - 1) { pause(); return; }
      go(step + 1);
    }, PLAY_MS);
    go(step + 1);
  }

  function line(parent, tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    parent.appendChild(el);
    return el;
  }

  function inspect(k) {
    var box = $("gc-inspector");
    inspected = k;
    var picked = picture.querySelectorAll(".gc-selected");
    for (var i = 0; i < picked.length; i++) picked[i].classList.remove("gc-selected");
    if (k === null || !data || k >= data.nodes.length) { box.hidden = true; inspected = null; return; }
    groupsOf(k).forEach(function (g) { g.classList.add("gc-selected"); });
    var n = data.nodes[k];
    box.textContent = "";
    var head = line(box, "h2", n.label + "  ");
    var kind = n.kind === "gate" ? "gate " + n.symbol + (n.symbol === n.op ? "" : " (" + n.op + ")") : n.kind;
    line(head, "span", kind + (n.output ? ", the output" : ""), "kind");
    var close = line(head, "button", "×", "close");
    close.type = "button";
    close.title = "close (Esc)";
    close.addEventListener("click", function () { inspect(null); });
    var dl = document.createElement("dl");
    box.appendChild(dl);
    function row(term, text, cls) {
      line(dl, "dt", term);
      var dd = line(dl, "dd", "", cls);
      (Array.isArray(text) ? text : [text]).forEach(function (t) { line(dd, "div", t); });
    }
    if (n.inputs.length) row("inputs", n.inputs.map(function (a) { return a.label + " = " + a.value; }).join(", "));
    row("value", n.computed, "value");
    if (n.partials.length) row("local partials", n.partials.map(function (p) { return p.text; }));
    row("gradient", n.chain, "grad");
    if (n.terms.length > 1) {
      row("paths", n.terms.map(function (t) {
        return "via " + data.nodes[t.consumer].label + ": " + t.symbolic + " = " + t.numeric + " = " + t.contribution;
      }), "grad");
    }
    box.hidden = false;
  }

  function showState(next) {
    $("gc-error").hidden = true;
    $("gc-empty").hidden = true;
    picture.classList.remove("gc-stale");
    if (next.kind === "error") {
      $("gc-error").textContent = next.message;
      $("gc-error").hidden = false;
      picture.classList.toggle("gc-stale", !!data);
      $("gc-says").textContent = data ? "The program has an error; the picture is the last one that worked." : "";
      return;
    }
    if (next.kind !== "result") {
      $("gc-empty").textContent = next.message || "";
      $("gc-empty").hidden = false;
      return;
    }
    var atEnd = !data || step >= data.steps.length - 1;
    if (next.svg !== undefined) picture.innerHTML = next.svg;  // Graphviz's SVG, from our own server
    var svg = picture.querySelector("svg");
    if (svg) { svg.removeAttribute("width"); svg.removeAttribute("height"); svg.setAttribute("role", "img"); }
    data = next.data;
    var root = document.documentElement.style;  // the legend and inspector use the picture's own colours
    root.setProperty("--value", data.colors.value);
    root.setProperty("--grad", data.colors.grad);
    index();
    var n = data.steps.length;
    step = atEnd ? n - 1 : Math.min(step, n - 1);
    if (inspected !== null && inspected >= data.nodes.length) inspected = null;
    var out = data.nodes[data.output];
    $("gc-title").textContent = out.label + " = " + out.value + (data.expanded ? "  (expanded into primitive gates)" : "");
    var outs = document.querySelectorAll(".gc-out");
    for (var i = 0; i < outs.length; i++) outs[i].textContent = out.label;
    document.title = "gradcalc: " + out.label + " = " + out.value;
    show();
  }

  $("gc-reset").addEventListener("click", function () { pause(); go(0); });
  $("gc-back").addEventListener("click", function () { pause(); go(step - 1); });
  $("gc-step").addEventListener("click", function () { pause(); go(step + 1); });
  $("gc-play").addEventListener("click", play);
  picture.addEventListener("click", function (event) {
    var g = event.target.closest ? event.target.closest("g[data-node]") : null;
    inspect(g ? parseInt(g.getAttribute("data-node"), 10) : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var onButton = event.target && event.target.tagName === "BUTTON";
    if (event.key === "ArrowRight") { pause(); go(step + 1); }
    else if (event.key === "ArrowLeft") { pause(); go(step - 1); }
    else if (event.key === " " && !onButton) { play(); }
    else if (event.key === "Home") { pause(); go(0); }
    else if (event.key === "End") { pause(); if (data) go(data.steps.length - 1); }
    else if (event.key === "Escape") { inspect(null); }
    else return;
    event.preventDefault();
  });

  var version = state.version;
  state.svg = undefined;  // the first picture is already in the page
  showState(state);

  if (config.live && config.events && window.EventSource) {
    var status = $("gc-live");
    status.hidden = false;
    status.textContent = "connecting…";
    var source = new EventSource(config.events);
    source.onopen = function () { status.textContent = "● live"; status.className = "live-status on"; };
    source.onerror = function () { status.textContent = "reconnecting…"; status.className = "live-status off"; };
    source.onmessage = function (event) {
      var received = performance.now();
      var next = JSON.parse(event.data);
      if (next.version !== undefined && next.version === version) return;  // already shown
      version = next.version;
      showState(next);
      var now = performance.now();
      window.gcUpdates.push({version: next.version, at: performance.timeOrigin + now, pageMs: now - received});
    };
  }
})();
