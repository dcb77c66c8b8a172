// The bilingual editor's keys: Ctrl+Enter saves a segment and moves on, Ctrl+Up/Down moves,
// Alt+1..5 takes a memory suggestion; a click on a suggestion copies it into its target.
(function () {
  "use strict";
  function areas() { return Array.from(document.querySelectorAll(".segment-form textarea")); }
  function move(from, step) {
    const all = areas();
    const next = all[all.indexOf(from) + step];
    if (next) { next.focus(); next.scrollIntoView({block: "center"}); }
    return next;
  }
  document.addEventListener("keydown", function (event) {
    const area = event.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.closest(".segment-form")) { return; }
    if (event.ctrlKey && event.key === "Enter") {
      event.preventDefault();
      const position = area.dataset.position;
      area.form.requestSubmit();
      const all = areas();
      const index = all.indexOf(area);
      // The row is swapped after saving: focus the next segment by its position.
      const nextArea = all[index + 1];
      if (nextArea) {
        const id = nextArea.id;
        setTimeout(function () { const el = document.getElementById(id); if (el) { el.focus(); } }, 150);
      }
      return position;
    }
    if (event.ctrlKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      move(area, event.key === "ArrowDown" ? 1 : -1);
    }
    if (event.altKey && /^[1-5]$/.test(event.key)) {
      const list = area.form.querySelectorAll(".use-suggestion");
      const pick = list[Number(event.key) - 1];
      if (pick) { event.preventDefault(); area.value = pick.dataset.text; }
    }
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest(".use-suggestion") : null;
    if (!button) { return; }
    const area = document.getElementById(button.dataset.target);
    if (area) { area.value = button.dataset.text; area.focus(); }
  });
})();
