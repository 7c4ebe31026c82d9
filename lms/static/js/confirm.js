// Forms marked data-confirm="question" ask before they submit (deleting something, say).
// Without JavaScript the form submits directly; the server never relies on this check.
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
