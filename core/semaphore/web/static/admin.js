// The administration pages: Stop buttons of /admin/tasks, and a user's "Set a password" form
// (the two passwords compared before anything is sent).
import { errorBody, postJson } from "./api.js";
import { bindForm, FieldError } from "./forms.js";

for (const button of document.querySelectorAll("button[data-stop]")) {
  button.addEventListener("click", async () => {
    const error = document.getElementById("stop-error");
    error.textContent = "";
    button.disabled = true;
    const response = await postJson(button.dataset.stop, { force: false });
    if (!response.ok) {
      error.textContent = (await errorBody(response)).text;
      button.disabled = false;
      return;
    }
    window.location.reload();
  });
}

const setPassword = document.getElementById("set-password-form");
if (setPassword) {
  const confirm = document.getElementById("set-password-confirm");
  bindForm(setPassword, {
    body(form) {
      document.getElementById("set-password-saved").textContent = "";
      const chosen = form.elements.password.value;
      if (chosen !== confirm.value) throw new FieldError(confirm, "The two passwords differ; type the same one twice.");
      const current = form.elements.current_password;  // only when admins set their own
      return current ? { current_password: current.value, password: chosen } : { password: chosen };
    },
    done() {
      setPassword.reset();
      document.getElementById("set-password-saved").textContent = "Password set; the user's sessions were ended.";
    },
  });
}
