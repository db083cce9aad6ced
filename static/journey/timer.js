// The dashboard's focus timer. It counts down the block's own length (a 15-minute block shows
// 15:00) from the moment the block was started. The server records the real times (Start sets
// actual_start, Complete sets actual_end); this script only shows the countdown, and the time
// left in the tab's title while it runs. Without JavaScript the block still starts and
// completes through the plain forms, and the page says when it was started.
(function () {
  "use strict";

  var SECOND = 1000;
  var originalTitle = document.title;

  function pad(value) {
    return (value < 10 ? "0" : "") + value;
  }

  function clockText(seconds) {
    return pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
  }

  function start(element) {
    if (element.dataset.timerRunning) {
      return;
    }
    var startedAt = Date.parse(element.dataset.startedAt || "");
    var lengthSeconds = parseInt(element.dataset.lengthMin, 10) * 60;
    var display = element.querySelector("[data-timer-display]");
    var state = element.querySelector("[data-timer-state]");
    var announcer = element.querySelector("[data-timer-phase]");
    if (isNaN(startedAt) || !(lengthSeconds > 0) || !display) {
      // Not started yet: the server already shows the block's full length.
      return;
    }
    element.dataset.timerRunning = "true";
    var announcedEnd = false;

    function tick() {
      if (!document.body.contains(element)) {
        document.title = originalTitle;
        return false;
      }
      var elapsed = Math.max(0, Math.floor((Date.now() - startedAt) / SECOND));
      var left = Math.max(0, lengthSeconds - elapsed);
      display.textContent = clockText(left);
      if (left > 0) {
        if (state) {
          state.textContent = "left";
        }
        document.title = clockText(left) + " left · " + originalTitle;
        return true;
      }
      if (state) {
        state.textContent = "time is up";
      }
      document.title = "Time is up · " + originalTitle;
      if (!announcedEnd && announcer) {
        // Only the end is announced; the per-second countdown would be noise.
        announcer.textContent = "Time is up: complete the block when you are ready.";
      }
      announcedEnd = true;
      return true;
    }

    tick();
    var handle = window.setInterval(function () {
      if (!tick()) {
        window.clearInterval(handle);
      }
    }, SECOND);
  }

  function scan(root) {
    (root || document).querySelectorAll("[data-timer]").forEach(start);
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document);
  });
  // htmx swaps the Today panel after Start; the new panel holds a fresh timer element.
  document.addEventListener("htmx:load", function (event) {
    scan(event.target);
  });
  if (document.readyState !== "loading") {
    scan(document);
  }
})();
