// Section pages of a questionnaire: questions appear and disappear as conditions change,
// and the draft saves itself a moment after each change and when the page is left.
// Without JavaScript the page works the same way through its Save buttons.
(function () {
  "use strict";

  const form = document.getElementById("section-form");
  if (!form || form.hasAttribute("data-readonly")) {
    return;
  }
  const status = form.querySelector("[data-autosave-status]");
  const seenField = form.querySelector("input[name='seen']");
  const url = form.dataset.autosaveUrl;
  let timer = null;
  let dirty = false;
  let inFlight = false;

  // Conditions --------------------------------------------------------------------------
  function valuesOf(key) {
    const inputs = form.querySelectorAll("[name='q_" + key + "']");
    const values = [];
    inputs.forEach((input) => {
      if ((input.type === "radio" || input.type === "checkbox")) {
        if (input.checked) { values.push(input.value); }
      } else if (input.value !== "") {
        values.push(input.value);
      }
    });
    return values;
  }

  function passes(condition) {
    const values = valuesOf(condition.question);
    if ("equals" in condition) { return values.length === 1 && values[0] === condition.equals; }
    if ("includes" in condition) { return values.includes(condition.includes); }
    return values.length === 1 && (condition.in_ || []).includes(values[0]);
  }

  // An earlier answer that satisfies a question hides it; when that answer is on another
  // page, what the server said ("now") stands.
  function isCredited(rule) {
    const target = form.querySelector("[data-question='" + rule.question + "']");
    if (!target) { return rule.now; }
    return isShown(target) && passes(rule);
  }

  function isShown(wrapper) {
    const credits = wrapper.dataset.creditedWhen;
    if (credits && JSON.parse(credits).some(isCredited)) { return false; }
    const raw = wrapper.dataset.showIf;
    if (!raw) { return true; }
    const condition = JSON.parse(raw);
    const target = form.querySelector("[data-question='" + condition.question + "']");
    if (target && !isShown(target)) { return false; }
    return passes(condition);
  }

  function applyConditions() {
    form.querySelectorAll("[data-show-if], [data-credited-when]").forEach((wrapper) => {
      wrapper.hidden = !isShown(wrapper);
    });
    form.querySelectorAll("[data-credit-note]").forEach((note) => {
      note.hidden = !isCredited(JSON.parse(note.dataset.creditNote));
    });
  }

  // Saving ------------------------------------------------------------------------------
  function say(message) {
    if (status) { status.textContent = message; }
  }

  function timeNow() {
    return new Date().toLocaleTimeString(document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit" });
  }

  // The autosave under way, if any: a Save waits for it, so that an older autosave can never
  // reach the server after the Save and overwrite what it stored.
  let pending = null;

  function save() {
    if (!dirty || inFlight) { return pending; }
    pending = send().finally(() => { pending = null; });
    return pending;
  }

  async function send() {
    dirty = false;
    inFlight = true;
    say(form.dataset.msgSaving);
    try {
      const reply = await fetch(url, { method: "POST", body: new FormData(form),
        credentials: "same-origin", headers: { "Accept": "application/json" } });
      const data = await reply.json();
      if (!reply.ok) {
        say(data.error || form.dataset.msgFailed);
        return;
      }
      seenField.value = data.seen;
      showProblems(data.problems || {});
      if (data.conflicts && data.conflicts.length) {
        say(form.dataset.msgConflict + " " +
            data.conflicts.map((c) => c.by + ": " + c.theirs).join("; "));
      } else {
        say(form.dataset.msgSaved.replace("%(time)s", timeNow()));
      }
    } catch (error) {
      dirty = true;  // try again on the next change or when the page is left
      say(form.dataset.msgFailed);
    } finally {
      inFlight = false;
    }
  }

  function showProblems(problems) {
    form.querySelectorAll("[data-question]").forEach((wrapper) => {
      const key = wrapper.dataset.question;
      let message = wrapper.querySelector(".js-problem");
      if (problems[key]) {
        if (!message) {
          message = document.createElement("p");
          message.className = "error-message js-problem";
          wrapper.appendChild(message);
        }
        message.textContent = problems[key].join(" ");
      } else if (message) {
        message.remove();
      }
    });
  }

  function changed() {
    dirty = true;
    applyConditions();
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => {
    dirty = false;
    clearTimeout(timer);
    if (pending) {
      // Sent again once the autosave has answered, with the versions it returned.
      event.preventDefault();
      const button = event.submitter;
      pending.finally(() => form.requestSubmit(button));
    }
  });

  // Leaving the page: hand the last changes to the browser, which sends them even as the
  // tab closes.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && dirty) {
      dirty = false;
      navigator.sendBeacon(url, new FormData(form));
    }
  });

  applyConditions();
})();
