"use strict";
// Sorting by column and filtering by words or level, in the page itself: no server, nothing
// loaded. Allowed by the page's Content-Security-Policy through this file's sha256 alone.
(function () {
  var table = document.getElementById("register");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    return cell.getAttribute("data-key") || cell.textContent.trim();
  }
  Array.prototype.forEach.call(heads, function (th, index) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var down = th.getAttribute("aria-sort") !== "descending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, index), y = key(b, index);
        var numeric = x !== "" && y !== "" && !isNaN(Number(x)) && !isNaN(Number(y));
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return down ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  var words = document.getElementById("filter");
  var level = document.getElementById("level");
  function filter() {
    var wanted = words.value.toLowerCase();
    var least = Number(level.value);
    Array.prototype.forEach.call(body.rows, function (row) {
      var rank = Number(row.getAttribute("data-rank"));
      row.hidden = row.textContent.toLowerCase().indexOf(wanted) < 0 || rank < least;
    });
  }
  words.addEventListener("input", filter);
  level.addEventListener("change", filter);
  document.getElementById("controls").hidden = false;
}());
