// The dashboard's Pomodoro focus timer. The server records the real times (Start sets
// actual_start, Complete sets actual_end); this script only shows the countdown from
// actual_start, alternating focus and break lengths taken from the student's preferences.
// Without JavaScript the block still starts and completes through the plain forms.
(function () {
  "use strict";

  var SECOND = 1000;
  var timers = [];

  function pad(value) {
    return (value < 10 ? "0" : "") + value;
  }

  function phaseAt(elapsedSeconds, focusSeconds, breakSeconds) {
    var cycle = focusSeconds + breakSeconds;
    var within = elapsedSeconds % cycle;
    var round = Math.floor(elapsedSeconds / cycle) + 1;
    if (within < focusSeconds) {
      return { name: "Focus", left: focusSeconds - within, round: round };
    }
    return { name: "Break", left: cycle - within, round: round };
  }

  function start(element) {
    if (element.dataset.timerRunning) {
      return;
    }
    var startedAt = Date.parse(element.dataset.startedAt);
    var focusSeconds = parseInt(element.dataset.focusMin, 10) * 60;
    var breakSeconds = parseInt(element.dataset.breakMin, 10) * 60;
    var display = element.querySelector("[data-timer-display]");
    var announcer = element.querySelector("[data-timer-phase]");
    if (isNaN(startedAt) || !(focusSeconds > 0) || !(breakSeconds > 0) || !display) {
      return;
    }
    element.dataset.timerRunning = "true";
    display.hidden = false;
    var lastPhase = "";

    function tick() {
      if (!document.body.contains(element)) {
        return false;
      }
      var elapsed = Math.max(0, Math.floor((Date.now() - startedAt) / SECOND));
      var phase = phaseAt(elapsed, focusSeconds, breakSeconds);
      var minutes = Math.floor(phase.left / 60);
      display.textContent =
        phase.name + " " + phase.round + ": " + pad(minutes) + ":" + pad(phase.left % 60) + " left";
      var key = phase.name + phase.round;
      if (key !== lastPhase && announcer) {
        // Only phase changes are announced; the per-second countdown would be noise.
        announcer.textContent =
          phase.name === "Focus" ? "Focus time: keep going." : "Break time: step away for a bit.";
        lastPhase = key;
      }
      return true;
    }

    tick();
    var handle = window.setInterval(function () {
      if (!tick()) {
        window.clearInterval(handle);
      }
    }, SECOND);
    timers.push(handle);
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
