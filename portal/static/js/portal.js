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
