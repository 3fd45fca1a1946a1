// Display formulas are typeset at build time; one wider than the page scrolls sideways, and a
// keyboard user must be able to reach it, so it gets tabindex="0" (only when it overflows).
// The same holds for wide tables, which Material wraps in a scrolling .md-typeset__scrollwrap.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("div.arithmatex, .md-typeset__scrollwrap").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) el.tabIndex = 0;
      else el.removeAttribute("tabindex");
    });
  }
  if (typeof document$ !== "undefined") document$.subscribe(mark);
  else document.addEventListener("DOMContentLoaded", mark);
  if (document.fonts) document.fonts.ready.then(mark);
  window.addEventListener("resize", mark);
})();
