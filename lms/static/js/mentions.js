// @mention suggestions for the boards' text areas (textarea[data-mentions]). Typing "@" and
// two letters asks the server who can be mentioned on this board (only members who can see
// it); choosing one inserts their handle. Without JavaScript, handles can be typed by hand.
(function () {
  "use strict";
  const HANDLE_RE = /(^|\s)@([^\s@]{2,40})$/;

  function setUp(area) {
    const box = area.closest("form").parentElement.querySelector(".mention-list");
    if (!box) { return; }
    const list = document.createElement("ul");
    list.setAttribute("role", "listbox");
    list.id = area.id + "-mentions";
    list.setAttribute("aria-label", "People you can mention");
    box.appendChild(list);
    area.setAttribute("aria-controls", list.id);
    let timer = null;
    let controller = null;

    function close() { box.hidden = true; list.replaceChildren(); }

    function insert(handle) {
      const before = area.value.slice(0, area.selectionStart);
      const after = area.value.slice(area.selectionStart);
      const replaced = before.replace(/@[^\s@]*$/, "@" + handle + " ");
      area.value = replaced + after;
      area.selectionStart = area.selectionEnd = replaced.length;
      close();
      area.focus();
    }

    function show(members) {
      list.replaceChildren();
      members.forEach((m) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary outline small";
        button.setAttribute("role", "option");
        button.textContent = m.name + " (@" + m.handle + ")";
        button.addEventListener("click", () => insert(m.handle));
        item.appendChild(button);
        list.appendChild(item);
      });
      box.hidden = members.length === 0;
    }

    area.addEventListener("input", () => {
      const match = HANDLE_RE.exec(area.value.slice(0, area.selectionStart));
      if (!match) { close(); return; }
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (controller) { controller.abort(); }
        controller = new AbortController();
        const url = box.dataset.url + "?board=" + encodeURIComponent(box.dataset.board)
          + "&q=" + encodeURIComponent(match[2]);
        fetch(url, { credentials: "same-origin", signal: controller.signal,
                     headers: { Accept: "application/json" } })
          .then((r) => (r.ok ? r.json() : { members: [] }))
          .then((data) => show(data.members || []))
          .catch(() => {});
      }, 150);
    });
    area.addEventListener("keydown", (event) => { if (event.key === "Escape") { close(); } });
  }

  document.querySelectorAll("textarea[data-mentions]").forEach(setUp);
}());
