// The /graph page: Cytoscape.js over the page's JSON twins (/api/v1/graph…, which the browser can
// cache by their ETags). Two views share this file:
// - lineage (the default): papers and the work they extend or vary, laid out in layers by
//   cytoscape-dagre with the oldest papers on the left and each year in its own band; the path
//   the reader asked for (a second twin, /api/v1/graph/path) is drawn in and highlighted;
// - full: dimensions, categories and papers, filtered by dimension and edge kind.
// In both, "Find a node" highlights and centres nodes without leaving the page, and selecting a
// node opens its page. Without JavaScript the server-rendered lists stand in for the drawing.
(function () {
  "use strict";

  var container = document.getElementById("cy");
  if (!container || typeof window.cytoscape !== "function") { return; }
  var status = document.getElementById("graph-status");
  var LINEAGE = ["extends", "variant-of", "uses-reward-from", "evaluates", "compares-with"];
  var PAGE = { dimension: "/dimensions/", category: "/categories/", paper: "/papers/" };
  var FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";

  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" } }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  status.textContent = "Loading the graph…";
  var wanted = [getJSON(container.getAttribute("data-src"))];
  if (container.getAttribute("data-path")) { wanted.push(getJSON(container.getAttribute("data-path"))); }
  var lineageView = container.getAttribute("data-view") === "lineage";
  Promise.all(wanted).then(function (docs) {
    if (lineageView) { startLineage(docs[0], docs[1]); } else { startFull(docs[0]); }
    container.setAttribute("data-ready", "true");
  }, function (error) {
    status.textContent = "The graph could not be loaded (" + error.message + "); " +
      "the list below has everything in it.";
  });

  function pageOf(data) { return PAGE[data.kind] + encodeURIComponent(data.ref); }
  function nameOf(data) { return data.short_name || data.label; }
  function shortLabel(data) {
    if (data.kind !== "paper") { return data.label; }
    if (data.short_name) { return data.short_name; }
    return data.label.length > 30 ? data.label.slice(0, 28) + "…" : data.label;
  }
  function shown(el) { return el.style("display") !== "none"; }

  // Styles both views share: papers, lineage edges, search matches.
  var BASE_STYLE = [
    { selector: "node", style: {
      "label": function (n) { return shortLabel(n.data()); },
      "font-family": FONT, "font-size": 11, "color": "#2e343b", "text-valign": "bottom",
      "text-margin-y": 3, "text-wrap": "ellipsis", "text-max-width": 150,
      "min-zoomed-font-size": 6, "text-background-color": "#ffffff",
      "text-background-opacity": 0.8, "text-background-padding": 1.5,
      "text-background-shape": "roundrectangle", "width": 14, "height": 14,
      "background-color": "#e0862f", "border-width": 1, "border-color": "#fff"
    } },
    { selector: "node.dimension", style: {
      "shape": "round-rectangle", "width": 26, "height": 26, "background-color": "#16191d",
      "font-size": 13, "font-weight": 700, "color": "#16191d"
    } },
    { selector: "node.category", style: {
      "background-color": "#0a58a8", "width": 18, "height": 18, "font-size": 12, "color": "#073f7a"
    } },
    { selector: "edge", style: {
      "width": 1, "line-color": "#c9d1da", "curve-style": "bezier", "opacity": 0.9
    } },
    { selector: "edge.contains", style: { "line-color": "#8fa8c4", "width": 1.5 } },
    { selector: "edge.classified", style: { "line-color": "#e3c6a6", "line-style": "solid" } },
    { selector: LINEAGE.map(function (k) { return "edge." + k; }).join(", "), style: {
      "line-color": "#b0411a", "width": 1.6, "opacity": 0.75, "target-arrow-shape": "triangle",
      "target-arrow-color": "#b0411a", "arrow-scale": 0.9
    } },
    { selector: "edge.variant-of", style: { "line-style": "dashed" } },
    { selector: ".faded", style: { "opacity": 0.15 } },
    { selector: ".match", style: {
      "border-width": 4, "border-color": "#f2b134", "z-index": 10, "font-weight": 700,
      "min-zoomed-font-size": 0
    } },
    { selector: "node:active, node:selected", style: {
      "overlay-opacity": 0.12, "overlay-color": "#0a58a8"
    } }
  ];

  function openOnTap(cy) {
    cy.on("tap", "node", function (evt) {
      var d = evt.target.data();
      if (PAGE[d.kind]) { window.location.assign(pageOf(d)); }
    });
    cy.on("mouseover", "node", function (evt) {
      var d = evt.target.data();
      if (!PAGE[d.kind]) { return; }
      container.classList.add("is-pointing");
      status.textContent = d.kind + ": " + d.label + (d.year ? " (" + d.year + ")" : "") + " — select to open";
    });
    cy.on("mouseout", "node", function () { container.classList.remove("is-pointing"); });
  }

  // "Find a node": typing lists the matches; Enter (or a match's button) highlights and centres
  // a node. The form never submits: Enter must not leave the page.
  function setUpFinder(cy, form, onClear) {
    var search = document.getElementById("graph-search");
    var list = document.getElementById("graph-matches");
    var found = cy.collection();
    var timer = null;

    function clear() {
      cy.elements().removeClass("faded match");
      list.replaceChildren();
      found = cy.collection();
    }

    function focus(node) {
      cy.stop(true);
      cy.elements().addClass("faded").removeClass("match");
      node.closedNeighborhood().removeClass("faded");
      node.addClass("match");
      cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1.1) }, { duration: 250 });
      status.textContent = "Centred on " + nameOf(node.data()) +
        (node.data("year") ? " (" + node.data("year") + ")" : "") + ".";
    }

    function run() {
      var term = search.value.trim().toLowerCase();
      clear();
      if (!term) { onClear(); return; }
      found = cy.nodes().filter(function (n) {
        var d = n.data();
        return PAGE[d.kind] && shown(n) && (d.label.toLowerCase().indexOf(term) >= 0 ||
          (d.short_name || "").toLowerCase().indexOf(term) >= 0 || d.ref.indexOf(term) >= 0);
      });
      if (found.length === 0) {
        status.textContent = "No shown node matches “" + search.value.trim() + "”.";
        return;
      }
      cy.elements().addClass("faded");
      found.removeClass("faded").addClass("match");
      found.closedNeighborhood().removeClass("faded");
      cy.stop(true);
      cy.animate({ fit: { eles: found.closedNeighborhood(), padding: 40 } }, { duration: 250 });
      found.slice(0, 12).forEach(function (n) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = nameOf(n.data()) + (n.data("year") ? " (" + n.data("year") + ")" : "");
        button.addEventListener("click", function () { focus(n); });
        var a = document.createElement("a");
        a.href = pageOf(n.data());
        a.textContent = "open";
        a.setAttribute("aria-label", "Open " + n.data("label"));
        li.append(button, " ", a);
        list.appendChild(li);
      });
      status.textContent = found.length + " match" + (found.length === 1 ? "" : "es") +
        " for “" + search.value.trim() + "”; Enter centres the first.";
    }

    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 150);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      if (found.length === 0) { run(); }
      if (found.length > 0) { focus(found[0]); }
    });
    return { clear: clear, run: run };
  }

  // --- Lineage view --------------------------------------------------------------------------

  function startLineage(elements, path) {
    var els = elements.nodes.concat(elements.edges);
    var have = {};
    els.forEach(function (el) { have[el.data.id] = true; });
    var onPath = {};
    if (path && path.found) {
      path.nodes.concat(path.edges).forEach(function (el) {
        onPath[el.data.id] = true;
        if (!have[el.data.id]) { els.push(el); have[el.data.id] = true; }
      });
    }
    var form = document.getElementById("graph-find");
    container.hidden = false;
    form.hidden = false;

    var cy = window.cytoscape({
      container: container,
      elements: els,
      minZoom: 0.2,
      maxZoom: 3,
      style: BASE_STYLE.concat([
        { selector: "node.paper", style: { "text-max-width": 130 } },
        { selector: "node.focus", style: {
          "background-color": "#0a58a8", "width": 20, "height": 20, "font-weight": 700
        } },
        { selector: "node.year", style: {
          "shape": "round-rectangle", "width": 1, "height": 1, "background-opacity": 0,
          "border-width": 0, "label": "data(label)", "font-size": 13, "font-weight": 700,
          "color": "#4a535d", "text-valign": "center", "text-background-opacity": 0,
          "min-zoomed-font-size": 0, "events": "no"
        } },
        { selector: "edge.scaffold", style: { "visibility": "hidden", "events": "no" } },
        { selector: "node.on-path", style: {
          "border-width": 4, "border-color": "#0a58a8", "font-weight": 700, "z-index": 9,
          "min-zoomed-font-size": 0
        } },
        { selector: "edge.on-path", style: {
          "line-color": "#0a58a8", "target-arrow-color": "#0a58a8", "width": 3.5, "opacity": 1,
          "z-index": 9
        } }
      ])
    });
    window.atlasGraph = cy; // for the browser tests and curious readers
    var focusId = container.getAttribute("data-focus");
    if (focusId) { cy.getElementById(focusId).addClass("focus"); }
    cy.elements().forEach(function (el) { if (onPath[el.id()]) { el.addClass("on-path"); } });

    layoutByYear(cy);
    openOnTap(cy);
    var papers = cy.nodes(".paper").length;
    function idle() {
      status.textContent = papers + " papers, oldest on the left" +
        (path && path.found ? "; the path is drawn in blue." : ".");
    }
    setUpFinder(cy, form, idle);
    document.getElementById("graph-fit").addEventListener("click", function () { cy.fit(undefined, 24); });
    idle();
  }

  // Layers with cytoscape-dagre, ranked right to left along the edges (a paper points at the
  // older work it builds on, so older papers land on the left). Hidden year nodes fence each
  // year into its own band: every paper of year Y is held a fixed number of ranks right of the
  // node for Y by an edge heavier than all its links together (so no pull of its own lineage
  // moves it), and the node for the next year sits past the band's last rank (the band's width
  // plus its longest chain inside the year). So the columns read in year order even between
  // papers with no link, and a year with many papers is dealt over a few ranks of its band.
  var PER_COLUMN = 10;
  var READABLE = 0.8;
  function layoutByYear(cy) {
    var byYear = {};
    cy.nodes(".paper").forEach(function (n) {
      (byYear[n.data("year")] = byYear[n.data("year")] || []).push(n);
    });
    var years = Object.keys(byYear).map(Number).sort(function (a, b) { return a - b; });
    var scaffold = years.map(function (y) {
      return { group: "nodes", data: { id: "year:" + y, label: String(y), kind: "year" }, classes: "year" };
    });
    years.forEach(function (y, i) {
      var papers = byYear[y];
      var width = Math.min(6, Math.ceil(papers.length / PER_COLUMN));
      papers.sort(function (a, b) { return nameOf(a.data()).localeCompare(nameOf(b.data())); });
      papers.forEach(function (n, j) {
        scaffold.push(fence(n.id(), "year:" + y, 1 + (j % width), 1 + n.connectedEdges().length));
      });
      if (i + 1 < years.length) {
        scaffold.push(fence("year:" + years[i + 1], "year:" + y, width + longestChain(papers) + 1, 1));
      }
    });
    cy.add(scaffold);
    // An edge from an older paper to a newer one (a variant can point either way) would fight
    // the fences; it is drawn but left out of the layout.
    var against = cy.edges().filter(function (e) {
      return !e.hasClass("scaffold") && e.source().data("year") < e.target().data("year");
    });
    cy.elements().not(against).layout({
      name: "dagre",
      rankDir: "RL",
      nodeSep: 6,
      edgeSep: 2,
      rankSep: 36,
      nodeDimensionsIncludeLabels: true,
      minLen: function (e) { return e.data("minLen") || 1; },
      edgeWeight: function (e) { return e.data("weight") || 1; },
      fit: false,
      animate: false
    }).run();
    // Year labels move to the top of their band.
    var box = cy.nodes(".paper").boundingBox();
    years.forEach(function (y) {
      var band = cy.nodes(".paper").filter(function (n) { return n.data("year") === y; });
      var b = band.boundingBox();
      cy.getElementById("year:" + y).position({ x: (b.x1 + b.x2) / 2, y: box.y1 - 24 });
    });
    cy.fit(undefined, 24);
    // A big neighbourhood fitted whole has unreadable labels: start close enough to read them,
    // on the path or the paper drawn around ("Fit to view" shows everything).
    var start = cy.nodes(".on-path").length ? cy.nodes(".on-path") : cy.nodes(".focus");
    if (cy.zoom() < READABLE && start.length) {
      cy.zoom(READABLE);
      cy.center(start);
    }
  }

  function fence(source, target, minLen, weight) {
    return {
      group: "edges",
      data: {
        id: "fence:" + source + ">" + target, source: source, target: target,
        minLen: minLen, weight: weight
      },
      classes: "scaffold"
    };
  }

  // The most links in a row between papers of one year (each needs a rank of its own).
  function longestChain(papers) {
    var inYear = {};
    papers.forEach(function (n) { inYear[n.id()] = true; });
    var memo = {};
    function depth(n, seen) {
      if (memo[n.id()] !== undefined) { return memo[n.id()]; }
      var best = 0;
      n.outgoers("edge").forEach(function (e) {
        var t = e.target();
        if (inYear[t.id()] && !seen[t.id()]) {
          seen[t.id()] = true;
          best = Math.max(best, 1 + depth(t, seen));
          delete seen[t.id()];
        }
      });
      memo[n.id()] = best;
      return best;
    }
    return papers.reduce(function (most, n) {
      var seen = {};
      seen[n.id()] = true;
      return Math.max(most, depth(n, seen));
    }, 0);
  }

  // --- Full view: taxonomy and lineage together ----------------------------------------------

  function startFull(elements) {
    var controls = document.getElementById("graph-controls");
    var dimensionSelect = document.getElementById("graph-dimension");

    container.hidden = false;
    controls.hidden = false;
    // With the interactive graph running, the long plain list starts folded (it stays open
    // for readers without JavaScript).
    document.querySelectorAll(".graph-fallback-list details[open]").forEach(function (d) {
      d.open = false;
    });

    var cy = window.cytoscape({
      container: container,
      elements: elements.nodes.concat(elements.edges),
      minZoom: 0.15,
      maxZoom: 3,
      // Paper titles appear as the reader zooms in (or when a search matches them), so a large
      // graph shows its structure first instead of a heap of overlapping titles.
      style: BASE_STYLE
    });
    window.atlasGraph = cy; // for the browser tests and curious readers

    function edgeKindsOn() {
      var on = {};
      controls.querySelectorAll("input[name=edges]").forEach(function (box) { on[box.value] = box.checked; });
      return on;
    }

    function applyFilters() {
      var dim = dimensionSelect.value;
      var kinds = edgeKindsOn();
      cy.batch(function () {
        cy.elements().style("display", "element");
        if (dim) {
          cy.nodes(".dimension, .category").forEach(function (n) {
            var own = n.hasClass("dimension") ? n.data("ref") : n.data("dimension");
            if (own !== dim) { n.style("display", "none"); }
          });
        }
        cy.edges().forEach(function (e) {
          var k = e.data("kind");
          var group = k === "contains" ? "taxonomy" : (k === "classified" ? "classified" : "lineage");
          if (!kinds[group]) { e.style("display", "none"); }
        });
        // Papers with no visible edge left are hidden, so the picture stays about the dimension.
        if (dim) {
          cy.nodes(".paper").forEach(function (n) {
            var visible = n.connectedEdges().filter(function (e) {
              return shown(e) && e.connectedNodes().every(shown);
            });
            if (visible.length === 0) { n.style("display", "none"); }
          });
        }
      });
      layout();
      var count = cy.nodes().filter(shown).length;
      status.textContent = count + " nodes shown" + (dim ? " for " + dimensionSelect.options[dimensionSelect.selectedIndex].text : "") + ".";
    }

    // Deterministic: rings by kind first (dimension, categories, papers), then a force-directed
    // pass that starts from those positions (no random start), so every load looks the same.
    function layout() {
      cy.stop(true); // a fit-to-matches animation still running would undo the new layout's fit
      var visible = cy.elements().filter(shown);
      var papers = visible.nodes(".paper").length;
      var spread = Math.max(1, papers / 40);
      visible.layout({
        name: "concentric",
        concentric: function (n) {
          if (n.hasClass("dimension")) { return 3; }
          return n.hasClass("category") ? 2 : 1;
        },
        levelWidth: function () { return 1; },
        minNodeSpacing: 30,
        animate: false,
        fit: false
      }).run();
      visible.layout({
        name: "cose",
        randomize: false,
        animate: false,
        fit: true,
        padding: 30,
        nodeRepulsion: function () { return 20000 * spread; },
        idealEdgeLength: function (e) { return e.hasClass("classified") ? 100 : 70; },
        edgeElasticity: function (e) { return e.hasClass("classified") ? 60 : 120; },
        gravity: 0.6,
        numIter: 2500,
        nodeOverlap: 20,
        componentSpacing: 60
      }).run();
      if (cy.zoom() > 1.25) { cy.zoom(1.25); cy.center(visible); }
      // Keep dimension and category names readable at the zoom the fit chose.
      var grow = Math.min(3, Math.max(1, 0.9 / cy.zoom()));
      cy.style()
        .selector("node.paper").style("min-zoomed-font-size", papers > 40 ? 14 : 0)
        .selector("node.category").style({
          "font-size": Math.round(12 * grow), "text-max-width": Math.round(170 * grow),
          "width": Math.round(18 * grow), "height": Math.round(18 * grow)
        })
        .selector("node.dimension").style({
          "font-size": Math.round(14 * grow), "text-max-width": Math.round(200 * grow),
          "width": Math.round(26 * grow), "height": Math.round(26 * grow)
        })
        .update();
    }

    openOnTap(cy);
    var finder = setUpFinder(cy, controls, applyFilters);
    function refilter() { finder.clear(); applyFilters(); finder.run(); }
    dimensionSelect.addEventListener("change", refilter);
    controls.querySelectorAll("input[name=edges]").forEach(function (box) {
      box.addEventListener("change", refilter);
    });
    document.getElementById("graph-fit").addEventListener("click", function () { cy.fit(undefined, 24); });

    applyFilters();
  }
})();
