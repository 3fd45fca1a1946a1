// A display formula, a table or a notebook cell wider than its column scrolls sideways (with a
// cue drawn by extra.css). A keyboard user must be able to reach it to scroll it with the arrow
// keys, so each one that overflows gets tabindex="0", and loses it when it no longer does.
// Measured once the page is in, again when the fonts have loaded and when the window changes.
(function () {
  "use strict";
  var SCROLLERS = "div.arithmatex, .md-typeset__scrollwrap, .jp-RenderedMarkdown .katex-display, " +
    ".jp-OutputArea-output pre, .highlight-ipynb";
  function mark() {
    var els = Array.prototype.slice.call(document.querySelectorAll(SCROLLERS));
    // Read every width first, then write: interleaving the two would force a layout per element.
    var wide = els.map(function (el) { return el.scrollWidth > el.clientWidth; });
    els.forEach(function (el, k) {
      if (wide[k]) { if (el.tabIndex !== 0) el.tabIndex = 0; }
      else if (el.hasAttribute("tabindex")) el.removeAttribute("tabindex");
    });
  }
  // Material's document$ fires once its script has set the page up.
  if (typeof document$ !== "undefined") document$.subscribe(mark);
  else document.addEventListener("DOMContentLoaded", mark);
  if (document.fonts) document.fonts.ready.then(mark);
  window.addEventListener("resize", mark);
})();
