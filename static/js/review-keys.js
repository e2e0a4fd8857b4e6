// Keyboard path on the review page. On the focused question card:
// A-G or Y/N answer from the video (blind); then Enter accepts, E opens the edit fields,
// R the reject reasons; Escape goes back. Tab / Shift+Tab move between cards; n claims the next clip.
// In the caption form Enter only ever saves fixes (captionEnter).
function openPanel(card, id) {
  for (const panel of card.querySelectorAll("fieldset.fix, fieldset.reject")) panel.hidden = panel.id !== id;
  const panel = document.getElementById(id);
  const first = panel && panel.querySelector("textarea, input");
  if (first) first.focus();
}

// Enter in a caption field never decides: it saves fixes when a caption field changed, and otherwise
// says that nothing changed. (Without JavaScript the form's default button, out of sight, saves fixes.)
function captionChanged(form) {
  if (form.hasAttribute("data-unsaved")) return true; // a conflict's form holds the person's changes, not yet saved
  for (const el of form.elements) {
    if (!el.name || el.name === "reason" || ["hidden", "checkbox", "submit", "button"].includes(el.type)) continue;
    if (el.tagName === "SELECT") {
      const initial = [...el.options].find((option) => option.defaultSelected) || el.options[0];
      if (initial && el.value !== initial.value) return true;
    } else if (el.value !== el.defaultValue) return true;
  }
  return false;
}

function captionEnter(form) {
  const note = form.querySelector(".enter-note");
  if (captionChanged(form)) {
    if (window.htmx) window.htmx.process(form);
    form.querySelector('button[name="decision"][value="fix"]:not(.enter-default)').click();
  } else if (note) {
    note.textContent = "Nothing changed, so there is nothing to save. Enter saves fixes; it never accepts "
      + "(use “Accept caption” to accept).";
    note.hidden = false;
  }
}

document.addEventListener("input", (event) => {
  const note = event.target.form && event.target.form.querySelector(".enter-note");
  if (note) note.hidden = true;
});

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-opens]");
  if (opener) openPanel(opener.closest(".question-card"), opener.dataset.opens);
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const card = target.closest(".question-card");
  if (target.matches("input, textarea, select")) {
    const captionForm = target.closest("form.caption-form");
    if (event.key === "Enter" && captionForm && !target.matches("textarea")) {
      event.preventDefault();
      captionEnter(captionForm);
    } else if (event.key === "Escape" && card) {
      event.preventDefault();
      card.focus();
    } else if (event.key === "Enter" && target.matches("input") && target.closest("fieldset")) {
      // Enter in a fix or reject field submits that panel, never the card's first button (Accept)
      const own = target.closest("fieldset").querySelector('button[type="submit"]');
      if (own) {
        event.preventDefault();
        own.click();
      }
    }
    return;
  }
  if (target.matches("button, summary, a") && (event.key === "Enter" || event.key === " ")) return;
  if (!card) {
    if (event.key === "n") document.getElementById("next-clip")?.click();
    // caption-only pages (training corpora): Enter / E / R act on the caption
    const pageKey = document.querySelector("[data-caption-only]") &&
      document.querySelector(`[data-page-key="${CSS.escape(event.key.toLowerCase())}"]`);
    if (pageKey) {
      event.preventDefault();
      if (pageKey.matches("select, input, textarea")) pageKey.focus();
      else pageKey.click();
    }
    return;
  }
  const button = card.querySelector(`[data-key="${CSS.escape(event.key.toLowerCase())}"]`);
  if (!button) {
    if (event.key === "n") document.getElementById("next-clip")?.click(); // n answers No only where No is asked
    return;
  }
  event.preventDefault();
  // a card swapped in a moment ago may not be wired to htmx yet: wire it first, so the key never
  // falls through to a plain form submission (process is idempotent)
  if (window.htmx) window.htmx.process(card);
  if (button.dataset.opens) openPanel(card, button.dataset.opens);
  else button.click();
});

document.body.addEventListener("htmx:afterSwap", (event) => {
  const swapped = event.detail.target.id ? document.getElementById(event.detail.target.id) : null;
  if (swapped && swapped.classList.contains("question-card")) swapped.focus();
});

document.body.addEventListener("slotProgress", (event) => {
  const { openItems, captionOpen, blindLeft } = event.detail;
  const progress = document.getElementById("slot-progress");
  if (!progress) return;
  if (blindLeft) progress.textContent = `${blindLeft} question${blindLeft === 1 ? "" : "s"} to answer from the video first`;
  else progress.textContent = openItems || captionOpen
    ? `${openItems} question${openItems === 1 ? "" : "s"}${captionOpen ? " and the caption" : ""} still to decide`
    : "Clip done: press n or “Next clip” for the next one.";
});
