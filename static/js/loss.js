// Loss lab: recompute as the inputs change (no submit needed), with a slider beside each
// bounded numeric parameter, and keep the form's state in the address so a result can be shared.
// The server renders the result and curve; this script only fetches and swaps them in. Without
// JavaScript the form posts normally and the same HTML comes back.
(function () {
  "use strict";
  var form = document.querySelector("form.loss-form");
  if (!form || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
  var pending = null;
  var timer = null;

  function swap(fresh, selector) {
    var mine = document.querySelector(selector);
    var theirs = fresh.querySelector(selector);
    if (mine && theirs) {
      mine.replaceWith(theirs);
    } else if (mine && !theirs) {
      mine.remove();
    } else if (!mine && theirs) {
      var result = document.querySelector("section.lab");
      if (result) result.insertAdjacentElement("afterend", theirs);
    }
  }

  function state() {
    return new URLSearchParams(new FormData(form));
  }

  function update() {
    var body = state();
    if (pending) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "text/html" },
      signal: pending ? pending.signal : undefined,
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap(fresh, "#result");
        swap(fresh, "section.sweep");
        swap(fresh, "section.curve");
        markInvalid();
        history.replaceState(null, "", form.action + "?" + body.toString());
      })
      .catch(function (error) { if (!error || error.name !== "AbortError") form.submit(); })
      .finally(function () { form.removeAttribute("aria-busy"); });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  }

  // Mark the fields the server named in its errors, and move focus to the first one.
  function markInvalid() {
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var first = null;
    document.querySelectorAll("#result .errors code[data-field]").forEach(function (code) {
      var field = document.getElementById(code.getAttribute("data-field"));
      if (field) {
        field.setAttribute("aria-invalid", "true");
        first = first || field;
      }
    });
    return first;
  }

  form.querySelectorAll("input[data-min]").forEach(function (input) {
    var slider = document.createElement("input");
    slider.type = "range";
    slider.className = "param-slider";
    slider.min = input.getAttribute("data-min");
    slider.max = input.getAttribute("data-max");
    slider.step = input.getAttribute("data-step");
    slider.value = input.value || input.getAttribute("data-min");
    slider.setAttribute("aria-label", input.name.replace("params.", "") + " slider");
    slider.addEventListener("input", function () {
      input.value = slider.value;
      schedule();
    });
    input.addEventListener("input", function () {
      if (input.value !== "" && !isNaN(Number(input.value))) slider.value = input.value;
    });
    input.insertAdjacentElement("afterend", slider);
  });

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
  var first = markInvalid();
  if (first) first.focus();
})();
