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
})();
