// Explore mode: draws the neighbourhood the server embedded in the page (#graf-data) with
// Cytoscape, expands a node's neighbours from /api/graf when it is clicked, and exports the
// current view as PNG, SVG or CSV. Without this file the page shows the same content as a
// table, whose links re-centre the view.
(function () {
  "use strict";
  var container = document.getElementById("graf");
  var source = document.getElementById("graf-data");
  if (!container || !source || !window.cytoscape) { return; }
  var data = JSON.parse(source.textContent);
  var panel = document.getElementById("nodpanel");
  var status = document.getElementById("grafstatus");
  var form = document.getElementById("utforskaform");
  container.hidden = false;
  panel.hidden = false;
  document.getElementById("grafverktyg").hidden = false;

  var style = [
    { selector: "node", style: {
      "label": "data(kort)", "font-size": 10, "color": "#1b1b1b", "text-valign": "bottom", "text-margin-y": 3,
      "text-wrap": "wrap", "text-max-width": 120, "width": 22, "height": 22, "border-width": 1, "border-color": "#1b1b1b",
      "min-zoomed-font-size": 7 } },
    { selector: "node[?centrum]", style: { "width": 34, "height": 34, "font-weight": "bold" } },
    { selector: "node.lucka-berord", style: { "border-width": 4, "border-style": "dashed", "border-color": "#c62828" } },
    { selector: "node:selected", style: { "border-width": 5, "border-color": "#f0b400" } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#8a8a8a", "target-arrow-color": "#8a8a8a", "target-arrow-shape": "triangle",
      "curve-style": "bezier", "label": "data(label)", "font-size": 8, "color": "#4a4a4a", "text-rotation": "autorotate",
      "min-zoomed-font-size": 7 } }
  ];
  Object.keys(data.stil).forEach(function (kind) {
    style.push({ selector: "node[kind = '" + kind + "']",
                 style: { "background-color": data.stil[kind].colour, "shape": data.stil[kind].shape } });
  });

  function prepare(elements) {
    elements.forEach(function (el) {
      if (el.group === "nodes") {
        var label = el.data.label;
        el.data.kort = label.length > 40 ? label.slice(0, 39) + "…" : label;
        if (el.data.luckor && el.data.luckor.length) { el.classes = "lucka-berord"; }
      }
    });
    return elements;
  }

  var cy = window.cytoscape({ container: container, elements: prepare(data.elements), style: style,
                              minZoom: 0.1, maxZoom: 3,
                              // Software-rendered canvases (no GPU) stay responsive at a few hundred nodes.
                              pixelRatio: 1, textureOnViewport: true, hideEdgesOnViewport: true });
  window.utforska = { cy: cy };

  function layout() {
    // cose keeps a few hundred nodes apart; concentric is quicker and tidy for small views.
    var many = cy.nodes().length > 60;
    cy.layout(many ? { name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 90, numIter: 1500 }
                   : { name: "concentric", animate: false, minNodeSpacing: 30,
                       concentric: function (n) { return n.data("centrum") ? 2 : 1; }, levelWidth: function () { return 1; } }).run();
  }

  function report() {
    var text = cy.nodes().length + " noder och " + cy.edges().length + " samband.";
    status.textContent = text;
    container.setAttribute("aria-label", "Grafvy med " + cy.nodes().length + " noder. Samma innehåll finns som tabell nedanför.");
    container.dataset.noder = String(cy.nodes().length);
  }

  function showPanel(node) {
    var d = node.data();
    panel.innerHTML = "";
    var h = document.createElement("h3"); h.textContent = d.label; panel.appendChild(h);
    var p = document.createElement("p"); p.textContent = d.slag; panel.appendChild(p);
    if (d.luckor && d.luckor.length) {
      var g = document.createElement("p"); g.className = "gaptext"; g.textContent = "Ansvarslucka: " + d.luckor.join("; ");
      panel.appendChild(g);
    }
    if (d.href) {
      var a = document.createElement("a"); a.href = d.href; a.textContent = "Öppna sidan för " + d.label;
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
        cy.add(fresh);
        if (form) {  // the expanded node goes into the form, so "Visa" keeps it under new filters
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = "nod"; hidden.value = d.nod;
          form.appendChild(hidden);
        }
        layout();
        report();
      })
      .catch(function () { container.removeAttribute("aria-busy"); status.textContent = "Grannarna kunde inte hämtas."; });
  }

  cy.on("tap", "node", function (event) {
    showPanel(event.target);
    expand(event.target);
  });

  // --- exports, generated in the browser -------------------------------------------------
  function download(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function csvCell(value) {
    var text = value === undefined || value === null ? "" : String(value);
    return /[",\n;]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csv() {
    var rows = [["typ", "id", "namn", "slag", "från", "till", "samband", "ansvarslucka"]];
    cy.nodes().forEach(function (n) {
      var d = n.data();
      rows.push(["nod", d.id, d.label, d.slag, "", "", "", (d.luckor || []).join("; ")]);
    });
    cy.edges().forEach(function (e) {
      var d = e.data();
      rows.push(["samband", d.id, "", "", d.source, d.target, d.label, ""]);
    });
    return "\ufeff" + rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n") + "\r\n";
  }

  function escapeXml(text) {
    return String(text).replace(/[<>&"]/g, function (c) { return { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" }[c]; });
  }

  function svg() {
    // Written here from Cytoscape's layout: cytoscape-svg is GPL-licensed and not vendored.
    var box = cy.elements().boundingBox();
    var pad = 40, parts = [];
    var w = Math.ceil(box.w + 2 * pad), h = Math.ceil(box.h + 2 * pad);
    var dx = pad - box.x1, dy = pad - box.y1;
    parts.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h +
               '" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>');
    cy.edges().forEach(function (e) {
      var s = e.source().position(), t = e.target().position();
      parts.push('<line x1="' + (s.x + dx) + '" y1="' + (s.y + dy) + '" x2="' + (t.x + dx) + '" y2="' + (t.y + dy) +
                 '" stroke="#8a8a8a" stroke-width="1.5"><title>' + escapeXml(e.data("label")) + "</title></line>");
    });
    cy.nodes().forEach(function (n) {
      var p = n.position(), size = n.width(), kind = n.data("kind");
      var colour = (data.stil[kind] || data.stil.ovrigt).colour;
      var points = data.former[(data.stil[kind] || data.stil.ovrigt).shape];
      var x = p.x + dx - size / 2, y = p.y + dy - size / 2, scale = size / 16;
      var border = n.hasClass("lucka-berord") ? ' stroke="#c62828" stroke-width="3" stroke-dasharray="4 2"' : ' stroke="#1b1b1b"';
      if (points) {
        var scaled = points.split(" ").map(function (pair) {
          var xy = pair.split(","); return (x + xy[0] * scale) + "," + (y + xy[1] * scale);
        }).join(" ");
        parts.push('<polygon points="' + scaled + '" fill="' + colour + '"' + border + "/>");
      } else {
        parts.push('<circle cx="' + (p.x + dx) + '" cy="' + (p.y + dy) + '" r="' + size / 2 + '" fill="' + colour + '"' + border + "/>");
      }
      parts.push('<text x="' + (p.x + dx) + '" y="' + (p.y + dy + size / 2 + 11) + '" font-size="10" text-anchor="middle">' +
                 escapeXml(n.data("kort")) + "</text>");
    });
    parts.push("</svg>");
    return parts.join("\n");
  }

  document.querySelectorAll("[data-export]").forEach(function (button) {
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-export");
      if (kind === "png") {
        download(cy.png({ output: "blob", full: true, bg: "#ffffff", scale: 2 }), "ansvarsgraf-vy.png");
      } else if (kind === "svg") {
        download(new Blob([svg()], { type: "image/svg+xml" }), "ansvarsgraf-vy.svg");
      } else {
        download(new Blob([csv()], { type: "text/csv;charset=utf-8" }), "ansvarsgraf-vy.csv");
      }
    });
  });

  layout();
  report();
})();
