// The review session's keys: Space shows the answer, 1-4 answer Again/Hard/Good/Easy once it
// is shown. The page works without this script (the buttons are plain form submits); the
// script also measures how long the card was on screen, which the plan uses to size reviews.
(function () {
  "use strict";
  var shownAt = performance.now();
  var reveal = document.getElementById("reveal");
  var answer = document.getElementById("card-answer");
  var form = document.getElementById("rate-form");
  var duration = document.getElementById("duration-ms");
  if (!reveal || !answer || !form) {
    return;
  }
  function show() {
    answer.hidden = false;
    form.hidden = false;
    reveal.hidden = true;
    var first = form.querySelector("button[data-key='3']");
    if (first) {
      first.focus();
    }
  }
  form.addEventListener("submit", function () {
    duration.value = String(Math.round(performance.now() - shownAt));
  });
  reveal.addEventListener("click", show);
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) {
      return;
    }
    if (event.key === " " && answer.hidden) {
      event.preventDefault();
      show();
      return;
    }
    if (!answer.hidden && /^[1-4]$/.test(event.key)) {
      event.preventDefault();
      var button = form.querySelector("button[data-key='" + event.key + "']");
      if (button) {
        form.requestSubmit(button);
      }
    }
  });
})();
