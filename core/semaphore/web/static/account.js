// /account: the profile and password forms, and two-factor enrolment (begin, scan or type the
// secret, confirm with a first code, then the recovery codes once).
import { errorBody, postJson } from "./api.js";
import { bindForm, FieldError, formBody, submitForm } from "./forms.js";

function say(id, text) {
  const line = document.getElementById(id);
  if (line) line.textContent = text;
}

const profile = document.getElementById("profile-form");
if (profile) {
  bindForm(profile, {
    body(form) {
      say("profile-saved", "");
      return formBody(form);
    },
    done(_, body) {
      say("profile-saved", "Profile saved.");
      const menu = document.querySelector("#user-menu summary");
      if (menu && body.name) menu.textContent = body.name;
    },
  });
}

const password = document.getElementById("password-form");
if (password) {
  const confirm = document.getElementById("confirm-password");
  bindForm(password, {
    body(form) {
      say("password-saved", "");
      const chosen = form.elements.password.value;
      // Caught here so a typo never becomes the new password.
      if (chosen !== confirm.value) throw new FieldError(confirm, "The two passwords differ; type the same new password twice.");
      return { current_password: form.elements.current_password.value, password: chosen };
    },
    done() {
      password.reset();
      say("password-saved", "Password changed. Your other sessions were signed out.");
    },
  });
}

const begin = document.getElementById("totp-begin");
if (begin) {
  const userId = begin.dataset.user;
  let enrolment = null;

  begin.addEventListener("click", async () => {
    say("totp-begin-error", "");
    begin.disabled = true;
    const response = await postJson(`/api/users/${userId}/2fas/totp`);
    begin.disabled = false;
    if (!response.ok) {
      say("totp-begin-error", (await errorBody(response)).text);
      return;
    }
    enrolment = await response.json();
    document.getElementById("totp-qr").src = `/account/totp/${enrolment.id}/qr.svg`;
    document.getElementById("totp-secret").textContent = enrolment.secret.replace(/(.{4})(?!$)/g, "$1 ");
    document.getElementById("totp-off").hidden = true;
    document.getElementById("totp-setup").hidden = false;
    document.getElementById("totp-code").focus();
  });

  const confirmForm = document.getElementById("totp-confirm-form");
  confirmForm.addEventListener("submit", (event) => {
    event.preventDefault();
    confirmForm.dataset.api = `/api/users/${userId}/2fas/totp/${enrolment.id}/confirm`;
    confirmForm.dataset.method = "POST";
    submitForm(confirmForm, {
      done() {
        document.getElementById("totp-setup").hidden = true;
        const codes = enrolment.recovery_codes || [];
        if (codes.length) {
          const list = document.getElementById("totp-recovery-codes");
          list.replaceChildren(...codes.map((code) => Object.assign(document.createElement("li"), { textContent: code })));
          document.getElementById("totp-recovery").hidden = false;
        }
        enrolment = null;
        document.getElementById("totp-done").hidden = false;
        document.querySelector("#totp-done a").focus();
      },
    });
  });
}
