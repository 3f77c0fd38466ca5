// FairRecruit admin panel: confirmation of destructive actions, copy buttons, print, mobile menu.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-confirm]");
    if (btn && !window.confirm(btn.getAttribute("data-confirm"))) {
      ev.preventDefault();
      return;
    }
    var copy = ev.target.closest("[data-copy]");
    if (copy) {
      var el = document.querySelector(copy.getAttribute("data-copy"));
      if (el && navigator.clipboard) {
        navigator.clipboard.writeText(el.textContent.trim()).then(function () { copy.textContent = "Copied"; });
      }
    }
    if (ev.target.closest("[data-print]")) window.print();
    var toggle = ev.target.closest(".nav-toggle");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });
})();
