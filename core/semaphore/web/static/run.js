// The run dialog: a button[data-run=<template id>] opens it. The template is read from the API and
// only the overrides it allows are shown (their controls are enabled, the others disabled, so the
// request holds just what the template accepts). Survey variables get one typed control each; their
// values become the task's extra variables (secret ones its secret). On success: the task's page.
import { getJson } from "./api.js";
import { FieldError, bindForm, formBody } from "./forms.js";

const dialog = document.getElementById("run-dialog");
const form = document.getElementById("run-form");
const project = dialog.dataset.project;
const apps = JSON.parse(dialog.dataset.apps || "{}");
const surveyBox = document.getElementById("run-survey");
const surveyFields = document.getElementById("run-survey-fields");
let template = null;

function show(name, on) {
  for (const section of form.querySelectorAll(`[data-when="${name}"]`)) {
    section.hidden = !on;
    for (const control of section.querySelectorAll("input, select, textarea")) control.disabled = !on;
  }
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  if (text) node.textContent = text;
  return node;
}

function surveyControl(variable, index) {
  const id = `run-survey-${index}`;
  const field = element("div", { class: "field" });
  const label = element("label", { for: id }, variable.title || variable.name);
  if (variable.required) label.append(element("span", { class: "muted" }, " (required)"));
  let control;
  if (variable.type === "enum") {
    control = element("select", { id });
    if (!variable.required || !variable.default_value) control.append(element("option", { value: "" }, "—"));
    for (const choice of variable.values || []) {
      control.append(element("option", { value: choice.value }, choice.name || choice.value));
    }
  } else if (variable.type === "text") {
    control = element("textarea", { id, rows: 3 });
  } else {
    const type = variable.type === "int" ? "number" : variable.type === "secret" ? "password" : "text";
    control = element("input", { id, type, autocomplete: variable.type === "secret" ? "new-password" : "off" });
  }
  control.value = variable.default_value || "";
  control.required = Boolean(variable.required);
  control.dataset.survey = variable.name;
  control.dataset.surveyType = variable.type || "";
  field.append(label, control);
  if (variable.description) {
    field.append(element("p", { class: "help", id: `${id}-help` }, variable.description));
    control.setAttribute("aria-describedby", `${id}-help`);
  }
  return field;
}

async function buildTasks(buildTemplateId) {
  const select = document.getElementById("run-build-task");
  select.replaceChildren(element("option", { value: "" }, "The newest successful build"));
  const builds = await getJson(`/api/project/${project}/templates/${buildTemplateId}/tasks`);
  for (const task of builds.filter((item) => item.status === "success")) {
    const text = `#${task.id}${task.version ? " v" + task.version : ""}${task.message ? " — " + task.message : ""}`;
    select.append(element("option", { value: task.id }, text));
  }
}

async function openFor(button) {
  form.reset();
  form.querySelector('[role="alert"]').textContent = "";
  document.getElementById("run-title").textContent = `Run ${button.dataset.name || "template"}`;
  const loading = document.getElementById("run-loading");
  loading.textContent = "Loading…";
  loading.hidden = false;
  for (const section of form.querySelectorAll("[data-when]")) show(section.dataset.when, false);
  surveyFields.replaceChildren();
  surveyBox.hidden = true;
  dialog.showModal();
  try {
    template = await getJson(`/api/project/${project}/templates/${button.dataset.run}`);
  } catch (error) {
    loading.textContent = error.message;
    return;
  }
  const params = template.task_params || {};
  const app = apps[template.app] || { inventory_types: [] };
  const isAnsible = template.app === "ansible";
  show("branch", template.allow_override_branch_in_task);
  show("arguments", template.allow_override_args_in_task);
  show("limit", isAnsible && params.allow_override_limit);
  show("tags", isAnsible && params.allow_override_tags);
  show("skip_tags", isAnsible && params.allow_override_skip_tags);
  show("ansible", isAnsible);
  show("auto_approve", !isAnsible && params.allow_auto_approve);
  show("destroy", !isAnsible && params.allow_destroy);
  show("inventory", app.inventory_types.length > 0);
  for (const option of document.querySelectorAll("#run-inventory option[data-inventory-type]")) {
    const fits = app.inventory_types.includes(option.dataset.inventoryType);
    option.hidden = !fits;
    option.disabled = !fits;
  }
  show("version", template.type === "build");
  if (template.type === "build") {
    const last = template.last_task?.version;
    document.getElementById("run-version").textContent = last
      ? `The task gets the build version after ${last}.`
      : `The task gets the first build version from ${template.start_version || "the start version"}.`;
  }
  show("build_task", template.type === "deploy" && Boolean(template.build_template_id));
  (template.survey_vars || []).forEach((variable, index) => surveyFields.append(surveyControl(variable, index)));
  surveyBox.hidden = !(template.survey_vars || []).length;
  loading.textContent = "";
  loading.hidden = true;
  document.getElementById("run-message").focus();
  if (template.type === "deploy" && template.build_template_id) {
    await buildTasks(template.build_template_id).catch((error) => {
      loading.textContent = error.message;
      loading.hidden = false;
    });
  }
}

function runBody(runForm) {
  const body = formBody(runForm);
  body.template_id = template.id;
  const environment = {};
  const secret = {};
  for (const control of surveyFields.querySelectorAll("[data-survey]")) {
    const value = control.value;
    const title = control.labels[0].firstChild.textContent;
    if (value === "") {
      if (control.required) throw new FieldError(control, `${title}: a value is required`);
      continue;
    }
    let parsed = value;
    if (control.dataset.surveyType === "int") {
      parsed = Number(value);
      if (!Number.isInteger(parsed)) throw new FieldError(control, `${title}: must be a whole number`);
    }
    (control.dataset.surveyType === "secret" ? secret : environment)[control.dataset.survey] = parsed;
  }
  if (Object.keys(environment).length) body.environment = environment;
  if (Object.keys(secret).length) body.secret = secret;
  return body;
}

bindForm(form, {
  body: runBody,
  done: (task) => window.location.assign(`/project/${project}/tasks/${task.id}`),
});
document.getElementById("run-cancel").addEventListener("click", () => dialog.close());
for (const button of document.querySelectorAll("button[data-run]")) {
  button.addEventListener("click", () => openFor(button));
}
