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
  }

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

  // Material's document$ emits on the first load and after every instant navigation.
  if (typeof document$ !== "undefined") {
    document$.subscribe(renderAll);
  } else {
    document.addEventListener("DOMContentLoaded", renderAll);
  }
})();
