// Explore mode: draws the graph the server embedded in the page (#graf-data, JSON) with
// Cytoscape in columns that read left to right – law → document → duty → actor →
// escalation – laid out by dagre (vendor/cytoscape-dagre). Clicking a node places its
// neighbours beside it (from /api/graf) without moving the rest; gaps and sources wait
// behind a toggle; the view exports as PNG, SVG or CSV with title, municipality, date and
// legend. Without this file the page shows the same content as a table.
// Works under a strict Content-Security-Policy: no inline script or style, no eval.
(function () {
  "use strict";
  var container = document.getElementById("graf");
  var source = document.getElementById("graf-data");
  if (!container || !source || !window.cytoscape) { return; }
  var data = JSON.parse(source.textContent);
  var panel = document.getElementById("nodpanel");
  var status = document.getElementById("grafstatus");
  var form = document.getElementById("utforskaform");
  var toggle = document.getElementById("visa-dolda");
  container.hidden = false;
  panel.hidden = false;
  document.querySelectorAll(".graph-tools").forEach(function (tools) { tools.hidden = false; });

  // Projector size: 16 px labels at zoom 1; the view is never fitted below READABLE_PROJECTOR, so a
  // label on the canvas is at least 14 px (a larger graph is panned instead of shrunk).
  var FONT = 16, READABLE_PROJECTOR = 0.9, LABEL_WIDTH = 190, PER_COLUMN = 5, PITCH = LABEL_WIDTH + 60;
  var hidden = data.dolda || [];

  var style = [
    { selector: "node", style: {
      "label": "data(visning)", "font-size": FONT, "color": "#1b1b1b", "text-valign": "bottom", "text-halign": "center",
      "text-margin-y": 4, "text-wrap": "wrap", "text-max-width": LABEL_WIDTH, "line-height": 1.2,
      "text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 2,
      "width": 28, "height": 28, "border-width": 1.5, "border-color": "#1b1b1b", "min-zoomed-font-size": 8 } },
    { selector: "node[?centrum]", style: { "width": 38, "height": 38, "font-weight": "bold" } },
    { selector: "node.lucka-berord", style: { "border-width": 4, "border-style": "dashed", "border-color": "#c62828" } },
    { selector: "node:selected", style: { "border-width": 5, "border-color": "#f0b400" } },
    { selector: "node.dold, edge.dold", style: { "display": "none" } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#8a8a8a", "target-arrow-color": "#8a8a8a", "target-arrow-shape": "triangle",
      "curve-style": "bezier", "font-size": 13, "color": "#333333", "text-rotation": "autorotate",
      "text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 2,
      "min-zoomed-font-size": 8 } },
    // Edge names only where they can be read: on a small graph, and around the chosen node.
    { selector: "edge.namngiven", style: { "label": "data(label)" } },
    { selector: "edge.hjalp", style: { "display": "none" } }
  ];
  Object.keys(data.stil).forEach(function (kind) {
    style.push({ selector: "node[kind = '" + kind + "']",
                 style: { "background-color": data.stil[kind].colour, "shape": data.stil[kind].shape } });
  });

  function prepare(elements) {
    elements.forEach(function (el) {
      if (el.group === "nodes") {
        el.data.visning = el.data.label;
        var classes = [];
        if (el.data.luckor && el.data.luckor.length) { classes.push("lucka-berord"); }
        if (hidden.indexOf(el.data.kind) !== -1 && !(toggle && toggle.checked)) { classes.push("dold"); }
        el.classes = classes.join(" ");
      }
    });
    return elements;
  }

  var cy = window.cytoscape({ container: container, elements: prepare(data.elements), style: style,
                              minZoom: 0.1, maxZoom: 3,
                              // Software-rendered canvases (no GPU) stay responsive at a few hundred nodes.
                              pixelRatio: 1, textureOnViewport: true, hideEdgesOnViewport: true });
  window.utforska = { cy: cy };

  function syncHidden() {
    var show = toggle && toggle.checked;
    cy.nodes().forEach(function (n) { n.toggleClass("dold", !show && hidden.indexOf(n.data("kind")) !== -1); });
    cy.edges().forEach(function (e) { e.toggleClass("dold", e.source().hasClass("dold") || e.target().hasClass("dold")); });
  }

  // Labels that would read the same get what tells them apart: the server adds document and
  // section; nodes that meet only here (after an expansion) get their kind, then a number.
  function distinguish() {
    var groups = {};
    cy.nodes().forEach(function (n) { (groups[n.data("label")] = groups[n.data("label")] || []).push(n); });
    Object.keys(groups).forEach(function (label) {
      var group = groups[label];
      var kinds = {};
      group.forEach(function (n) { kinds[n.data("kind")] = (kinds[n.data("kind")] || 0) + 1; });
      var count = {};
      group.forEach(function (n) {
        var text = label;
        if (group.length > 1 && Object.keys(kinds).length > 1) { text += " (" + n.data("slag") + ")"; }
        count[text] = (count[text] || 0) + 1;
        if (group.length > 1 && kinds[n.data("kind")] > 1 && count[text] > 1) { text += " (" + count[text] + ")"; }
        n.data("visning", text);
      });
    });
  }

  // --- layout -------------------------------------------------------------------------------
  // Each kind has its column (data.lager). dagre is given those columns as ranks; a column with
  // many nodes is spread over a few sub-columns so the picture stays wider than tall.
  function ranks(nodes) {
    var byLayer = {};
    nodes.forEach(function (n) { (byLayer[n.data("lager")] = byLayer[n.data("lager")] || []).push(n); });
    var layers = Object.keys(byLayer).map(Number).sort(function (a, b) { return a - b; });
    var rank = {}, next = 0;
    layers.forEach(function (layer) {
      var members = byLayer[layer].sort(function (a, b) { return a.data("visning").localeCompare(b.data("visning"), "sv"); });
      // A centre node stands alone in front of its own kind (a municipality before its boards).
      var centres = members.filter(function (n) { return n.data("centrum"); });
      var others = members.filter(function (n) { return !n.data("centrum"); });
      if (centres.length && others.length) {
        centres.forEach(function (n) { rank[n.id()] = next; });
        next += 1;
      } else { others = members; }
      var columns = Math.max(1, Math.ceil(others.length / PER_COLUMN));
      others.forEach(function (n, i) { rank[n.id()] = next + (i % columns); });
      next += columns;
    });
    return rank;
  }

  function runLayout(nodes) {
    // Measuring each label first: a node that was hidden has no label size cached yet, and
    // dagre would otherwise get it as a bare shape and place the next node on its label.
    nodes.forEach(function (n) { n.boundingBox({ includeLabels: true }); });
    var rank = ranks(nodes);
    var inside = {};
    nodes.forEach(function (n) { inside[n.id()] = true; });
    // dagre ranks along edge direction: each edge goes to dagre from its left column to its
    // right one (a reversed helper edge where the graph's own edge points back); edges within
    // a column only steer nothing and are left out.
    var helpers = [];
    var edges = cy.edges().filter(function (e) {
      if (!inside[e.source().id()] || !inside[e.target().id()]) { return false; }
      var s = rank[e.source().id()], t = rank[e.target().id()];
      if (s > t) { helpers.push({ group: "edges", classes: "hjalp", data: { id: "hjalp|" + e.id(), source: e.target().id(), target: e.source().id() } }); }
      return s < t;
    });
    var added = cy.add(helpers);
    var layout = nodes.union(edges).union(added).layout({
      name: "dagre", rankDir: "LR", nodeSep: 26, rankSep: 70, fit: false, animate: false,
      nodeDimensionsIncludeLabels: true,
      ranker: function (graph) {
        // Doubled, as dagre's own ranking leaves a rank free between columns for edge labels.
        graph.nodes().forEach(function (id) { graph.node(id).rank = id in rank ? 2 * rank[id] : -2; });
      },
      // dagre centres the node together with its label; Cytoscape positions the node itself:
      // lift each node by half its label so label and next node never meet.
      transform: function (node, position) {
        var box = node.boundingBox({ includeLabels: true, includeOverlays: false });
        return { x: position.x, y: position.y - (box.h - node.outerHeight()) / 2 };
      }
    });
    layout.run();
    cy.remove(added);
  }

  function visibleNodes() { return cy.nodes().not(".dold"); }

  function nameEdges(node) {
    var small = cy.edges().not(".dold").length <= 20;
    cy.edges().forEach(function (e) { e.toggleClass("namngiven", small || (node ? e.connectedNodes().contains(node) : false)); });
  }

  function fitReadable() {
    var nodes = visibleNodes();
    // A phone shows more of the picture at smaller type; the table below is its full text.
    var READABLE = container.clientWidth < 600 ? 0.6 : READABLE_PROJECTOR;
    cy.fit(nodes, 24);
    if (cy.zoom() < READABLE) {  // too big to fit readably: start at the top left (the law)
      var box = nodes.boundingBox();
      cy.zoom(READABLE);
      cy.pan({ x: 24 - box.x1 * READABLE, y: 24 - box.y1 * READABLE });
    }
    if (cy.zoom() > 1.3) { cy.zoom(1.3); cy.center(nodes); }
  }

  function layoutAll() {
    distinguish();
    syncHidden();
    runLayout(visibleNodes());
    nameEdges(null);
    fitReadable();
  }

  // New neighbours are laid out among themselves around the clicked node, which stays where it
  // is; nodes already shown in those columns move up or down just enough to make room.
  function placeBeside(node, fresh) {
    var before = { x: node.position("x"), y: node.position("y") };
    var old = cy.nodes().not(fresh).not(node).not(".dold");
    var group = fresh.not(".dold").union(node);
    var saved = {};
    old.forEach(function (n) { saved[n.id()] = { x: n.position("x"), y: n.position("y") }; });
    runLayout(group);
    var moved = node.position();
    var dx = before.x - moved.x, dy = before.y - moved.y;
    group.positions(function (n) { return { x: n.position("x") + dx, y: n.position("y") + dy }; });
    old.positions(function (n) { return saved[n.id()]; });
    // A new node of a kind already drawn joins that kind's nearest column.
    var columns = {};
    old.forEach(function (n) { (columns[n.data("lager")] = columns[n.data("lager")] || []).push(saved[n.id()].x); });
    fresh.not(".dold").forEach(function (n) {
      var xs = columns[n.data("lager")];
      if (!xs) { return; }
      var x = n.position("x");
      n.position("x", xs.reduce(function (best, c) { return Math.abs(c - x) < Math.abs(best - x) ? c : best; }, xs[0]));
    });
    insertColumns(fresh.not(".dold").filter(function (n) { return !columns[n.data("lager")]; }));
    var box = group.boundingBox({ includeLabels: true });
    var own = node.boundingBox({ includeLabels: true });
    var down = box.y2 - own.y2 + 30, up = own.y1 - box.y1 + 30;
    old.forEach(function (n) {
      var b = n.boundingBox({ includeLabels: true });
      if (b.x2 < box.x1 || b.x1 > box.x2) { return; }
      var p = n.position();
      n.position({ x: p.x, y: p.y >= before.y ? p.y + down : p.y - up });
    });
    // Fresh nodes hidden behind the toggle wait next to the clicked node until they are shown.
    fresh.filter(".dold").positions(function () { return { x: before.x, y: before.y }; });
  }

  // New nodes of a kind not yet drawn get their own column where that kind belongs in the
  // reading order; the columns to its right step aside (sideways only) if there is no room.
  function insertColumns(members) {
    var byLayer = {};
    members.forEach(function (n) { (byLayer[n.data("lager")] = byLayer[n.data("lager")] || []).push(n); });
    Object.keys(byLayer).map(Number).sort(function (a, b) { return a - b; }).forEach(function (layer) {
      var own = cy.collection(byLayer[layer]);
      var xs = own.map(function (n) { return n.position("x"); });
      var lo = Math.min.apply(null, xs), width = Math.max.apply(null, xs) - lo;
      var left = -Infinity, right = Infinity;
      cy.nodes().not(".dold").not(own).forEach(function (n) {
        var l = n.data("lager"), x = n.position("x");
        if (l < layer) { left = Math.max(left, x); } else if (l > layer) { right = Math.min(right, x); }
      });
      var start = left > -Infinity ? left + PITCH : (right < Infinity ? right - PITCH - width : lo);
      if (right < Infinity && start + width + PITCH > right) {
        var shift = start + width + PITCH - right;
        cy.nodes().not(own).forEach(function (n) { if (n.data("lager") > layer) { n.position("x", n.position("x") + shift); } });
      }
      own.forEach(function (n) { n.position("x", n.position("x") - lo + start); });
    });
  }

  function report() {
    var shown = visibleNodes().length, all = cy.nodes().length;
    var text = shown + " noder och " + cy.edges().not(".dold").length + " samband visas";
    if (shown < all) { text += " (" + (all - shown) + " ansvarsluckor och källor dolda)"; }
    status.textContent = text + ".";
    container.setAttribute("aria-label", "Grafvy med " + shown + " noder. Samma innehåll finns som tabell nedanför.");
    container.dataset.noder = String(all);
  }

  function showPanel(node) {
    var d = node.data();
    panel.textContent = "";
    var h = document.createElement("h3"); h.textContent = d.visning; panel.appendChild(h);
    var p = document.createElement("p"); p.textContent = d.slag; panel.appendChild(p);
    if (d.luckor && d.luckor.length) {
      var g = document.createElement("p"); g.className = "gaptext"; g.textContent = "Ansvarslucka: " + d.luckor.join("; ");
      panel.appendChild(g);
    }
    var list = document.createElement("ul");
    node.connectedEdges().forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e.source().same(node) ? e.data("label") + " → " + e.target().data("visning")
                                               : e.source().data("visning") + " → " + e.data("label");
      list.appendChild(li);
    });
    if (list.children.length) { panel.appendChild(list); }
    if (d.href) {
      var a = document.createElement("a"); a.href = d.href; a.textContent = "Öppna sidan för " + d.visning;
      var wrap = document.createElement("p"); wrap.appendChild(a); panel.appendChild(wrap);
    }
  }

  function filterQuery() {
    var params = new URLSearchParams();
    if (form) {
      ["kommun", "datum", "dokument", "lag"].forEach(function (name) {
        var field = form.elements[name];
        if (field && field.value) { params.set(name, field.value); }
      });
      form.querySelectorAll("input[name=slag]:checked").forEach(function (box) { params.append("slag", box.value); });
    } else {
      var here = new URLSearchParams(window.location.search);
      ["kommun", "datum"].forEach(function (name) { if (here.get(name)) { params.set(name, here.get(name)); } });
    }
    return params;
  }

  function expand(node) {
    var d = node.data();
    if (d.kind === "lucka" || d.kind === "eskalering" || node.scratch("expanded")) { return; }
    var params = filterQuery();
    params.append("nod", d.nod);
    container.setAttribute("aria-busy", "true");
    fetch("/api/graf?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (result) {
        container.removeAttribute("aria-busy");
        if (!result.elements) { status.textContent = result.fel || "Grannarna kunde inte hämtas."; return; }
        node.scratch("expanded", true);
        var fresh = prepare(result.elements).filter(function (el) { return cy.getElementById(el.data.id).empty(); });
        fresh.forEach(function (el) { if (el.data) { el.data.centrum = false; } });
        var added = cy.add(fresh);
        if (form) {  // the expanded node goes into the form, so "Visa" keeps it under new filters
          var input = document.createElement("input");
          input.type = "hidden"; input.name = "nod"; input.value = d.nod;
          form.appendChild(input);
        }
        distinguish();
        syncHidden();
        placeBeside(node, added.nodes());
        nameEdges(node);
        cy.center(node);
        report();
      })
      .catch(function () { container.removeAttribute("aria-busy"); status.textContent = "Grannarna kunde inte hämtas."; });
  }

  cy.on("tap", "node", function (event) {
    showPanel(event.target);
    nameEdges(event.target);
    expand(event.target);
  });

  if (toggle) {
    toggle.addEventListener("change", function () { layoutAll(); report(); });
  }
  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var how = button.getAttribute("data-zoom");
      if (how === "anpassa") { fitReadable(); return; }
      cy.zoom({ level: cy.zoom() * (how === "in" ? 1.25 : 0.8),
                renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } });
    });
  });

  layoutAll();
  report();
  window.utforska.layout = layoutAll;
  window.utforska.exportera = window.utforskaExport ? window.utforskaExport(cy, data) : null;
})();
