// Keyboard path on the review page; the keymap is templates/review/_keymap.html (press ?) and README
// "The review page". Answers keep their letters (A-G, Y/N, unshifted); commands use keys that are never
// answers: Enter accept, Shift+E or w edit, x or Shift+R reject (then 1-9 toggle its reasons, Enter
// submits), j/k or arrows between cards, u undo, s skip, Shift+N next clip, ? the keymap, Esc closes.
// A "card" is a question card or the caption pane. On load and after every decision the focus goes to the
// first undecided card (the questions in page order, then the caption), scrolled into view beside the
// sticky player. In the caption form Enter only ever saves fixes (captionEnter, issue 21).
const CARDS = ".question-card:not([hidden]), #caption-pane";

function cards() {
  const questions = [...document.querySelectorAll(".question-card:not([hidden])")];
  const caption = document.getElementById("caption-pane");
  return caption ? [...questions, caption] : questions;
}

function undecided(card) {
  if (card.id === "caption-pane") return Boolean(card.querySelector("form.caption-form"));
  return !card.classList.contains("done") && !card.classList.contains("context") && Boolean(card.querySelector("form"));
}

function focusCard(card) {
  if (!card) return;
  const tab = card.closest("[role=tabpanel][hidden]"); // a caption kept in a tab of its own: show that tab
  if (tab && tab.id) document.querySelector(`[aria-controls="${CSS.escape(tab.id)}"]`)?.click();
  if (!card.hasAttribute("tabindex")) card.tabIndex = -1;
  card.focus({ preventScroll: true });
  scrollBesidePlayer(card);
}

// Into view and, in the one-column layout, below the sticky player rather than under it (scroll-margin alone
// is not honoured when the card is already on screen).
function scrollBesidePlayer(card) {
  card.scrollIntoView({ block: "nearest" });
  const head = document.querySelector(".player-head");
  const box = card.getBoundingClientRect();
  const player = head && head.getBoundingClientRect();
  const covered = player && player.right > box.left && player.left < box.right && player.top <= 1 ? player.bottom : 0;
  if (box.top < covered + 4 || box.top > window.innerHeight - 60) window.scrollBy(0, box.top - covered - 8);
}

function focusFirstUndecided() {
  const next = cards().find(undecided);
  if (next) focusCard(next);
  else document.getElementById("next-clip")?.focus({ preventScroll: true });
}

function moveFocus(from, step) {
  const all = cards();
  const at = all.indexOf(from);
  focusCard(all[at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step))]);
}

function openPanel(card, id) {
  for (const panel of card.querySelectorAll("fieldset.fix, fieldset.reject")) panel.hidden = panel.id !== id;
  const panel = document.getElementById(id);
  const first = panel && panel.querySelector("textarea, input");
  if (first) first.focus();
  panel?.scrollIntoView({ block: "nearest" });
}

function openCaptionReject(pane) {
  const details = pane.querySelector("details[data-reject-panel]");
  if (!details) return;
  details.open = true;
  details.querySelector("input[type=checkbox]")?.focus();
  details.scrollIntoView({ block: "nearest" });
}

// The open fix / reject panel (or the caption's reject details) around a field, if any.
function openPanelAround(target) {
  const panel = target.closest("fieldset.fix, fieldset.reject, details[data-reject-panel]");
  return panel && (panel.tagName === "DETAILS" ? panel.open : !panel.hidden) ? panel : null;
}

function closePanel(panel, card) {
  if (panel.tagName === "DETAILS") panel.open = false;
  else panel.hidden = true;
  focusCard(card);
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

function submitCommand(id) {
  const form = document.getElementById(id);
  if (!form) return;
  if (window.htmx) window.htmx.process(form);
  form.requestSubmit();
}

function openDialog(id) {
  const dialog = document.getElementById(id);
  if (dialog && !dialog.open) {
    dialog.showModal();
    dialog.querySelector("input, textarea, button")?.focus();
  }
}

document.addEventListener("input", (event) => {
  const note = event.target.form && event.target.form.querySelector(".enter-note");
  if (note) note.hidden = true;
});

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-opens]");
  if (opener) openPanel(opener.closest(".question-card"), opener.dataset.opens);
  const dialogOpener = event.target.closest("[data-dialog]");
  if (dialogOpener) openDialog(dialogOpener.dataset.dialog);
  const closer = event.target.closest("[data-closes-dialog]");
  if (closer) closer.closest("dialog").close();
});

// Keys inside a field: Esc closes the open panel, digits toggle reject reasons, Enter submits the panel.
function fieldKey(event, target, card) {
  const panel = openPanelAround(target);
  if (event.key === "Escape" && card) {
    event.preventDefault();
    if (panel) closePanel(panel, card);
    else focusCard(card);
    return;
  }
  const reasons = panel && panel.matches("fieldset.reject, details") ? [...panel.querySelectorAll("input[type=checkbox]")] : [];
  if (target.type === "checkbox" && /^[1-9]$/.test(event.key) && reasons.length) {
    event.preventDefault();
    const box = reasons[Number(event.key) - 1];
    if (box) box.checked = !box.checked;
    return;
  }
  const captionForm = target.closest("form.caption-form");
  if (event.key === "Enter" && captionForm && !target.matches("textarea")) {
    event.preventDefault();
    captionEnter(captionForm);
  } else if (event.key === "Enter" && target.matches("input") && target.closest("fieldset")) {
    // Enter in a fix or reject field submits that panel, never the card's first button (Accept)
    const own = target.closest("fieldset").querySelector('button[type="submit"]');
    if (own) {
      event.preventDefault();
      own.click();
    }
  }
}

