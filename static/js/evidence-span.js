// Evidence spans on the review page: the frames of the clip that show a question's answer.
// Mark in / Mark out (i / o on the focused card: review-keys.js presses the buttons) take the
// scrubber's current frame, a decoded-stream index; Clear drops both. The ends are hidden fields
// of the card's decision form and go with the decision. The focused card's span is drawn on the
// scrubber; times shown are the decoder's offsets sent by the server, never computed here.
(() => {
  const scrubber = () => window.mabenchScrubber;
  let shownCard = null;

  function inputsOf(card) {
    const form = card && card.querySelector("form.decide");
    if (!form) return null;
    return { start: form.elements.evidence_start_frame, end: form.elements.evidence_end_frame };
  }

  const frameOf = (input) => (input && input.value !== "" ? Number(input.value) : null);

  // The card's span: the ends in its form before the decision, the decided ones after.
  function spanOf(card) {
    const inputs = inputsOf(card);
    if (inputs) return { start: frameOf(inputs.start), end: frameOf(inputs.end) };
    if (card && card.dataset.spanStart !== undefined) {
      return { start: Number(card.dataset.spanStart), end: Number(card.dataset.spanEnd) };
    }
    return { start: null, end: null };
  }

  function seconds(frame) {
    const offsets = scrubber() && scrubber().offsets;
    return offsets && offsets[frame] !== undefined ? `${offsets[frame].toFixed(3)} s` : "";
  }

  function readout(span) {
    if (span.start !== null && span.end !== null) {
      const times = seconds(span.start) && `${seconds(span.start)} – ${seconds(span.end)}`;
      return `frames ${span.start}–${span.end} (${span.end - span.start + 1} frames${times ? `, ${times}` : ""})`;
    }
    if (span.start !== null) return `from frame ${span.start}: mark out (o)`;
    if (span.end !== null) return `to frame ${span.end}: mark in (i)`;
    return "none marked";
  }

  function draw(card) {
    shownCard = card;
    const root = scrubber() && scrubber().root;
    const band = root && root.querySelector(".evidence-band");
    const slider = root && root.querySelector("#frame-slider");
    if (!band || !slider) return;
    const span = spanOf(card);
    const from = span.start !== null ? span.start : span.end;
    if (from === null) {
      band.hidden = true;
      return;
    }
    const last = Math.max(1, Number(slider.max));
    const to = span.start !== null && span.end !== null ? span.end : from;
    band.style.left = `${(100 * from) / last}%`;
    band.style.width = `${(100 * (to - from)) / last}%`;
    band.classList.toggle("open-end", span.start === null || span.end === null);
    band.title = `evidence: ${readout(span)}`;
    band.hidden = false;
  }

  function mark(card, which) {
    const inputs = inputsOf(card);
    if (!inputs || !scrubber()) return;
    const frame = scrubber().current();
    if (which === "clear") {
      inputs.start.value = "";
      inputs.end.value = "";
    } else if (which === "start") {
      inputs.start.value = String(frame);
      if (frameOf(inputs.end) !== null && frameOf(inputs.end) < frame) inputs.end.value = ""; // out before in: mark out again
    } else {
      inputs.end.value = String(frame);
      if (frameOf(inputs.start) !== null && frameOf(inputs.start) > frame) inputs.start.value = "";
    }
    const out = card.querySelector(".span-readout");
    if (out) out.textContent = readout(spanOf(card));
    draw(card);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-span-mark]");
    if (button) mark(button.closest(".question-card"), button.dataset.spanMark);
  });
  document.addEventListener("focusin", (event) => {
    const card = event.target.closest && event.target.closest(".question-card");
    if (card && card !== shownCard) draw(card);
  });
  // a card swapped in (a decision saved, an error shown) shows its span as it now stands
  document.body.addEventListener("htmx:afterSwap", () => {
    if (shownCard && !shownCard.isConnected) {
      const again = document.getElementById(shownCard.id);
      if (again) draw(again);
    }
  });
  document.addEventListener("scrubber:mounted", () => shownCard && draw(shownCard));
})();
