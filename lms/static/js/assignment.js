// Assignment pages: autosave and live preview of the learner's draft (the server renders with
// the one Markdown renderer); on the grade page, the running rubric total and the comment bank.
(function () {
  "use strict";
  const form = document.getElementById("draft-form");
  if (form) {
    const body = form.querySelector("textarea[name=body]");
    const preview = document.getElementById("preview");
    const status = document.getElementById("save-status");
    const token = form.querySelector("input[name=csrf_token]");
    let timer = null;
    let seq = 0;
    const say = function (text) { if (status) status.textContent = text; };
    const post = function (url, extra) {
      const data = new URLSearchParams({ body: body.value, versions: form.querySelector("input[name=versions]").value });
      if (token) data.set("csrf_token", token.value);
      Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
      return fetch(url, { method: "POST", body: data, credentials: "same-origin",
                          headers: { "Accept": "application/json" } });
    };
    const refresh = async function () {
      const mine = ++seq;
      try {
        const res = await post(form.dataset.previewUrl);
        if (res.ok && mine === seq) preview.innerHTML = (await res.json()).html; // sanitised by the server
      } catch (e) { /* keep the last preview */ }
      try {
        const res = await post(form.action);
        const data = await res.json().catch(function () { return {}; });
        say(res.ok ? "Draft saved at " + new Date().toLocaleTimeString() + "."
                   : (data.error || "Could not save your draft."));
      } catch (e) { say("You seem to be offline; use Save draft when you are back."); }
    };
    body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 600); });
  }

  const grade = document.getElementById("grade-form");
  if (grade) {
    const out = document.getElementById("total-value");
    const points = function (input) {
      const header = input.closest("table").querySelectorAll("thead th")[input.closest("td").cellIndex];
      const m = header && header.textContent.match(/\(([-\d.]+)\)\s*$/);
      return m ? parseFloat(m[1]) : 0;
    };
    const total = function () {
      let sum = 0;
      grade.querySelectorAll("input[type=radio][name^=level-]:checked").forEach(function (i) { sum += points(i); });
      if (out) out.textContent = String(Math.round(sum * 100) / 100);
    };
    grade.addEventListener("change", total);
    total();
    let target = grade.querySelector("[data-bank-target]");
    grade.querySelectorAll("[data-bank-target]").forEach(function (t) {
      t.addEventListener("focus", function () { target = t; });
    });
    grade.querySelectorAll("[data-bank-text]").forEach(function (b) {
      b.addEventListener("click", function () {
        if (!target) return;
        target.value = (target.value ? target.value.replace(/\s*$/, "") + "\n" : "") + b.dataset.bankText;
        target.focus();
      });
    });
  }
})();
