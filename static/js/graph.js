// The /graph page: Cytoscape.js over the page's JSON twin (/api/v1/graph, which the browser can
// cache by its ETag). Search a node, filter by dimension and edge kind, select a node to open its
// page. Without JavaScript the page's server-rendered list stands in for the graph.
(function () {
  "use strict";

  var container = document.getElementById("cy");
  if (!container || typeof window.cytoscape !== "function") { return; }
  var status = document.getElementById("graph-status");
  status.textContent = "Loading the graph…";
  fetch(container.getAttribute("data-src"), { headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(start, function (error) {
      status.textContent = "The graph could not be loaded (" + error.message + "); " +
        "the list below has everything in it.";
    });

  function start(elements) {
    var controls = document.getElementById("graph-controls");
    var search = document.getElementById("graph-search");
    var matchesList = document.getElementById("graph-matches");
    var dimensionSelect = document.getElementById("graph-dimension");
    var LINEAGE = ["extends", "variant-of", "uses-reward-from", "evaluates", "compares-with"];
    var PAGE = { dimension: "/dimensions/", category: "/categories/", paper: "/papers/" };

    container.hidden = false;
    controls.hidden = false;
    // With the interactive graph running, the long plain list starts folded (it stays open
    // for readers without JavaScript).
    document.querySelectorAll(".graph-fallback-list details[open]").forEach(function (d) {
      d.open = false;
    });

    function pageOf(data) { return PAGE[data.kind] + encodeURIComponent(data.ref); }
    function shortLabel(data) {
      if (data.kind !== "paper") { return data.label; }
      return data.label.length > 34 ? data.label.slice(0, 32) + "…" : data.label;
    }

    var cy = window.cytoscape({
      container: container,
      elements: elements.nodes.concat(elements.edges),
      minZoom: 0.15,
      maxZoom: 3,
      style: [
        { selector: "node", style: {
          "label": function (n) { return shortLabel(n.data()); },
          "font-family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
          "font-size": 11, "color": "#2e343b", "text-valign": "bottom", "text-margin-y": 3,
          "text-wrap": "ellipsis", "text-max-width": 150, "min-zoomed-font-size": 6,
          "text-background-color": "#ffffff", "text-background-opacity": 0.8,
          "text-background-padding": 1.5, "text-background-shape": "roundrectangle",
          "width": 14, "height": 14, "background-color": "#e0862f", "border-width": 1, "border-color": "#fff"
        } },
        { selector: "node.dimension", style: {
          "shape": "round-rectangle", "width": 26, "height": 26, "background-color": "#16191d",
          "font-size": 13, "font-weight": 700, "color": "#16191d"
        } },
        { selector: "node.category", style: {
          "background-color": "#0a58a8", "width": 18, "height": 18, "font-size": 12, "color": "#073f7a"
        } },
        // Paper titles appear as the reader zooms in (or when a search matches them), so a large
        // graph shows its structure first instead of a heap of overlapping titles.
        { selector: "node.paper", style: { "shape": "ellipse" } },
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
      ]
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
              return e.style("display") !== "none" && e.connectedNodes().every(function (x) {
                return x.style("display") !== "none";
              });
            });
            if (visible.length === 0) { n.style("display", "none"); }
          });
        }
      });
      layout();
      var shown = cy.nodes().filter(function (n) { return n.style("display") !== "none"; });
      status.textContent = shown.length + " nodes shown" + (dim ? " for " + dimensionSelect.options[dimensionSelect.selectedIndex].text : "") + ".";
    }

    // Deterministic: rings by kind first (dimension, categories, papers), then a force-directed
    // pass that starts from those positions (no random start), so every load looks the same.
    function layout() {
      cy.stop(true); // a fit-to-matches animation still running would undo the new layout's fit
      var visible = cy.elements().filter(function (el) { return el.style("display") !== "none"; });
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

    function clearMatches() {
      cy.elements().removeClass("faded match");
      matchesList.replaceChildren();
    }

    function runSearch() {
      var term = search.value.trim().toLowerCase();
      clearMatches();
      if (!term) { applyStatus(); return; }
      var found = cy.nodes().filter(function (n) {
        return n.style("display") !== "none" && (
          n.data("label").toLowerCase().indexOf(term) >= 0 || n.data("ref").indexOf(term) >= 0);
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
        var a = document.createElement("a");
        a.href = pageOf(n.data());
        a.textContent = n.data("label");
        li.appendChild(a);
        matchesList.appendChild(li);
      });
      status.textContent = found.length + " match" + (found.length === 1 ? "" : "es") + " for “" + search.value.trim() + "”.";
    }

    function applyStatus() { applyFilters(); }

    cy.on("tap", "node", function (evt) { window.location.assign(pageOf(evt.target.data())); });
    cy.on("mouseover", "node", function (evt) {
      var d = evt.target.data();
      container.classList.add("is-pointing");
      status.textContent = d.kind + ": " + d.label + (d.year ? " (" + d.year + ")" : "") + " — select to open";
    });
    cy.on("mouseout", "node", function () { container.classList.remove("is-pointing"); });

    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(runSearch, 150);
    });
    controls.addEventListener("submit", function (event) {
      event.preventDefault();
      var first = matchesList.querySelector("a");
      if (first) { window.location.assign(first.href); }
    });
    dimensionSelect.addEventListener("change", function () { clearMatches(); applyFilters(); runSearch(); });
    controls.querySelectorAll("input[name=edges]").forEach(function (box) {
      box.addEventListener("change", function () { clearMatches(); applyFilters(); runSearch(); });
    });
    document.getElementById("graph-fit").addEventListener("click", function () { cy.fit(undefined, 24); });

    applyFilters();
    container.setAttribute("data-ready", "true");
  }
})();
