// The template form: the type shows its own fields (start version for builds, build template for
// deploys); survey variables and vaults are lists of rows, added and removed here, sent as arrays.
// Everything else is the form's named controls (static/forms.js); the API's 400 marks its field.
import { bindForm, formBody } from "./forms.js";

const form = document.getElementById("template-form");

function showType() {
  const type = form.querySelector("#tf-type").value;
  for (const section of form.querySelectorAll("[data-when-type]")) {
    const on = section.dataset.whenType === type;
    section.hidden = !on;
    for (const control of section.querySelectorAll("input, select, textarea")) control.disabled = !on;
  }
}

// --- Row editors (survey variables, vaults) --------------------------------------------------

function rowValue(editor, row) {
  const value = {};
  for (const control of row.querySelectorAll("[data-key]")) {
    const key = control.dataset.key;
    if (control.type === "checkbox") value[key] = control.checked;
    else if (key === "id" || control.hasAttribute("data-int")) value[key] = control.value === "" ? null : Number(control.value);
    else if (key === "values") {
      value[key] = control.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
        const at = line.indexOf("=");
        return at < 0 ? { name: line, value: line } : { name: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
      });
    } else value[key] = control.value;
  }
  if (editor.dataset.prefix === "vaults") {
    if (value.type === "script") value.vault_key_id = null;
    else value.script = null;
  }
  return value;
}

function rowsOf(editor) {
  return [...editor.querySelector("[data-rows-list]").children].map((row) => rowValue(editor, row));
}

function fillRow(row, value) {
  for (const control of row.querySelectorAll("[data-key]")) {
    const item = value[control.dataset.key];
    if (control.type === "checkbox") control.checked = Boolean(item);
    else if (control.dataset.key === "values") {
      control.value = (item || []).map((choice) => (choice.name && choice.name !== choice.value
        ? `${choice.name}=${choice.value}` : choice.value)).join("\n");
    } else control.value = item ?? (control.tagName === "SELECT" ? control.options[0]?.value ?? "" : "");
  }
}

function updateRow(editor, row) {
  const type = row.querySelector('[data-key="type"]')?.value || "";
  if (editor.dataset.prefix === "vaults") {
    for (const part of row.querySelectorAll("[data-vault]")) part.hidden = part.dataset.vault !== (type || "password");
  } else {
    for (const part of row.querySelectorAll("[data-survey-enum]")) part.hidden = type !== "enum";
  }
}

function render(editor, rows) {
  const list = editor.querySelector("[data-rows-list]");
  const html = editor.querySelector("template[data-row-template]").innerHTML;
  list.replaceChildren();
  rows.forEach((value, index) => {
    const holder = document.createElement("div");
    holder.innerHTML = html.replaceAll("__N__", String(index)).trim();
    const row = holder.firstElementChild;
    fillRow(row, value);
    updateRow(editor, row);
    row.querySelector("[data-remove-row]").addEventListener("click", () => {
      const remaining = rowsOf(editor);
      remaining.splice(index, 1);
      render(editor, remaining);
      editor.querySelector("[data-add-row]").focus();
    });
    row.querySelector('[data-key="type"]')?.addEventListener("change", () => updateRow(editor, row));
    list.append(row);
  });
}

const editors = [...form.querySelectorAll(".rows-editor")];
for (const editor of editors) {
  render(editor, JSON.parse(editor.dataset.rows || "[]"));
  editor.querySelector("[data-add-row]").addEventListener("click", () => {
    const rows = rowsOf(editor);
    rows.push({});
    render(editor, rows);
    const last = editor.querySelector("[data-rows-list]").lastElementChild;
    last.querySelector("input:not([type=hidden]), select")?.focus();
  });
}

// All or any means something only when there are two tags or more.
const runnerTags = form.querySelector("#tf-runner-tags");
runnerTags.addEventListener("input", () => {
  const count = runnerTags.value.split(",").filter((tag) => tag.trim()).length;
  form.querySelector("#tf-runner-tags-match-field").hidden = count < 2;
});
form.querySelector("#tf-type").addEventListener("change", showType);
showType();

bindForm(form, {
  body(templateForm) {
    const body = formBody(templateForm);
    for (const editor of editors) body[editor.dataset.prefix] = rowsOf(editor);
    return body;
  },
});
