// Drag a study block on the week grid to another day or time. Progressive enhancement: without
// this script each block links to its card in the list below, whose Move link opens the form,
// and the keyboard takes that same path. The server checks the move (availability, busy time,
// the deadline) exactly as for the form, pins the block and replans the rest.
(function () {
  "use strict";

  // Drops snap to quarter hours: the times a student would type into the form themselves.
  const SNAP_MIN = 15;
  // A press that moves less than this is a click on the block (it opens its card), not a drag.
  const DRAG_THRESHOLD_PX = 5;
  const MINUTES_PER_DAY = 24 * 60;

  const grid = document.querySelector(".wk-grid");
  if (!grid) {
    return;
  }
  const status = document.getElementById("wk-status");
  const firstHour = Number(grid.dataset.firstHour);
  const hourCount = Number(grid.dataset.hours);
  const columns = Array.from(grid.querySelectorAll(".wk-col"));

  function pad(number) {
    return String(number).padStart(2, "0");
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("wk-error", Boolean(isError));
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function columnAt(x) {
    return columns.find((column) => {
      const box = column.getBoundingClientRect();
      return x >= box.left && x < box.right;
    });
  }

  function errorText(payload) {
    const errors = (payload && payload.errors) || {};
    const messages = Object.values(errors).flat();
    return messages.length ? messages.join(" ") : "The block could not be moved there.";
  }

  async function submitMove(block, day, minutes) {
    const wallTime = `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
    const body = new FormData();
    body.append("new_start_time", `${day}T${wallTime}`);
    say(`Moving to ${day} ${wallTime}…`);
    let response;
    try {
      response = await fetch(block.dataset.moveUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
    } catch (error) {
      say("The move could not be sent; check your connection and try again.", true);
      return false;
    }
    if (response.ok) {
      say(`Moved to ${day} ${wallTime} and pinned there; the rest of the plan is being redone.`);
      window.location.reload();
      return true;
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (error) {
      payload = null;
    }
    say(errorText(payload), true);
    return false;
  }

  grid.addEventListener("pointerdown", (event) => {
    const block = event.target.closest(".wk-block[data-move-url]");
    if (!block || event.button !== 0) {
      return;
    }
    event.preventDefault();
    const home = block.parentElement;
    const startX = event.clientX;
    const startY = event.clientY;
    const originTop = block.offsetTop;
    const hourPx = home.getBoundingClientRect().height / hourCount;
    let dragging = false;
    let target = null;
    let minutes = null;
    block.setPointerCapture(event.pointerId);

    function reset() {
      block.classList.remove("wk-dragging");
      block.style.transform = "";
    }

    function onMove(moveEvent) {
      const dy = moveEvent.clientY - startY;
      if (!dragging && Math.hypot(moveEvent.clientX - startX, dy) < DRAG_THRESHOLD_PX) {
        return;
      }
      dragging = true;
      block.classList.add("wk-dragging");
      target = columnAt(moveEvent.clientX) || target || home;
      const raw = ((originTop + dy) / hourPx) * 60 + firstHour * 60;
      const latest = Math.min((firstHour + hourCount) * 60, MINUTES_PER_DAY) - SNAP_MIN;
      minutes = Math.min(Math.max(Math.round(raw / SNAP_MIN) * SNAP_MIN, firstHour * 60), latest);
      const top = ((minutes - firstHour * 60) / 60) * hourPx;
      const dx = target.getBoundingClientRect().left - home.getBoundingClientRect().left;
      // CSSOM writes are allowed by the CSP; only inline style attributes are not.
      block.style.transform = `translate(${dx}px, ${top - originTop}px)`;
      say(`Drop to move to ${target.dataset.label} ${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}.`);
    }

    function finish(cancelled) {
      block.removeEventListener("pointermove", onMove);
      block.removeEventListener("pointerup", onUp);
      block.removeEventListener("pointercancel", onCancel);
      if (!dragging) {
        return;
      }
      // The click that ends a drag must not also follow the block's link.
      block.addEventListener("click", (clickEvent) => clickEvent.preventDefault(), { once: true });
      if (cancelled || target === null || minutes === null) {
        reset();
        say("");
        return;
      }
      submitMove(block, target.dataset.date, minutes).then((moved) => {
        if (!moved) {
          reset();
        }
      });
    }

    function onUp() {
      finish(false);
    }

    function onCancel() {
      finish(true);
    }

    block.addEventListener("pointermove", onMove);
    block.addEventListener("pointerup", onUp);
    block.addEventListener("pointercancel", onCancel);
  });

  // A review session on the grid opens its list of topics below, not just scrolls to it.
  function openSession(hash) {
    const target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
    if (target && target.tagName === "DETAILS") {
      target.open = true;
    }
  }
  window.addEventListener("hashchange", () => openSession(window.location.hash));
  openSession(window.location.hash);

  document.addEventListener("keydown", (event) => {
    const dragged = grid.querySelector(".wk-dragging");
    if (event.key === "Escape" && dragged) {
      dragged.dispatchEvent(new PointerEvent("pointercancel"));
    }
  });
})();
