// Live preview for the Markdown editor: the server renders with the same renderer learners see.
(function () {
  "use strict";
  const form = document.getElementById("editor-form");
  if (!form) return;
  const source = form.querySelector("textarea");
  const preview = document.getElementById("preview");
  const token = form.querySelector("input[name=csrf_token]");
  let timer = null;
  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const body = new URLSearchParams({ source: source.value });
    if (token) body.set("csrf_token", token.value);
    try {
      const res = await fetch(form.dataset.previewUrl, {
        method: "POST", body, headers: { "X-CSRFToken": token ? token.value : "" },
        credentials: "same-origin",
      });
      if (!res.ok || mine !== seq) return;
      const data = await res.json();
      preview.innerHTML = data.html; // sanitised by the server (nh3)
    } catch (e) { /* keep the last preview */ }
  }
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });

  // Warn before leaving with unsaved changes (publishing, saving a draft or discarding is fine).
  const note = form.querySelector("input[name=note]");
  const saved = source.value + "\u0000" + (note ? note.value : "");
  let leaving = false;
  function dirty() { return source.value + "\u0000" + (note ? note.value : "") !== saved; }
  form.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (ev) {
    if (leaving || !dirty()) return;
    ev.preventDefault();
    ev.returnValue = "";  // the browser shows its own "Leave site?" question
  });
  const problems = document.getElementById("editor-problems");
  if (problems) problems.focus();
})();
