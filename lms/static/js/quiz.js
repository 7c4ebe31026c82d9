// Quiz attempt page: autosave answers as they change; count down and submit when time runs out.
// The server enforces every rule; this script only saves the learner clicks and keystrokes.
(function () {
  "use strict";
  const form = document.getElementById("attempt-form");
  if (!form) return;
  const status = document.getElementById("save-status");
  let timer = null;
  let submitting = false;

  function say(text) { if (status) status.textContent = text; }

  async function save() {
    if (submitting) return;
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

  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(save, 250); });
  form.addEventListener("input", function (ev) {
    if (ev.target.matches("input[type=text]")) { clearTimeout(timer); timer = setTimeout(save, 800); }
  });
  form.addEventListener("submit", function () { submitting = true; });

  const clock = document.getElementById("timer");
  if (clock) {
    const value = document.getElementById("timer-value");
    const alert = document.getElementById("timer-alert");
    const end = Date.now() + Number(clock.dataset.remaining) * 1000;
    const tick = function () {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      value.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 300 || left === 60) alert.textContent = Math.round(left / 60) + " minute(s) left.";
      if (left <= 0) {
        clearInterval(handle);
        alert.textContent = "Time is up: submitting your answers.";
        submitting = true;
        form.requestSubmit ? form.requestSubmit(document.getElementById("submit-attempt")) : form.submit();
      }
    };
    const handle = setInterval(tick, 1000);
    tick();
  }
})();
