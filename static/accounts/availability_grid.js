// The weekly availability as a grid to paint: press on a free half hour and drag to mark study
// time, press on marked time and drag to erase it. The grid only writes the time-range inputs
// of the form below, so the server sees the same submission as from the keyboard, and checks
// it the same way. Without this script the form is the editor; with it, each day's form shows
// only its ranges, with buttons to add and remove one.
(function () {
  "use strict";

  // Half hours: a cell tall enough to hit with a finger; the ranges below take any minute.
  const SLOT_MIN = 30;
  const MINUTES_PER_DAY = 24 * 60;

  const editor = document.querySelector("fieldset.availability");
  if (!editor) {
    return;
  }
  const form = editor.closest("form");
  const days = Array.from(editor.querySelectorAll("fieldset.day")).map((fieldset) => ({
    key: fieldset.id.replace(/^day-/, ""),
    label: fieldset.querySelector("legend").textContent.trim(),
    fieldset,
  }));

  function toMinutes(text) {
    const match = /^(\d{1,2}):(\d{2})/.exec(text || "");
    return match ? Number(match[1]) * 60 + Number(match[2]) : null;
  }

  function toText(minutes) {
    // 24:00 is not a time the form takes: the day ends at 23:59.
    const clamped = Math.min(minutes, MINUTES_PER_DAY - 1);
    return `${String(Math.floor(clamped / 60)).padStart(2, "0")}:${String(clamped % 60).padStart(2, "0")}`;
  }

  function bound(name, fallback) {
    const input = form.querySelector(`[name="${name}"]`);
    const value = input ? toMinutes(input.value) : null;
    return value === null ? fallback : value;
  }

  function rowsOf(day) {
    return Array.from(day.fieldset.querySelectorAll(".range-row"));
  }

  function inputsOf(row) {
    return {
      start: row.querySelector('input[name$="-start"]'),
      end: row.querySelector('input[name$="-end"]'),
    };
  }

  function rangesOf(day) {
    const ranges = [];
    for (const row of rowsOf(day)) {
      const { start, end } = inputsOf(row);
      const from = toMinutes(start.value);
      const to = toMinutes(end.value);
      if (from !== null && to !== null && to > from) {
        ranges.push([from, to]);
      }
    }
    return ranges;
  }

  // -- The form: each day shows its ranges, with buttons to add and remove one ---------------

  function hasError(row) {
    return row.querySelector(".errorlist") !== null;
  }

  function isBlank(row) {
    const { start, end } = inputsOf(row);
    return !start.value && !end.value;
  }

  function addRow(day) {
    const rows = rowsOf(day);
    const total = day.fieldset.querySelector(`[name="${day.key}-TOTAL_FORMS"]`);
    const max = day.fieldset.querySelector(`[name="${day.key}-MAX_NUM_FORMS"]`);
    const hidden = rows.find((row) => row.hidden);
    if (hidden) {
      hidden.hidden = false;
      return hidden;
    }
    if (max && rows.length >= Number(max.value)) {
      return null;
    }
    const index = rows.length;
    const copy = rows[rows.length - 1].cloneNode(true);
    const pattern = new RegExp(`${day.key}-\\d+-`, "g");
    for (const element of copy.querySelectorAll("[name], [id], [for], [aria-describedby]")) {
      for (const attribute of ["name", "id", "for", "aria-describedby"]) {
        if (element.hasAttribute(attribute)) {
          element.setAttribute(attribute, element.getAttribute(attribute).replace(pattern, `${day.key}-${index}-`));
        }
      }
    }
    for (const label of copy.querySelectorAll("label")) {
      label.textContent = label.textContent.replace(/range \d+/, `range ${index + 1}`);
    }
    copy.querySelectorAll(".errorlist").forEach((list) => list.remove());
    copy.querySelectorAll("input").forEach((input) => {
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    copy.hidden = false;
    rows[rows.length - 1].after(copy);
    total.value = String(index + 1);
    addRemoveButton(day, copy);
    return copy;
  }

  function addRemoveButton(day, row) {
    row.querySelectorAll(".range-remove").forEach((button) => button.remove());
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary range-remove";
    const position = rowsOf(day).indexOf(row) + 1;
    button.textContent = "Remove";
    const hiddenText = document.createElement("span");
    hiddenText.className = "visually-hidden";
    hiddenText.textContent = ` ${day.label} range ${position}`;
    button.append(hiddenText);
    button.addEventListener("click", () => {
      const { start, end } = inputsOf(row);
      start.value = "";
      end.value = "";
      row.hidden = true;
      paintDay(day);
      day.addButton.focus();
    });
    row.append(button);
  }

  for (const day of days) {
    for (const row of rowsOf(day)) {
      addRemoveButton(day, row);
      row.hidden = isBlank(row) && !hasError(row);
    }
    const add = document.createElement("button");
    add.type = "button";
    add.className = "secondary range-add";
    add.textContent = `Add a range on ${day.label}`;
    add.addEventListener("click", () => {
      const row = addRow(day);
      if (row) {
        inputsOf(row).start.focus();
      }
    });
    day.fieldset.querySelector(".ranges").after(add);
    day.addButton = add;
  }

  function writeRanges(day, ranges) {
    while (rowsOf(day).length < ranges.length && addRow(day)) {
      // addRow makes one more row each time, up to the form's maximum.
    }
    rowsOf(day).forEach((row, index) => {
      const { start, end } = inputsOf(row);
      const range = ranges[index];
      start.value = range ? toText(range[0]) : "";
      end.value = range ? toText(range[1]) : "";
      row.hidden = !range && !hasError(row);
    });
  }

  // -- The grid ------------------------------------------------------------------------------

  const earliest = bound("earliest_start_time", 0);
  const latest = Math.max(bound("latest_end_time", MINUTES_PER_DAY), earliest + SLOT_MIN);
  const firstSlot = Math.floor(earliest / SLOT_MIN) * SLOT_MIN;
  const lastSlot = Math.ceil(latest / SLOT_MIN) * SLOT_MIN;
  const slots = [];
  for (let minute = firstSlot; minute < lastSlot; minute += SLOT_MIN) {
    slots.push(minute);
  }

  const figure = document.createElement("div");
  figure.className = "avail-painter";
  const help = document.createElement("p");
  help.className = "muted help";
  help.textContent =
    "Drag on the grid to mark when you can study; start on marked time to erase it. " +
    "The ranges of each day below change with it, and can be typed in instead.";
  const grid = document.createElement("div");
  grid.className = "avail-grid";
  // The form below carries the same information for screen readers and the keyboard.
  grid.setAttribute("aria-hidden", "true");
  grid.append(document.createElement("span"));
  for (const day of days) {
    const head = document.createElement("span");
    head.className = "avail-head";
    head.textContent = day.label.slice(0, 3);
    grid.append(head);
  }
  const cells = days.map(() => []);
  for (const minute of slots) {
    const label = document.createElement("span");
    label.className = "avail-hour";
    label.textContent = minute % 60 === 0 ? toText(minute) : "";
    grid.append(label);
    days.forEach((day, dayIndex) => {
      const cell = document.createElement("span");
      cell.className = minute % 60 === 0 ? "avail-cell hour-start" : "avail-cell";
      cell.dataset.day = String(dayIndex);
      cell.dataset.slot = String(cells[dayIndex].length);
      cell.dataset.minute = String(minute);
      cell.dataset.key = day.key;
      cells[dayIndex].push(cell);
      grid.append(cell);
    });
  }
  figure.append(help, grid);
  const legendOrHelp = editor.querySelector(".help") || editor.querySelector("legend");
  legendOrHelp.after(figure);

  function paintDay(day) {
    const dayIndex = days.indexOf(day);
    const ranges = rangesOf(day);
    for (const cell of cells[dayIndex]) {
      const from = Number(cell.dataset.minute);
      const on = ranges.some(([start, end]) => start < from + SLOT_MIN && end > from);
      cell.classList.toggle("on", on);
    }
  }

  function rangesFromCells(dayIndex) {
    const ranges = [];
    let open = null;
    cells[dayIndex].forEach((cell) => {
      const minute = Number(cell.dataset.minute);
      if (cell.classList.contains("on")) {
        open = open === null ? minute : open;
      } else if (open !== null) {
        ranges.push([open, minute]);
        open = null;
      }
    });
    if (open !== null) {
      ranges.push([open, lastSlot]);
    }
    // Inside the day the form allows: the earliest start and the latest end.
    return ranges
      .map(([start, end]) => [Math.max(start, earliest), Math.min(end, latest)])
      .filter(([start, end]) => end > start);
  }

  days.forEach(paintDay);
  editor.addEventListener("input", (event) => {
    const fieldset = event.target.closest("fieldset.day");
    const day = days.find((candidate) => candidate.fieldset === fieldset);
    if (day) {
      paintDay(day);
    }
  });

  let stroke = null;

  function cellAt(x, y) {
    const element = document.elementFromPoint(x, y);
    return element ? element.closest(".avail-cell") : null;
  }

  function preview(to) {
    const [dayA, dayB] = [stroke.day, Number(to.dataset.day)].sort((a, b) => a - b);
    const [slotA, slotB] = [stroke.slot, Number(to.dataset.slot)].sort((a, b) => a - b);
    cells.forEach((column, dayIndex) => {
      column.forEach((cell, slotIndex) => {
        const inside = dayIndex >= dayA && dayIndex <= dayB && slotIndex >= slotA && slotIndex <= slotB;
        cell.classList.toggle("preview", inside);
      });
    });
  }

  grid.addEventListener("pointerdown", (event) => {
    const cell = event.target.closest(".avail-cell");
    if (!cell || event.button !== 0) {
      return;
    }
    event.preventDefault();
    grid.setPointerCapture(event.pointerId);
    stroke = {
      day: Number(cell.dataset.day),
      slot: Number(cell.dataset.slot),
      paint: !cell.classList.contains("on"),
    };
    grid.classList.toggle("erasing", !stroke.paint);
    preview(cell);
  });

  grid.addEventListener("pointermove", (event) => {
    if (!stroke) {
      return;
    }
    const cell = cellAt(event.clientX, event.clientY);
    if (cell) {
      preview(cell);
    }
  });

  function endStroke(apply) {
    if (!stroke) {
      return;
    }
    const touched = new Set();
    for (const cell of grid.querySelectorAll(".avail-cell.preview")) {
      cell.classList.remove("preview");
      if (apply) {
        cell.classList.toggle("on", stroke.paint);
        touched.add(Number(cell.dataset.day));
      }
    }
    for (const dayIndex of touched) {
      writeRanges(days[dayIndex], rangesFromCells(dayIndex));
      paintDay(days[dayIndex]);
    }
    stroke = null;
  }

  grid.addEventListener("pointerup", () => endStroke(true));
  grid.addEventListener("pointercancel", () => endStroke(false));
})();
