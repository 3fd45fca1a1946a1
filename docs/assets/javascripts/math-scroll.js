// Display formulas are typeset at build time; one wider than the page scrolls sideways, and a
// keyboard user must be able to reach it, so it gets tabindex="0" (only when it overflows).
// The same holds for wide tables, which the build wraps in a scrolling .md-typeset__scrollwrap.
//
// On long pages the browser lays a display formula out only when it comes near the screen (the
// far blocks of docs/hooks/build_math.py), and reading the width of one it has not laid out would
// lay it out now. So a formula is measured when it is laid out, the ones already laid out when
// the fonts or the window change, and every one at the first Tab key: focus may jump past a
// formula the reader has not scrolled near, and it must be focusable by then.
(function () {
  "use strict";
  var FORMULAS = "div.arithmatex, .md-typeset__scrollwrap";
  function mark(els) {
    // Read every width first, then write: interleaving the two would force a layout per element.
    var wide = els.map(function (el) { return el.scrollWidth > el.clientWidth; });
    els.forEach(function (el, k) {
      if (wide[k]) { if (el.tabIndex !== 0) el.tabIndex = 0; }
      else if (el.hasAttribute("tabindex")) el.removeAttribute("tabindex");
    });
  }
  function all() { return Array.prototype.slice.call(document.querySelectorAll(FORMULAS)); }
  function laidOut() {
    // An element's own content-visibility does not hide it from checkVisibility, only its content.
    return all().filter(function (el) {
      var inside = el.firstElementChild;
      return !inside || !inside.checkVisibility || inside.checkVisibility({ contentVisibilityAuto: true });
    });
  }
  function markLaidOut() { mark(laidOut()); }
  if (typeof document$ !== "undefined") document$.subscribe(markLaidOut);
  else document.addEventListener("DOMContentLoaded", markLaidOut);
  if (document.fonts) document.fonts.ready.then(markLaidOut);
  window.addEventListener("resize", markLaidOut);
  document.addEventListener("contentvisibilityautostatechange", function (e) {
    if (!e.skipped && e.target.matches(FORMULAS)) mark([e.target]);
  }, true);
  document.addEventListener("keydown", function first(e) {
    if (e.key !== "Tab") return;
    document.removeEventListener("keydown", first, true);
    // The width of a formula the browser skips is its stand-in's: lay every one out first.
    var els = all();
    els.forEach(function (el) { el.style.contentVisibility = "visible"; });
    mark(els);
  }, true);
})();