// The commands of a card; true when the key was one.
function cardCommand(event, card) {
  const key = event.key;
  const plain = event.shiftKey ? "" : key.toLowerCase(); // Caps Lock on: still the plain key
  const caption = card.id === "caption-pane";
  const edit = plain === "w" || (key === "E" && event.shiftKey);
  const reject = plain === "x" || (key === "R" && event.shiftKey);
  if (caption) {
    if (edit) card.querySelector("form.caption-form select, form.caption-form input:not([type=hidden])")?.focus();
    else if (reject) openCaptionReject(card);
    else if (key === "Enter") card.querySelector('[data-key="enter"]')?.click();
    else return false;
    return true;
  }
  // a card swapped in a moment ago may not be wired to htmx yet: wire it first, so the key never
  // falls through to a plain form submission (process is idempotent)
  if (window.htmx) window.htmx.process(card);
  const command = edit ? "edit" : reject ? "reject" : null;
  if (command) {
    const opener = card.querySelector(`[data-command="${command}"]`);
    if (!opener) return false;
    openPanel(card, opener.dataset.opens);
    return true;
  }
  if (event.shiftKey && key.length === 1 && /[A-Z]/.test(key)) return false; // Shift+letter is never an answer
  const button = card.querySelector(`[data-key="${CSS.escape(key.toLowerCase())}"]`);
  if (!button) return false;
  button.click();
  return true;
}

// The page's commands, wherever the focus is (outside fields).
function pageCommand(event, card) {
  const key = !event.shiftKey && event.key.length === 1 ? event.key.toLowerCase() : event.key; // Caps Lock on
  if (key === "N" && event.shiftKey) document.getElementById("next-clip")?.click();
  else if (key === "?") openDialog("keymap");
  else if (key === "s") openDialog("skip-dialog");
  else if (key === "u") submitCommand("undo-last");
  else if (key === "j" || key === "ArrowDown") moveFocus(card, 1);
  else if (key === "k" || key === "ArrowUp") moveFocus(card, -1);
  else return false;
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.closest("dialog")) return; // a dialog keeps its keys (Esc closes it, Enter submits its form)
  let card = target.closest(CARDS);
  if (target.matches("input, textarea, select")) {
    fieldKey(event, target, card);
    return;
  }
  if (target.matches("button, summary, a") && (event.key === "Enter" || event.key === " ")) return;
  // caption-only pages (training corpora): with the focus nowhere in particular, keys act on the caption
  if (!card && document.querySelector("[data-caption-only]")) card = document.getElementById("caption-pane");
  if ((card && cardCommand(event, card)) || pageCommand(event, card)) event.preventDefault();
});

document.body.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "command-error") event.detail.target.hidden = false;
});

document.body.addEventListener("htmx:afterSettle", (event) => {
  const id = event.detail.target && event.detail.target.id;
  const swapped = id ? document.getElementById(id) : null;
  if (!swapped || !swapped.matches(CARDS)) return;
  showUndo(); // the card swapped in after the clip's last decision offers no undo
  // a field focused by the swap (caption-pane.js: the first field a refused save names) keeps the focus
  if (swapped.contains(document.activeElement) && document.activeElement !== swapped) return;
  // a card still asking something of this person (an error, the fix preview, a conflict) keeps the focus
  if (undecided(swapped)) focusCard(swapped);
  else focusFirstUndecided();
});

let clipDone = document.getElementById("slot-progress")?.hasAttribute("data-clip-done") ?? false;
function showUndo() {
  for (const form of document.querySelectorAll("form.undo")) form.hidden = clipDone; // a complete clip is settled
}

document.body.addEventListener("slotProgress", (event) => {
  const { openItems, captionOpen, blindLeft } = event.detail;
  clipDone = !blindLeft && !openItems && !captionOpen;
  showUndo();
  const progress = document.getElementById("slot-progress");
  if (!progress) return;
  if (blindLeft) progress.textContent = `${blindLeft} question${blindLeft === 1 ? "" : "s"} to answer from the video first`;
  else progress.textContent = openItems || captionOpen
    ? `${openItems} question${openItems === 1 ? "" : "s"}${captionOpen ? " and the caption" : ""} still to decide`
    : "Clip done: press Shift+N or “Next clip” for the next one.";
});

// on load: the card named in the address (?focus=, after an undo) or the first undecided one. The page places
// the view itself: a reload (the reveal, an undo) must not restore the old scroll over the focused card.
history.scrollRestoration = "manual";
(() => {
  showUndo();
  if (document.activeElement && document.activeElement !== document.body) return;
  const focus = new URLSearchParams(location.search).get("focus");
  const named = focus && document.getElementById(focus);
  if (named && named.matches(CARDS) && undecided(named)) focusCard(named);
  else focusFirstUndecided();
  // images still loading move the cards: once they are in, put the focused card beside the player again
  window.addEventListener("load", () => document.activeElement?.matches(CARDS) && scrollBesidePlayer(document.activeElement));
})();
