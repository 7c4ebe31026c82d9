// Quiz attempt page: autosave answers and flags as they change; warn about inputs the server
// will refuse; keep the question navigator current; count down (announcing 10, 5 and 1
// minutes left to screen readers) and submit when time runs out.
// The server enforces every rule; this script only helps the learner.
(function () {
  "use strict";
  const form = document.getElementById("attempt-form");
  const status = document.getElementById("save-status");
  let timer = null;
  let submitting = false;
  const NUMBER = /^\s*[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?\s*$/;

  function say(text) { if (status) status.textContent = text; }

  // An input the server would refuse: say why next to it (and skip the autosave).
  function problemOf(input) {
    const value = input.value;
    if (input.hasAttribute("data-numeric") && value.trim() !== "" &&
        (!NUMBER.test(value) || !/^[\x00-\x7f]*$/.test(value) || value.trim().length > 64)) {
      return "“" + value.trim().slice(0, 40) + "” is not a number: write it in digits, e.g. 22.";
    }
    const max = Number(input.dataset.maxLength || 0);
    if (max && value.length > max) {
      return "Too long: " + value.length + " characters, the limit is " + max + ".";
    }
    return "";
  }

  function check(input) {
    const help = document.getElementById(input.id + "-help");
    const problem = problemOf(input);
    if (help) {
      help.textContent = problem || help.dataset.help || "";
      help.classList.toggle("field-error", !!problem);
    }
    if (problem) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    return !problem;
  }

  function orderingProblem(fieldset) {
    if (!fieldset || fieldset.dataset.type !== "ordering") return "";
    const values = Array.from(fieldset.querySelectorAll("select")).map((s) => s.value).filter(Boolean);
    return new Set(values).size !== values.length ? "Two items are at the same position." : "";
  }

  function allValid() {
    if (!form) return true;
    let ok = true;
    form.querySelectorAll("input[data-numeric], input[data-max-length]").forEach(function (input) {
      if (!check(input)) ok = false;
    });
    form.querySelectorAll("fieldset[data-type=ordering]").forEach(function (fs) {
      if (orderingProblem(fs)) ok = false;
    });
    return ok;
  }

  function refreshNavigator(fieldset) {
    if (!fieldset) return;
    const link = document.querySelector('[data-nav-for="' + fieldset.dataset.position + '"]');
    if (!link) return;
    const flag = fieldset.querySelector("input[name^='flag-']");
    const answered = Array.from(fieldset.querySelectorAll("input, select")).some(function (el) {
      if (el.type === "hidden" || el.name.startsWith("flag-")) return false;
      if (el.type === "radio" || el.type === "checkbox") return el.checked;
      return el.value.trim() !== "";
    });
    link.classList.toggle("is-answered", answered);
    link.classList.toggle("is-flagged", !!(flag && flag.checked));
    const hidden = link.querySelector(".visually-hidden");
    if (hidden) hidden.textContent = (answered ? ", answered" : ", not answered") +
      (flag && flag.checked ? ", flagged" : "");
  }

  async function save() {
    if (submitting || !allValid()) {
      if (!submitting) say("Not saved: correct the answers marked in red.");
      return;
    }
    const body = new FormData(form);
    try {
      const res = await fetch(form.dataset.saveUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "Accept": "application/json" },
      });
      const data = await res.json().catch(() => ({}));
      if (res.ok) {
        say("All answers saved at " + new Date().toLocaleTimeString() + ".");
      } else if (data.submitted && data.result_url) {
        window.location.assign(data.result_url);
      } else {
        say(data.error || "Could not save your answers; they will be sent when you submit.");
      }
    } catch (e) {
      say("You seem to be offline; your answers will be sent when you submit.");
    }
  }

  if (form) {
    form.addEventListener("change", function (ev) {
      const fs = ev.target.closest("fieldset.question");
      refreshNavigator(fs);
      const problem = orderingProblem(fs);
      if (problem) say("Question " + fs.dataset.position + ": " + problem + " Give each item its own position.");
      clearTimeout(timer); timer = setTimeout(save, 250);
    });
    form.addEventListener("input", function (ev) {
      if (ev.target.matches("input[type=text]")) {
        check(ev.target);
        refreshNavigator(ev.target.closest("fieldset.question"));
        clearTimeout(timer); timer = setTimeout(save, 800);
      }
    });
    form.addEventListener("submit", function (ev) {
      if (!submitting && !allValid()) {
        ev.preventDefault();
        say("Correct the answers marked in red first: they cannot be saved as they are.");
        const bad = form.querySelector("[aria-invalid=true]");
        if (bad) bad.focus();
        return;
      }
      submitting = true;
    });
  }

  const clock = document.getElementById("timer");
  if (clock) {
    const value = document.getElementById("timer-value");
    const alert = document.getElementById("timer-alert");
    const end = Date.now() + Number(clock.dataset.remaining) * 1000;
    const marks = [600, 300, 60];  // announce 10, 5 and 1 minutes left, once each
    let announced = Number(clock.dataset.remaining);
    const tick = function () {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      value.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      marks.forEach(function (mark) {
        if (announced > mark && left <= mark && left > 0) {
          const minutes = mark / 60;
          alert.textContent = minutes + (minutes === 1 ? " minute" : " minutes") + " left.";
        }
      });
      announced = Math.min(announced, left);
      clock.classList.toggle("is-low", left <= 300);
      if (left <= 0) {
        clearInterval(handle);
        alert.textContent = "Time is up: submitting your answers.";
        submitting = true;
        if (form) {
          form.action = form.dataset.submitUrl;
          form.submit();
        } else {
          const confirm = document.getElementById("confirm-submit");
          if (confirm) confirm.form.submit();
        }
      }
    };
    const handle = setInterval(tick, 1000);
    tick();
  }
})();
