// Typeset the page's math with the KaTeX served from this site: no other host is contacted.
// Arithmatex (generic mode) wraps each formula in an element with class "arithmatex" whose text is
// \( ... \) or \[ ... \]; exactly those are rendered, so a dollar sign in prose stays a dollar sign.
// Notebook pages keep their markdown cells' $...$ math raw, so auto-render runs inside those cells only.
(function () {
  "use strict";

  function renderArithmatex(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.dataset.katexDone) return;
      var tex = el.textContent.trim();
      var display = el.tagName === "DIV";
      tex = tex.replace(/^\\[\[(]/, "").replace(/\\[\])]$/, "");
      try {
        katex.render(tex, el, { displayMode: display, throwOnError: true });
      } catch (err) {
        el.classList.add("katex-failed");
        console.error("KaTeX could not render: " + tex + "\n" + err);
      }
      el.dataset.katexDone = "1";
    });
    markScrollable(root);
    // Rendering starts the font downloads; measure again once they have arrived.
    if (document.fonts) document.fonts.ready.then(function () { markScrollable(root); });
  }

  // A display formula wider than the page scrolls; keyboard users must be able to reach it.
  // Widths change once KaTeX's fonts arrive, so this runs again then and on resize.
  function markScrollable(root) {
    root.querySelectorAll("div.arithmatex").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) el.tabIndex = 0;
      else el.removeAttribute("tabindex");
    });
  }
  window.addEventListener("resize", function () { markScrollable(document); });

  function renderNotebookCells(root) {
    root.querySelectorAll(".jp-RenderedMarkdown").forEach(function (cell) {
      renderMathInElement(cell, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false },
        ],
        throwOnError: true,
        errorCallback: function (msg, err) { console.error(msg + " " + err); },
      });
    });
  }

  function renderAll() {
    renderArithmatex(document);
    renderNotebookCells(document);
  }

  // Search results quote page text, math included, as raw \( ... \); typeset them as they appear.
  function watchSearchResults() {
    var list = document.querySelector(".md-search-result__list");
    if (!list || list.dataset.katexWatched) return;
    list.dataset.katexWatched = "1";
    var options = {
      delimiters: [
        { left: "\\[", right: "\\]", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    };
    var observer = new MutationObserver(function () {
      // Rendering changes the list too: stop watching while it runs, or it would feed itself.
      observer.disconnect();
      renderMathInElement(list, options);
      observer.observe(list, { childList: true, subtree: true });
    });
    observer.observe(list, { childList: true, subtree: true });
  }

  // Material's document$ emits on the first load and after every instant navigation.
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { renderAll(); watchSearchResults(); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { renderAll(); watchSearchResults(); });
  }
})();
