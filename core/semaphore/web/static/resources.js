// The resource forms (keys, inventories, variable groups): inputs that depend on a select's choice,
// the key store's write-only credentials, and the variable group's variables and secrets editors.
import { bindForm, FieldError, formBody } from "./forms.js";

// --- Parts shown for some choices of a select --------------------------------------------------------
// <fieldset data-switch-for="select-id" data-shown-for="a b"> is shown, enabled and sent only while
// the select's value is a or b. Hidden controls lose their name too, so neither formBody nor the
// error marking (which finds the control by name) can pick a hidden twin of a visible control.
function showChosenParts(select) {
  for (const part of document.querySelectorAll(`[data-switch-for="${select.id}"]`)) {
    const shown = part.dataset.shownFor.split(" ").includes(select.value);
    part.hidden = !shown;
    part.disabled = !shown;
    for (const control of part.querySelectorAll("input, select, textarea")) {
      if (shown && control.dataset.name) control.name = control.dataset.name;
      if (!shown && control.name) {
        control.dataset.name = control.name;
        control.removeAttribute("name");
      }
    }
  }
}

const switches = new Set([...document.querySelectorAll("[data-switch-for]")].map((part) => part.dataset.switchFor));
for (const id of switches) {
  const select = document.getElementById(id);
  select.addEventListener("change", () => showChosenParts(select));
  showChosenParts(select);
}

// --- The key store ------------------------------------------------------------------------------
// On edit the API keeps the stored type and credentials unless override_secret is set; they are
// replaced together, so the form asks for that only when the type changes or a credential is typed.
function keyBody(form) {
  const body = formBody(form);
  const storedType = form.dataset.storedType;
  if (!storedType) return body;
  const typed = [...form.querySelectorAll("[data-write-only][name]")].some((control) => control.value !== "");
  body.override_secret = typed || body.type !== storedType;
  if (!body.override_secret) {
    delete body.ssh;
    delete body.login_password;
  }
  return body;
}

for (const form of document.querySelectorAll("form[data-key-form]")) bindForm(form, { body: keyBody });

// --- Variable groups ----------------------------------------------------------------------------

let rowCounter = 0;

function addRow(form, kind) {
  const template = form.querySelector(`#${kind}-row-template`);
  const html = template.innerHTML.replaceAll("__index__", `new${rowCounter++}`);
  const list = form.querySelector(kind === "env" ? "[data-env-rows]" : "[data-secret-rows]");
  list.insertAdjacentHTML("beforeend", html);
  list.lastElementChild.querySelector("input")?.focus();
}

// The API names a bad secret "secrets.<n>.<field>" and bad variables "env": the controls that made
// that part of the body get those names, so forms.js marks them (they sit outside formBody's reach:
// named controls are only named here, after formBody has run).
function nameForErrors(control, name) {
  control.dataset.errorName = "";
  control.name = name;
}

function environmentBody(form) {
  for (const control of form.querySelectorAll("[data-error-name]")) {
    control.removeAttribute("name");
    delete control.dataset.errorName;
  }
  const body = formBody(form);
  const json = form.elements.json;
  try {
    const parsed = JSON.parse(json.value || "null");
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
  } catch {
    throw new FieldError(json, "Extra variables: must be a JSON object, e.g. {\"version\": \"1.2\"}");
  }

  const env = {};
  const rows = [...form.querySelectorAll("[data-env-row]")];
  for (const row of rows) {
    const name = row.querySelector("[data-env-name]");
    if (name.value.trim() === "") continue;
    if (name.value.trim() in env) throw new FieldError(name, `Environment variable ${name.value.trim()} is given twice`);
    env[name.value.trim()] = row.querySelector("[data-env-value]").value;
  }
  if (rows.length) nameForErrors(rows[0].querySelector("[data-env-name]"), "env");
  body.env = Object.keys(env).length ? JSON.stringify(env) : null;

  const secrets = [];
  const add = (operation, controls) => {
    for (const [field, control] of Object.entries(controls)) {
      if (control) nameForErrors(control, `secrets.${secrets.length}.${field}`);
    }
    secrets.push(operation);
  };
  for (const row of form.querySelectorAll("[data-secret-id]")) {
    const id = Number(row.dataset.secretId);
    const value = row.querySelector("[data-secret-update]");
    if (row.querySelector("[data-secret-remove]").checked) {
      add({ id, operation: "delete" }, { id: value });
    } else if (value.value !== "") {
      add({ id, type: row.dataset.secretType, name: row.dataset.secretName, secret: value.value, operation: "update" },
        { id: value, secret: value });
    }
  }
  for (const row of form.querySelectorAll("[data-new-secret]")) {
    const name = row.querySelector("[data-secret-name]");
    const value = row.querySelector("[data-secret-value]");
    if (name.value.trim() === "" && value.value === "") continue;
    const type = row.querySelector("[data-secret-type]");
    add({ type: type.value, name: name.value.trim(), secret: value.value, operation: "create" },
      { type, name, secret: value });
  }
  body.secrets = secrets;
  return body;
}

for (const form of document.querySelectorAll("form[data-environment-form]")) {
  bindForm(form, { body: environmentBody });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button?.dataset.addRow) addRow(form, button.dataset.addRow);
    if (button?.hasAttribute("data-remove-row")) {
      const row = button.closest("li");
      (row.nextElementSibling || row.previousElementSibling)?.querySelector("input")?.focus();
      row.remove();
    }
  });
}
