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
// A table (or a JSON body) wider than the screen scrolls in its own container: then keyboard users reach it
// (a tab stop), named by its table's caption or its section's heading; one that fits is no tab stop.
function scrollerName(wrap) {
  var caption = wrap.querySelector("caption");
  var section = wrap.closest("[aria-labelledby]");
  var heading = section && document.getElementById(section.getAttribute("aria-labelledby"));
  return (caption || heading || { textContent: "Table" }).textContent.trim();
}
function scrollers() {
  document.querySelectorAll(".table-wrap, pre.json").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", scrollerName(wrap));
    } else {
      ["tabindex", "role", "aria-label"].forEach(function (name) { wrap.removeAttribute(name); });
    }
  });
}
document.addEventListener("DOMContentLoaded", scrollers);
window.addEventListener("resize", scrollers);
