// Integration pages: the integration's form, new webhook URLs (POST .../aliases) and copying a URL to the clipboard.
import { errorBody, postJson } from "./api.js";
import { bindForm, formBody } from "./forms.js";

// The integration's form: an empty header is no header (the API takes null, not "").
const integrationForm = document.getElementById("integration-form");
if (integrationForm) {
  bindForm(integrationForm, { body: (form) => ({ ...formBody(form), auth_header: form.elements.auth_header.value.trim() || null }) });
}

for (const button of document.querySelectorAll("button[data-new-alias]")) {
  button.addEventListener("click", async () => {
    const alert = button.closest("[data-aliases]").querySelector('[role="alert"]');
    alert.textContent = "";
    button.disabled = true;
    const response = await postJson(button.dataset.newAlias);
    button.disabled = false;
    if (response.ok) window.location.reload();
    else alert.textContent = (await errorBody(response)).text;
  });
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
    } catch {
      // No clipboard (an insecure origin): select the URL so the user can copy it.
      const code = button.parentElement.querySelector("code");
      window.getSelection().selectAllChildren(code);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
}
