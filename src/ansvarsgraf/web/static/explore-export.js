// Exports of the explore view, made in the browser from what is drawn: PNG and SVG with a
// heading band (title, municipality, date) and a legend band, CSV with names (not IRIs) in
// two dialects – comma, and semicolon for Swedish Excel – both UTF-8 with BOM and the same
// heading rows. Loaded before explore.js, which calls window.utforskaExport(cy, data).
(function () {
  "use strict";
  var FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

  function today() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  }

  // The lines every export starts with.
  function heading(data) {
    return {
      title: data.titel,
      lines: ["Kommun: " + (data.kommun || "alla kommuner") + " · Datum i grafen: " + data.datum,
              "Ansvarsgraf, exporterad " + today()]
    };
  }

  function shownKinds(cy, data) {
    var present = {};
    cy.nodes().not(".dold").forEach(function (n) { present[n.data("kind")] = true; });
    return data.forklaring.filter(function (k) { return present[k.kind]; });
  }

  function fileName(data, ext) {
    var base = (data.titel || "ansvarsgraf").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
    return "ansvarsgraf-" + base + "-" + data.datum + "." + ext;
  }

  function download(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  // --- CSV ----------------------------------------------------------------------------------
  function csvCell(value, sep) {
    var text = value === undefined || value === null ? "" : String(value);
    return text.indexOf(sep) !== -1 || /["\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csv(cy, data, sep) {
    var head = heading(data);
    var rows = [[head.title], [head.lines[0]], [head.lines[1]], [],
                ["typ", "namn", "slag", "från", "samband", "till", "ansvarslucka", "sida"]];
    cy.nodes().forEach(function (n) {
      var d = n.data();
      rows.push(["nod", d.visning, d.slag, "", "", "", (d.luckor || []).join("; "), d.href ? location.origin + d.href : ""]);
    });
    cy.edges().not(".hjalp").forEach(function (e) {
      rows.push(["samband", "", "", e.source().data("visning"), e.data("label"), e.target().data("visning"), "", ""]);
    });
    return "\ufeff" + rows.map(function (r) { return r.map(function (c) { return csvCell(c, sep); }).join(sep); }).join("\r\n") + "\r\n";
  }

  // --- shared drawing of heading and legend ---------------------------------------------------
  var HEAD_H = 110, ROW_H = 30, PAD = 24;

  function legendRows(kinds, width, measure) {
    var rows = [[]], x = PAD;
    kinds.forEach(function (k) {
      var w = 26 + measure(k.label) + 28;
      if (x + w > width - PAD && rows[rows.length - 1].length) { rows.push([]); x = PAD; }
      rows[rows.length - 1].push({ kind: k, x: x });
      x += w;
    });
    return rows;
  }

  function shapePoints(points, x, y, size) {
    var scale = size / 16;
    return points.split(" ").map(function (pair) {
      var xy = pair.split(","); return [x + xy[0] * scale, y + xy[1] * scale];
    });
  }

  // --- PNG ------------------------------------------------------------------------------------
  // The graph is drawn at up to 2 px per unit, at most 6000 px on its long side (a canvas
  // larger than that fails in some browsers). Heading and legend are drawn at a fixed 2 px per
  // unit, not at the graph's scale: a large neighbourhood shrinks the graph, never the title,
  // municipality, date and legend (at the graph's scale they were 174 px tall for one municipality).
  var BAND_SCALE = 2;

  function png(cy, data) {
    var box = cy.elements().not(".dold").boundingBox();
    var scale = Math.min(2, 6000 / Math.max(box.w, box.h, 1));
    var graph = cy.png({ output: "blob", full: true, bg: "#ffffff", scale: scale });
    return createImageBitmap(graph).then(function (image) {
      var canvas = document.createElement("canvas");
      var ctx = canvas.getContext("2d");
      var width = Math.max(image.width / BAND_SCALE + 2 * PAD, 1000);  // in band units
      ctx.font = "18px " + FONT;
      var kinds = shownKinds(cy, data);
      var rows = legendRows(kinds, width, function (t) { return ctx.measureText(t).width; });
      var legendH = 46 + rows.length * ROW_H + 44;
      canvas.width = Math.ceil(width * BAND_SCALE);
      canvas.height = Math.ceil((HEAD_H + legendH) * BAND_SCALE + image.height);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, PAD * BAND_SCALE, HEAD_H * BAND_SCALE);
      var head = heading(data);
      ctx.save();
      ctx.scale(BAND_SCALE, BAND_SCALE);
      ctx.fillStyle = "#1b1b1b";
      ctx.textBaseline = "top";
      ctx.font = "bold 28px " + FONT;
      ctx.fillText(head.title, PAD, 18);
      ctx.font = "18px " + FONT;
      ctx.fillText(head.lines[0], PAD, 56);
      ctx.fillStyle = "#4a4a4a";
      ctx.fillText(head.lines[1], PAD, 80);
      ctx.fillStyle = "#c7c7c7";
      ctx.fillRect(0, HEAD_H - 2, width, 2);
      var top = HEAD_H + image.height / BAND_SCALE;
      ctx.fillRect(0, top + 4, width, 2);
      ctx.fillStyle = "#1b1b1b";
      ctx.font = "bold 20px " + FONT;
      ctx.fillText("Teckenförklaring", PAD, top + 16);
      ctx.font = "18px " + FONT;
      rows.forEach(function (row, i) {
        var y = top + 46 + i * ROW_H;
        row.forEach(function (item) {
          ctx.fillStyle = item.kind.colour;
          ctx.beginPath();
          if (item.kind.points) {
            shapePoints(item.kind.points, item.x, y, 20).forEach(function (p, j) { if (j) { ctx.lineTo(p[0], p[1]); } else { ctx.moveTo(p[0], p[1]); } });
            ctx.closePath();
          } else {
            ctx.arc(item.x + 10, y + 10, 9, 0, 2 * Math.PI);
          }
          ctx.fill();
          ctx.fillStyle = "#1b1b1b";
          ctx.fillText(item.kind.label, item.x + 26, y + 1);
        });
      });
      ctx.fillStyle = "#8a1212";
      ctx.fillText("Streckad röd kant: noden berörs av en ansvarslucka.", PAD, top + 46 + rows.length * ROW_H + 6);
      ctx.restore();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
    });
  }

  // --- SVG (written here: cytoscape-svg is GPL-licensed and not vendored) ----------------------
  function escapeXml(text) {
    return String(text).replace(/[<>&"]/g, function (c) { return { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" }[c]; });
  }

  function wrap(text, width) {
    var lines = [], line = "";
    String(text).split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function svg(cy, data) {
    var visible = cy.elements().not(".dold").not(".hjalp");
    var box = visible.boundingBox({ includeLabels: true });
    var kinds = shownKinds(cy, data);
    var width = Math.max(Math.ceil(box.w + 2 * PAD), 1000);
    var rows = legendRows(kinds, width, function (t) { return t.length * 9; });
    var legendH = 46 + rows.length * ROW_H + 44;
    var height = Math.ceil(HEAD_H + box.h + 2 * PAD + legendH);
    var dx = PAD - box.x1, dy = HEAD_H + PAD - box.y1;
    var head = heading(data);
    var parts = [];
    parts.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + width + '" height="' + height + '" viewBox="0 0 ' + width + " " + height +
               '" font-family="sans-serif"><title>' + escapeXml(head.title) + "</title>" +
               '<rect width="100%" height="100%" fill="#fff"/>');
    parts.push('<g class="rubrik"><text x="' + PAD + '" y="44" font-size="28" font-weight="bold">' + escapeXml(head.title) + "</text>" +
               '<text x="' + PAD + '" y="72" font-size="18">' + escapeXml(head.lines[0]) + "</text>" +
               '<text x="' + PAD + '" y="96" font-size="18" fill="#4a4a4a">' + escapeXml(head.lines[1]) + "</text></g>");
    visible.edges().forEach(function (e) {
      var s = e.source().position(), t = e.target().position();
      parts.push('<line x1="' + (s.x + dx) + '" y1="' + (s.y + dy) + '" x2="' + (t.x + dx) + '" y2="' + (t.y + dy) +
                 '" stroke="#8a8a8a" stroke-width="1.5"><title>' + escapeXml(e.data("label")) + "</title></line>");
    });
    visible.nodes().forEach(function (n) {
      var p = n.position(), size = n.width(), kind = n.data("kind");
      var style = data.stil[kind] || data.stil.ovrigt;
      var points = data.former[style.shape];
      var border = n.hasClass("lucka-berord") ? ' stroke="#c62828" stroke-width="3" stroke-dasharray="4 2"' : ' stroke="#1b1b1b"';
      if (points) {
        var scaled = shapePoints(points, p.x + dx - size / 2, p.y + dy - size / 2, size).map(function (q) { return q.join(","); }).join(" ");
        parts.push('<polygon points="' + scaled + '" fill="' + style.colour + '"' + border + "/>");
      } else {
        parts.push('<circle cx="' + (p.x + dx) + '" cy="' + (p.y + dy) + '" r="' + size / 2 + '" fill="' + style.colour + '"' + border + "/>");
      }
      var lines = wrap(n.data("visning"), 24);
      parts.push('<text x="' + (p.x + dx) + '" y="' + (p.y + dy + size / 2 + 18) + '" font-size="16" text-anchor="middle">' +
                 lines.map(function (l, i) { return '<tspan x="' + (p.x + dx) + '" dy="' + (i ? 19 : 0) + '">' + escapeXml(l) + "</tspan>"; }).join("") +
                 "</text>");
    });
    var top = HEAD_H + box.h + 2 * PAD;
    parts.push('<g class="teckenforklaring"><text x="' + PAD + '" y="' + (top + 32) + '" font-size="20" font-weight="bold">Teckenförklaring</text>');
    rows.forEach(function (row, i) {
      var y = top + 46 + i * ROW_H;
      row.forEach(function (item) {
        if (item.kind.points) {
          parts.push('<polygon points="' + shapePoints(item.kind.points, item.x, y, 20).map(function (q) { return q.join(","); }).join(" ") +
                     '" fill="' + item.kind.colour + '"/>');
        } else {
          parts.push('<circle cx="' + (item.x + 10) + '" cy="' + (y + 10) + '" r="9" fill="' + item.kind.colour + '"/>');
        }
        parts.push('<text x="' + (item.x + 26) + '" y="' + (y + 16) + '" font-size="18">' + escapeXml(item.kind.label) + "</text>");
      });
    });
    parts.push('<text x="' + PAD + '" y="' + (top + 46 + rows.length * ROW_H + 22) + '" font-size="18" fill="#8a1212">' +
               "Streckad röd kant: noden berörs av en ansvarslucka.</text></g>");
    parts.push("</svg>");
    return parts.join("\n");
  }

  window.utforskaExport = function (cy, data) {
    var api = {
      csv: function (sep) { return csv(cy, data, sep); },
      svg: function () { return svg(cy, data); },
      png: function () { return png(cy, data); }
    };
    document.querySelectorAll("[data-export]").forEach(function (button) {
      button.addEventListener("click", function () {
        var kind = button.getAttribute("data-export");
        if (kind === "png") {
          api.png().then(function (blob) { download(blob, fileName(data, "png")); });
        } else if (kind === "svg") {
          download(new Blob([api.svg()], { type: "image/svg+xml" }), fileName(data, "svg"));
        } else if (kind === "csv-excel") {
          download(new Blob([api.csv(";")], { type: "text/csv;charset=utf-8" }), fileName(data, "semikolon.csv"));
        } else {
          download(new Blob([api.csv(",")], { type: "text/csv;charset=utf-8" }), fileName(data, "csv"));
        }
      });
    });
    return api;
  };
})();
