// Keyboard path on the review page: the focused question card takes letter keys.
// A-G or Y/N answer from the video (blind); then "a" accepts, "r" rejects.
// Tab / Shift+Tab move between cards.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.matches("input, textarea, select")) return;
  const card = target.closest(".question-card");
  if (!card) return;
  const button = card.querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
document.body.addEventListener("htmx:afterSwap", (event) => {
  const card = event.detail.target.id ? document.getElementById(event.detail.target.id) : null;
  if (card && card.classList.contains("question-card")) card.focus();
});
