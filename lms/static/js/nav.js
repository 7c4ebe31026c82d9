// On a phone the main navigation folds behind a "Menu" button (see .nav-collapsible in
// site.css). Without JavaScript the button stays hidden and every link is shown.
(() => {
  const button = document.querySelector(".nav-toggle");
  const links = document.getElementById("nav-links");
  if (!button || !links) return;
  const header = button.closest(".site-header");
  header.classList.add("nav-collapsible");
  button.hidden = false;
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("nav-open", open);
  };
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the menu and puts focus back on its button.
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
