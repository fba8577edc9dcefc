// Loss lab: submit the form with fetch and swap in the server-rendered result and curve, so the
// page updates in place. Without JavaScript the form posts normally and the same HTML comes back.
(function () {
  "use strict";
  var form = document.querySelector("form.loss-form");
  if (!form || !window.fetch || !window.DOMParser) return;

  function swap(fresh, selector) {
    var mine = document.querySelector(selector);
    var theirs = fresh.querySelector(selector);
    if (mine && theirs) {
      mine.replaceWith(theirs);
    } else if (mine && !theirs) {
      mine.remove();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "text/html" },
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap(fresh, "#result");
        swap(fresh, "section.curve");
      })
      .catch(function () { form.submit(); })
      .finally(function () { if (button) button.disabled = false; });
  });
})();
