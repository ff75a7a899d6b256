/* paperread site: search and filters over the rows the page already holds (no server, no
   network). Without JavaScript the form stays hidden and every row is there to read. */
(function () {
  "use strict";
  function fold(text) {
    return (text || "").normalize("NFKC").toLowerCase();
  }
  function start() {
    var form = document.getElementById("filters");
    if (!form) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.paper"));
    var sections = Array.prototype.slice.call(document.querySelectorAll("section.category"));
    var texts = rows.map(function (row) { return fold(row.textContent); });
    var q = form.elements.namedItem("q");
    var category = form.elements.namedItem("category");
    var recorded = form.elements.namedItem("recorded");
    var shown = form.querySelector(".shown");
    var none = document.querySelector(".none");
    function apply() {
      var words = fold(q.value).split(/\s+/).filter(Boolean);
      var cat = category ? category.value : "";
      var rec = recorded.value;
      var count = 0;
      rows.forEach(function (row, i) {
        var slug = row.getAttribute("data-category");
        var ok = (!cat || slug === cat || slug.indexOf(cat + "/") === 0) &&
          (!rec || row.getAttribute("data-recorded") === rec) &&
          words.every(function (w) { return texts[i].indexOf(w) !== -1; });
        row.hidden = !ok;
        if (ok) count += 1;
      });
      sections.forEach(function (section) {
        section.hidden = !section.querySelector("tr.paper:not([hidden])") && (words.length > 0 || cat !== "" || rec !== "");
      });
      var filtered = words.length > 0 || cat !== "" || rec !== "";
      shown.textContent = filtered ? count + " of " + rows.length + " papers shown" : rows.length + " papers";
      if (none) none.hidden = count > 0;
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    apply();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
