// Loss lab catalog: redraw the overlay as soon as a box is ticked. Without JavaScript the
// "Redraw" button submits the same GET form.
(function () {
  "use strict";
  var form = document.querySelector("form.overlay-picker");
  if (!form) return;
  form.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
})();
