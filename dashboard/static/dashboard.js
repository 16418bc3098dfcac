// PayWave dashboard: progressive enhancement only; every page works without it.
// A form with data-confirm asks first; a select with data-autosubmit submits its form when changed.
"use strict";
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});
// A secret shown once: selected as soon as it has the focus, ready to copy.
document.addEventListener("focusin", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) {
    event.target.select();
  }
});
