// Forms that write through the REST API. A <form data-api="/api/..." data-method="POST"> is sent as
// JSON built from its named controls (a dotted name nests: task_params.limit); data-type on a control
// says how its value becomes JSON (see _forms.html). The API's error is shown in the form's alert
// line and the field it names is marked and focused. Delete buttons confirm in a dialog that first
// lists what still uses the object.
import { errorBody, getJson, sendJson } from "./api.js";

export class FieldError extends Error {
  constructor(control, message) {
    super(message);
    this.control = control;
  }
}

function controlValue(control) {
  const type = control.dataset.type || "";
  const raw = control.value;
  if (type === "bool") return control.checked;
  if (type === "int") return raw.trim() === "" ? null : Number(raw);
  if (type === "id") return raw === "" ? null : Number(raw);
  if (type === "lines") return raw.split("\n").map((line) => line.trim()).filter(Boolean);
  if (type === "commas") return raw.split(",").map((item) => item.trim()).filter(Boolean);
  if (type === "json") {
    if (raw.trim() === "") return null;
    try {
      return JSON.parse(raw);
    } catch {
      throw new FieldError(control, `${labelOf(control)}: not valid JSON`);
    }
  }
  return raw;
}

function labelOf(control) {
  return control.labels?.[0]?.textContent.trim() || control.name;
}

function setPath(target, dotted, value) {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part];
  }
  node[parts[parts.length - 1]] = value;
}

// The JSON body of a form: data-extra (a JSON object) first, then each named, enabled control.
export function formBody(form) {
  const body = form.dataset.extra ? JSON.parse(form.dataset.extra) : {};
  for (const control of form.elements) {
    if (!control.name || control.matches(":disabled") || control.closest("[data-skip]")) continue;
    if (control.type === "radio" && !control.checked) continue;
    if (control.hasAttribute("data-write-only") && control.value === "") continue;
    setPath(body, control.name, controlValue(control));
  }
  return body;
}

function alertOf(form) {
  return form.querySelector('[role="alert"]');
}

function clearErrors(form) {
  for (const control of form.querySelectorAll('[aria-invalid="true"]')) control.removeAttribute("aria-invalid");
  const alert = alertOf(form);
  if (alert) alert.textContent = "";
}

// The control an API error names: "environment_id", or "task_params.limit" / "params.limit".
function controlNamed(form, field) {
  if (!field) return null;
  const candidates = [...form.elements].filter((control) => control.name);
  return candidates.find((control) => control.name === field)
    || candidates.find((control) => control.name.endsWith("." + field) || field.endsWith("." + control.name))
    || candidates.find((control) => control.name.split(".")[0] === field.split(".")[0]);
}

export function showError(form, text, control) {
  const alert = alertOf(form);
  if (alert) alert.textContent = text;
  if (control) {
    control.setAttribute("aria-invalid", "true");
    control.closest("details")?.setAttribute("open", "");
    control.focus();
  }
}

function fillPlaceholders(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(values?.[key] ?? ""));
}

// Send a form; options.body(form) may build or adjust the body, options.done(result) replaces the
// default of following data-redirect (with {id} etc. from the answer) or reloading the page.
export async function submitForm(form, options = {}) {
  clearErrors(form);
  let body;
  try {
    body = options.body ? options.body(form) : formBody(form);
  } catch (error) {
    if (error instanceof FieldError) return showError(form, error.message, error.control);
    throw error;
  }
  const submit = form.querySelector('[type="submit"]');
  if (submit) submit.disabled = true;
  try {
    const response = await sendJson(form.dataset.method || "POST", form.dataset.api, body);
    if (!response.ok) {
      const error = await errorBody(response);
      return showError(form, error.text, controlNamed(form, error.field));
    }
    const result = response.status === 204 ? null : await response.json().catch(() => null);
    if (options.done) return options.done(result, body);
    if (form.dataset.redirect) window.location.assign(fillPlaceholders(form.dataset.redirect, result || body));
    else window.location.reload();
  } finally {
    if (submit) submit.disabled = false;
  }
}

export function bindForm(form, options = {}) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitForm(form, options);
  });
}

// --- Delete with a confirmation that lists what still uses the object -----------------------------

const REF_KINDS = { templates: "Template", inventories: "Inventory", repositories: "Repository",
  integrations: "Integration", schedules: "Schedule" };

function confirmDialog() {
  let dialog = document.getElementById("confirm-dialog");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "confirm-dialog";
  dialog.setAttribute("aria-labelledby", "confirm-title");
  dialog.innerHTML = `<form method="dialog" class="stack">
      <h2 id="confirm-title"></h2><div id="confirm-body"></div>
      <p class="error" role="alert" id="confirm-error"></p>
      <div class="actions"><button value="cancel" type="submit">Cancel</button>
      <button value="delete" type="submit" class="danger" id="confirm-delete">Delete</button></div></form>`;
  document.body.append(dialog);
  return dialog;
}

function refsList(refs) {
  const list = document.createElement("ul");
  for (const [kind, items] of Object.entries(refs || {})) {
    for (const item of items || []) {
      const entry = document.createElement("li");
      entry.textContent = `${REF_KINDS[kind] || kind} “${item.name ?? item.id}”`;
      list.append(entry);
    }
  }
  return list;
}

// data-verb names the action when it is not a deletion to the user ("Expire", "Leave"), and
// data-warning replaces "This cannot be undone." where that is not what happens.
export async function confirmDelete(button) {
  const dialog = confirmDialog();
  const what = button.dataset.what || "this";
  const verb = button.dataset.verb || "Delete";
  dialog.querySelector("#confirm-title").textContent = `${verb} ${what}?`;
  const body = dialog.querySelector("#confirm-body");
  const deleteButton = dialog.querySelector("#confirm-delete");
  deleteButton.textContent = verb;
  dialog.querySelector("#confirm-error").textContent = "";
  body.replaceChildren();
  deleteButton.disabled = false;
  if (button.dataset.refs) {
    const users = refsList(await getJson(button.dataset.refs).catch(() => ({})));
    if (users.children.length) {
      const intro = document.createElement("p");
      intro.textContent = "It is still used by the objects below; change or delete them first.";
      body.append(intro, users);
      deleteButton.disabled = true;
    }
  }
  if (!deleteButton.disabled) {
    const warning = document.createElement("p");
    warning.textContent = button.dataset.warning || "This cannot be undone.";
    body.append(warning);
  }
  deleteButton.onclick = async (event) => {
    event.preventDefault();  // the dialog stays open until the API has answered
    const response = await sendJson("DELETE", button.dataset.delete);
    if (!response.ok) {
      dialog.querySelector("#confirm-error").textContent = (await errorBody(response)).text;
      return;
    }
    if (button.dataset.redirect) window.location.assign(button.dataset.redirect);
    else window.location.reload();
  };
  dialog.addEventListener("close", () => button.focus(), { once: true });
  dialog.showModal();
}

for (const form of document.querySelectorAll("form[data-api]:not([data-custom])")) bindForm(form);
for (const button of document.querySelectorAll("button[data-delete]")) {
  button.addEventListener("click", () => confirmDelete(button));
}
