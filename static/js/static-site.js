// The static copy's stand-in for the server (loaded only by pages `reward-atlas export-site`
// writes; the live site never includes it). Its settings are in <meta name="atlas-static">.
//  - GET forms (list filters, matrix and timeline pickers) go to the page the copy holds for
//    that query, found by the same file naming as app/publish/paths.py; a combination the copy
//    does not hold says so next to the form.
//  - Forms that post (the loss lab) are switched off with a note on where the live lab is.
//  - The search page runs Pagefind over the index built at export time.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="atlas-static"]');
  if (!meta) return;
  var config = JSON.parse(meta.getAttribute("content"));
  var root = new URL(config.root, window.location.href);
  var SAFE = /[A-Za-z0-9._,=&-]/;

  // A page is reached as dir/index.html (relative links) or dir/ (links under --base-url).
  function samePage(path, treePath) {
    var strip = function (p) { return p.replace(/index\.html$/, ""); };
    return strip(path) === strip(new URL(treePath, root).pathname);
  }

  // paths.query_segment: pairs sorted by key, unsafe bytes as ~XX (long ones become a hash,
  // which only the server-side export knows: those go to the "not in the copy" note).
  function querySegment(pairs) {
    pairs = pairs.map(function (p, i) { return [p[0], p[1], i]; });
    pairs.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[2] - b[2]; });
    var text = pairs.map(function (p) { return p[0] + "=" + p[1]; }).join("&");
    var out = "";
    Array.from(text).forEach(function (ch) {
      if (SAFE.test(ch)) { out += ch; return; }
      new TextEncoder().encode(ch).forEach(function (b) {
        out += "~" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
      });
    });
    return out.length > 160 ? null : out;
  }

  function note(form, html) {
    var p = form.querySelector(".static-note");
    if (!p) {
      p = document.createElement("p");
      p.className = "static-note";
      p.setAttribute("role", "status");
      form.appendChild(p);
    }
    p.textContent = "";
    p.appendChild(html);
  }

  function liveText(prefix) {
    var span = document.createElement("span");
    span.appendChild(document.createTextNode(prefix + " "));
    if (config.live) {
      var a = document.createElement("a");
      a.href = config.live;
      a.textContent = "Open the live atlas";
      span.appendChild(a);
      span.appendChild(document.createTextNode("."));
    } else {
      span.appendChild(document.createTextNode("Run the live atlas with `reward-atlas serve`."));
    }
    return span;
  }

  function onGetSubmit(event) {
    var form = event.target;
    var action = new URL(form.getAttribute("action") || "", window.location.href);
    if (samePage(action.pathname, config.search)) return; // the search page reads ?q= itself
    event.preventDefault();
    var pairs = [];
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "") pairs.push([key, value]);
    });
    var dir = action.pathname.replace(/index\.html$/, "");
    if (!pairs.length) { window.location.assign(dir + "index.html"); return; }
    var segment = querySegment(pairs);
    var target = segment && dir + segment + "/index.html";
    var missing = function () {
      note(form, liveText("This combination is not in the static copy."));
    };
    if (!target) { missing(); return; }
    fetch(target, { method: "HEAD" }).then(function (r) {
      if (r.ok) window.location.assign(target); else missing();
    }, missing);
  }

  function disablePost(form) {
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
    note(form, liveText("The static copy shows the presets, computed when it was made; computing with your own numbers needs the server."));
  }

  function searchPage() {
    if (!samePage(window.location.pathname, config.search)) return;
    var q = new URLSearchParams(window.location.search).get("q") || "";
    var main = document.querySelector("main");
    var box = document.createElement("div");
    box.id = "static-search";
    var first = main.querySelector("form.search-form");
    if (first) { first.hidden = true; first.after(box); } else { main.appendChild(box); }
    main.querySelectorAll(".muted").forEach(function (p) { p.hidden = true; });
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("pagefind/pagefind-ui.css", root).href;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = new URL("pagefind/pagefind-ui.js", root).href;
    script.onload = function () {
      var ui = new window.PagefindUI({
        element: "#static-search",
        showImages: false,
        showSubResults: false,
        resetStyles: false,
        baseUrl: root.pathname,
      });
      if (q) ui.triggerSearch(q);
    };
    document.head.appendChild(script);
  }

  function offlinePage() {
    if (!samePage(window.location.pathname, config.offline)) return;
    var lede = document.querySelector(".lede");
    if (lede) lede.appendChild(liveText(""));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "get").toLowerCase() === "get") onGetSubmit(event);
  }, true);
  document.querySelectorAll("form").forEach(function (form) {
    if ((form.getAttribute("method") || "get").toLowerCase() === "post") disablePost(form);
  });
  searchPage();
  offlinePage();
})();
