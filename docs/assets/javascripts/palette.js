// The colour-scheme toggle of docs/overrides/partials/palette.html, which loads this file right
// after its form (document.currentScript.previousElementSibling). It mirrors what the palette
// component of mkdocs-material 9.8.2 (pinned exactly in pyproject.toml) does, once, in the header,
// before the article is parsed; see that partial for why it replaces Material's component.
(function (form) {
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input"));
  var keys = ["media", "scheme", "primary", "accent"];
  var meta = {};
  ["color-scheme", "theme-color"].forEach(function (name) {
    meta[name] = document.head.appendChild(document.createElement("meta"));
    meta[name].name = name;
  });
  function apply(index) {
    var color = {};
    keys.forEach(function (key) {
      color[key] = inputs[index].getAttribute("data-md-color-" + key);
      document.body.setAttribute("data-md-color-" + key, color[key]);
    });
    inputs.forEach(function (input, i) {
      input.checked = i === index;
      // The label after an input is the button that steps to the next scheme.
      var label = input.nextElementSibling;
      if (label && label.tagName === "LABEL") label.hidden = i !== index;
    });
    var header = getComputedStyle(form.closest("header"));
    meta["color-scheme"].content = header.colorScheme;
    meta["theme-color"].content = header.backgroundColor;
    return color;
  }
  var saved = null;
  try { saved = __md_get("__palette"); } catch (e) {}  // storage may be blocked
  var index = saved && Number.isInteger(saved.index) && inputs[saved.index] ? saved.index : inputs.findIndex(function (input) {
    return matchMedia(input.getAttribute("data-md-color-media")).matches;
  });
  apply(Math.max(index, 0));
  form.addEventListener("change", function (event) {
    var i = inputs.indexOf(event.target);
    var color = apply(i);
    try { __md_set("__palette", {index: i, color: color}); } catch (e) {}
  });
  form.addEventListener("keydown", function (event) {
    // A radio input ignores Enter; Material's toggle steps to the next scheme on it.
    if (event.key !== "Enter") return;
    event.preventDefault();
    var next = inputs[(inputs.findIndex(function (input) { return input.checked; }) + 1) % inputs.length];
    next.click();
    next.focus();
  });
})(document.currentScript.previousElementSibling);
