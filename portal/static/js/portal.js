// Moves focus to an error summary when a page shows one, so that screen-reader and
// keyboard users hear the problems first. Everything else works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.focus();
  }
  // Following a link in the error summary focuses the field itself, not just scrolls to it.
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: "center" });
      }
    });
  });
});
