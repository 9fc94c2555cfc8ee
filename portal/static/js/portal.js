// Moves focus to an error summary when a page shows one, so that screen-reader and
// keyboard users hear the problems first. Everything else works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.focus();
  } else if (window.location.hash) {
    // Arriving from an error link on another page: focus the field itself.
    focusField(document.getElementById(decodeURIComponent(window.location.hash.slice(1))));
  }
  // Following a link in the error summary focuses the field itself, not just scrolls to it.
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        focusField(target);
      }
    });
  });
});

// A field, or the first input inside a group (radio buttons, checkboxes, a table).
function focusField(target) {
  if (!target) {
    return;
  }
  const focusable = target.matches("input, select, textarea, button")
    ? target
    : target.querySelector("input:not([type=hidden]), select, textarea") || target;
  focusable.focus();
  focusable.scrollIntoView({ block: "center" });
}

// A long list of check boxes with a filter above it (data-list-filter): typing shows only the
// items whose text holds what is typed, and those already ticked. Hidden items keep their
// ticks, and the filter has no name, so it is never sent. Without JavaScript the filter stays
// hidden and the whole list shows.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-list-filter]").forEach((box) => {
    const input = box.querySelector("input");
    const count = box.querySelector("[data-list-filter-count]");
    const items = Array.from(document.getElementById(input.getAttribute("aria-controls")).children);
    const show = () => {
      const wanted = input.value.trim().toLocaleLowerCase();
      let shown = 0;
      items.forEach((item) => {
        const ticked = item.querySelector("input:checked") !== null;
        item.hidden = !(ticked || item.textContent.toLocaleLowerCase().includes(wanted));
        shown += item.hidden ? 0 : 1;
      });
      count.textContent = wanted
        ? box.dataset.countText.replace("{shown}", shown).replace("{total}", items.length)
        : "";
    };
    input.addEventListener("input", show);
    // Enter in the filter would send the whole form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
    box.hidden = false;
  });
});
