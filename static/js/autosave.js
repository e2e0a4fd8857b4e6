// Unsaved edits survive a reload: a form with data-autosave="<key>" keeps its fields in this
// browser's localStorage until a save succeeds. Restored edits keep the version they were made
// on, so saving them over someone else's newer change gets the conflict view, not a silent overwrite.
(() => {
  const PREFIX = "mabench-autosave:";
  const pristine = new WeakMap();

  function fieldsOf(form) {
    const fields = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "hidden" || el.tagName === "BUTTON") continue;
      if (el.type === "checkbox") {
        fields[el.name] = fields[el.name] || [];
        if (el.checked) fields[el.name].push(el.value);
      } else {
        fields[el.name] = el.value;
      }
    }
    return fields;
  }

  function restore(form) {
    if (form.dataset.restored) return;
    form.dataset.restored = "1";
    pristine.set(form, JSON.stringify(fieldsOf(form)));
    const raw = localStorage.getItem(PREFIX + form.dataset.autosave);
    if (!raw) return;
    const saved = JSON.parse(raw);
    for (const el of form.elements) {
      if (!el.name || !(el.name in saved.fields) || el.type === "hidden" || el.tagName === "BUTTON") continue;
      const before = el.type === "checkbox" ? el.checked : el.value;
      if (el.type === "checkbox") el.checked = saved.fields[el.name].includes(el.value);
      else el.value = saved.fields[el.name];
      const after = el.type === "checkbox" ? el.checked : el.value;
      const panel = el.closest("fieldset[hidden]");
      if (before !== after && panel) panel.hidden = false;
    }
    if (saved.version && form.elements.version) form.elements.version.value = saved.version;
    const note = document.createElement("p");
    note.className = "restored";
    note.textContent = `Restored your unsaved edits from this browser (made on v${saved.version}).`;
    form.prepend(note);
  }

  function scan(root) {
    if (root.matches && root.matches("form[data-autosave]")) restore(root);
    for (const form of root.querySelectorAll("form[data-autosave]")) restore(form);
  }

  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (!form || !form.dataset.autosave) return;
    const key = PREFIX + form.dataset.autosave;
    const fields = fieldsOf(form);
    if (JSON.stringify(fields) === pristine.get(form)) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify({ version: form.elements.version?.value, fields }));
  });

  // the server names what it saved (a preview or an error is not a save)
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const saved = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Mabench-Saved");
    if (saved) localStorage.removeItem(PREFIX + saved);
  });
  document.body.addEventListener("htmx:load", (event) => scan(event.detail.elt));
  scan(document);
})();
