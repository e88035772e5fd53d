// Branches appear as soon as they apply: after each change the server, which runs the same
// question flow as the terminal interview, says which questions are asked now; the others are
// hidden and left out of the form. Without this script the page works the same, one submit later.
(function () {
  "use strict";
  var form = document.querySelector("form[action^='/section/']");
  if (!form) { return; }
  var token = document.querySelector("meta[name='csrf-token']").content;
  var pending = null;

  function refresh() {
    var data = new FormData(form);
    fetch("/visible", {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: {"X-CSRF-Token": token}
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (answer) {
      if (!answer) { return; }
      var shown = new Set(answer.visible);
      form.querySelectorAll("fieldset.question").forEach(function (box) {
        var on = shown.has(box.dataset.qid);
        box.hidden = !on;
        box.disabled = !on;
      });
    });
  }

  form.addEventListener("change", function (event) {
    // "I don't know" and an answer exclude each other among check boxes.
    var box = event.target;
    if (box.type === "checkbox" && box.checked) {
      var group = form.querySelectorAll("input[type='checkbox'][name='" + CSS.escape(box.name) + "']");
      group.forEach(function (other) {
        if (other !== box && (box.value === "unknown" || other.value === "unknown")) { other.checked = false; }
      });
    }
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  });
  var summary = document.getElementById("errors");
  if (summary) { summary.focus(); }
})();
