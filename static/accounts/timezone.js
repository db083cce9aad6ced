// Suggests the browser's IANA timezone for selects marked data-timezone-detect.
// An empty select (sign-up) is filled in and the student is asked to confirm by saving;
// a select that already holds another zone (profile) only gets a button to switch.
(function () {
  "use strict";

  function detectedZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  function suggest(select, zone) {
    if (!hasOption(select, zone) || select.value === zone) {
      return;
    }
    var status = document.createElement("p");
    status.className = "timezone-detected";
    status.setAttribute("role", "status");
    if (select.value === "") {
      select.value = zone;
      status.textContent = "Detected: " + zone + " — confirm by saving, or choose another.";
    } else {
      status.textContent = "Detected: " + zone + " — ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Use " + zone;
      button.addEventListener("click", function () {
        select.value = zone;
        status.textContent = "Detected: " + zone + " — confirm by saving.";
        select.focus();
      });
      status.appendChild(button);
    }
    select.insertAdjacentElement("afterend", status);
  }

  var zone = detectedZone();
  if (zone) {
    document.querySelectorAll("select[data-timezone-detect]").forEach(function (select) {
      suggest(select, zone);
    });
  }
})();
