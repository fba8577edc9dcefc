// Copy buttons: <button data-copy-target="id" hidden> copies the text of #id.
// The button stays hidden without JavaScript; the text can still be selected by hand.
(function () {
  "use strict";
  function announce(button, message) {
    var scope = button.closest("section") || button.parentElement;
    var status = scope.querySelector(".copy-status");
    if (status) { status.textContent = message; }
  }
  function fallbackCopy(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var node = document.getElementById(button.getAttribute("data-copy-target"));
    if (!node) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = node.textContent;
      var done = function () { announce(button, "Copied to the clipboard."); };
      var manual = function () {
        announce(button, fallbackCopy(node) ? "Copied to the clipboard." : "Selected: press Ctrl+C to copy.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, manual);
      } else {
        manual();
      }
    });
  });
})();
