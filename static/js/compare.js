// The add-to-compare tray. The picks live in the page address (?pick=a,b,c), in picking order,
// so they survive a new search or any other page: every same-site page link and GET form carries
// them on. No server session and no storage; the server ignores `pick`. Without JavaScript the
// buttons stay hidden and the paper list's checkboxes still lead to /compare.
(function () {
  "use strict";
  var PARAM = "pick";
  var MAX = 20; // the compare page's limit (app/query/analysis.py MAX_COMPARE)
  var ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
  var tray = document.getElementById("compare-tray");
  if (!tray) { return; }

  function readPicks() {
    var raw = new URL(window.location.href).searchParams.get(PARAM) || "";
    var seen = {};
    return raw.split(",").filter(function (id) {
      if (!ID.test(id) || seen[id]) { return false; }
      seen[id] = true;
      return true;
    }).slice(0, MAX);
  }

  var picks = readPicks();

  function withPicks(href) {
    var target = new URL(href, window.location.href);
    if (target.origin !== window.location.origin) { return null; }
    if (/^\/(api|static|docs|redoc|openapi)/.test(target.pathname)) { return null; }
    if (picks.length) {
      target.searchParams.set(PARAM, picks.join(","));
    } else {
      target.searchParams.delete(PARAM);
    }
    return target.pathname + target.search + target.hash;
  }

  // Display names of picks made on earlier pages: a cosmetic cache only (the address stays the
  // state); without it the tray shows the paper id.
  var LABELS = "reward-atlas:pick-labels";
  function storedLabels() {
    try { return JSON.parse(window.sessionStorage.getItem(LABELS) || "{}") || {}; } catch (e) { return {}; }
  }
  function rememberLabel(id, label) {
    try {
      var labels = storedLabels();
      labels[id] = label;
      window.sessionStorage.setItem(LABELS, JSON.stringify(labels));
    } catch (e) { /* storage off: ids are shown instead */ }
  }
  function labelOf(id) {
    var button = document.querySelector('.add-compare[data-pick="' + id + '"]');
    if (button) { return button.getAttribute("data-label"); }
    var known = storedLabels()[id];
    return typeof known === "string" ? known : id;
  }

  function render() {
    var url = new URL(window.location.href);
    if (picks.length) { url.searchParams.set(PARAM, picks.join(",")); } else { url.searchParams.delete(PARAM); }
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);

    var list = tray.querySelector(".compare-tray__list");
    list.textContent = "";
    picks.forEach(function (id) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = labelOf(id);
      name.title = id;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "compare-tray__remove";
      remove.setAttribute("aria-label", "Remove " + labelOf(id) + " from the comparison");
      remove.textContent = "×";
      remove.addEventListener("click", function () { toggle(id); });
      item.appendChild(name);
      item.appendChild(remove);
      list.appendChild(item);
    });
    tray.querySelector(".compare-tray__count").textContent =
      picks.length + (picks.length === 1 ? " paper" : " papers") + (picks.length >= MAX ? " (the most a table takes)" : "");
    var go = tray.querySelector(".compare-tray__go");
    go.href = "/compare?papers=" + picks.join(",") + "&" + PARAM + "=" + picks.join(",");
    go.textContent = picks.length < 2 ? "Compare (pick one more)" : "Compare " + picks.length;
    go.setAttribute("aria-disabled", picks.length < 2 ? "true" : "false");
    tray.hidden = picks.length === 0;
    document.body.classList.toggle("has-compare-tray", picks.length > 0);

    document.querySelectorAll(".add-compare").forEach(function (button) {
      var on = picks.indexOf(button.getAttribute("data-pick")) >= 0;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "✓ In compare" : "Add to compare";
      button.disabled = !on && picks.length >= MAX;
    });
  }

  function toggle(id) {
    var at = picks.indexOf(id);
    if (at >= 0) { picks.splice(at, 1); } else if (picks.length < MAX) { picks.push(id); }
    render();
  }

  document.querySelectorAll(".add-compare").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      rememberLabel(button.getAttribute("data-pick"), button.getAttribute("data-label"));
      toggle(button.getAttribute("data-pick"));
    });
  });
  tray.querySelector(".compare-tray__clear").addEventListener("click", function () {
    picks = [];
    render();
  });
  tray.querySelector(".compare-tray__go").addEventListener("click", function (event) {
    if (picks.length < 2) { event.preventDefault(); }
  });

  // Carry the picks to the next page: rewritten at the moment of leaving, so every link
  // (including ones scripts add later) takes the current picks.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.hasAttribute("download") || link.target === "_blank" || !picks.length) { return; }
    if (link.classList.contains("compare-tray__go")) { return; }
    var href = withPicks(link.getAttribute("href"));
    if (href) { link.setAttribute("href", href); }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!picks.length || (form.method || "get").toLowerCase() !== "get") { return; }
    if (withPicks(form.getAttribute("action") || window.location.href) === null) { return; }
    var input = form.querySelector('input[name="' + PARAM + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = PARAM;
      form.appendChild(input);
    }
    input.value = picks.join(",");
  }, true);

  render();
})();
