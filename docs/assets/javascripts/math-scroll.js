// Display formulas are typeset at build time; one wider than the page scrolls sideways, and a
// keyboard user must be able to reach it, so it gets tabindex="0" (only when it overflows).
// The same holds for wide tables, which the build wraps in a scrolling .md-typeset__scrollwrap.
(function () {
  "use strict";
  function mark() {
    // Read every width first, then write: interleaving the two would force a layout per element.
    var els = Array.prototype.slice.call(document.querySelectorAll("div.arithmatex, .md-typeset__scrollwrap"));
    var wide = els.map(function (el) { return el.scrollWidth > el.clientWidth; });
    els.forEach(function (el, k) {
      if (wide[k]) { if (el.tabIndex !== 0) el.tabIndex = 0; }
      else if (el.hasAttribute("tabindex")) el.removeAttribute("tabindex");
    });
  }
  if (typeof document$ !== "undefined") document$.subscribe(mark);
  else document.addEventListener("DOMContentLoaded", mark);
  if (document.fonts) document.fonts.ready.then(mark);
  window.addEventListener("resize", mark);
})();
