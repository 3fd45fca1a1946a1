// Display formulas are typeset at build time; one wider than the page scrolls sideways, and a
// keyboard user must be able to reach it, so it gets tabindex="0" (only when it overflows).
// The same holds for wide tables, which the build wraps in a scrolling .md-typeset__scrollwrap,
// and for code blocks where Material gives them one: on a device with hover (a mouse or touchpad),
// as it sets a block up on screen.
//
// On long pages the browser lays a formula or a code block out only when it comes near the
// screen (the far blocks of docs/hooks/build_math.py), and the width of one it has not laid out is
// its stand-in's. So each is measured when it is laid out, the ones already laid out when the
// fonts or the window change, and every one at the first Tab key, after laying them all out:
// focus may jump past one the reader has not scrolled near, and it must be focusable by then.
(function () {
  "use strict";
  var SCROLLERS = "div.arithmatex, .md-typeset__scrollwrap" +
    (matchMedia("(hover)").matches ? ", .highlight > pre > code" : "");
  function mark(els) {
    // Read every width first, then write: interleaving the two would force a layout per element.
    var wide = els.map(function (el) { return el.scrollWidth > el.clientWidth; });
    els.forEach(function (el, k) {
      if (wide[k]) { if (el.tabIndex !== 0) el.tabIndex = 0; }
      else if (el.hasAttribute("tabindex")) el.removeAttribute("tabindex");
    });
  }
  function all() { return Array.prototype.slice.call(document.querySelectorAll(SCROLLERS)); }
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
    if (e.skipped) return;
    var el = e.target;
    mark(el.matches(SCROLLERS) ? [el] : Array.prototype.slice.call(el.querySelectorAll(":scope > code")));
  }, true);
  document.addEventListener("keydown", function first(e) {
    if (e.key !== "Tab") return;
    document.removeEventListener("keydown", first, true);
    var els = all();
    els.forEach(function (el) {
      (el.matches("code") ? el.parentElement : el).style.contentVisibility = "visible";
    });
    mark(els);
  }, true);
})();
