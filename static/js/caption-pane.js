// The caption pane of the review page.
// - The fine-label picker offers only the fine labels of the chosen coarse label. A coarse label changed
//   to one the fine label does not belong to leaves the fine label unpicked (never a silent first pick);
//   the server refuses a fine label of another category either way.
// - A refused save focuses the first field it names (its problem is beside it, aria-describedby).
// - Once the clip is done (slotProgress from any decision), the "still yours to finish" banner goes.
(() => {
  function filterFineLabels(form, { coarseChanged = false } = {}) {
    const coarse = form.elements.coarse_label;
    const fine = form.elements.fine_label;
    if (!coarse || !fine || fine.tagName !== "SELECT") return;
    const selected = fine.selectedOptions[0];
    if (coarseChanged && selected && selected.value && selected.dataset.coarse !== coarse.value) fine.value = "";
    for (const group of fine.querySelectorAll("optgroup")) {
      const own = group.dataset.coarse === coarse.value;
      let keep = own;
      for (const option of group.querySelectorAll("option")) {
        // a mismatched label the page was rendered with (a refused save) stays visible until it is changed
        const shown = own || option.selected;
        option.hidden = !shown;
        option.disabled = !shown;
        keep = keep || shown;
      }
      group.hidden = !keep;
    }
  }

  function scan(root) {
    const forms = root.matches && root.matches("form.caption-form") ? [root] : [];
    for (const form of [...forms, ...root.querySelectorAll("form.caption-form")]) filterFineLabels(form);
  }

  document.addEventListener("change", (event) => {
    if (event.target.name === "coarse_label" && event.target.form?.matches("form.caption-form")) {
      filterFineLabels(event.target.form, { coarseChanged: true });
    }
  });
  // the autosave may have put back another coarse label since the pane arrived: filter again on the way in
  document.addEventListener("focusin", (event) => {
    if (event.target.name === "fine_label" && event.target.form?.matches("form.caption-form")) {
      filterFineLabels(event.target.form);
    }
  });

  document.body.addEventListener("htmx:load", (event) => scan(event.detail.elt));
  scan(document);

  document.body.addEventListener("htmx:afterSwap", (event) => {
    const pane = document.getElementById("caption-pane");
    if (!pane || event.detail.target.id !== "caption-pane") return;
    const invalid = pane.querySelector('[aria-invalid="true"]');
    const field = invalid && (invalid.matches("input, select, textarea") ? invalid : invalid.querySelector("input"));
    if (field) field.focus();
  });

  document.body.addEventListener("slotProgress", (event) => {
    const { openItems, captionOpen, blindLeft } = event.detail;
    if (openItems || captionOpen || blindLeft) return;
    for (const banner of document.querySelectorAll(".notice.slot-unfinished")) banner.remove();
  });
})();
