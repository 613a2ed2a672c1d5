// Login page: the password form (local and LDAP), the OpenID buttons in their configured order,
// then the TOTP code (or a recovery code) when the account has one; signed in, go to the projects.
import { errorText, postJson } from "./api.js";

const show = (id) => {
  for (const section of document.querySelectorAll("main section")) section.hidden = section.id !== id;
};

let useRecovery = false;

async function refresh() {
  const response = await fetch("/api/user", { credentials: "same-origin" });
  if (response.ok) {
    window.location.assign("/projects");
    return;
  }
  const body = await response.json().catch(() => ({}));
  const step = body.error === "TOTP_REQUIRED" ? "code" : "login";
  show(step);
  // autofocus does not reach a field that was hidden when the page loaded
  document.querySelector(`#${step} input`)?.focus();
}

async function loadLoginMethods() {
  const response = await fetch("/api/auth/login", { credentials: "same-origin" });
  if (!response.ok) return;
  const methods = await response.json();
  const list = document.getElementById("providers");
  for (const provider of methods.oidc_providers || []) {
    const link = document.createElement("a");
    link.className = "button";
    link.href = `/api/auth/oidc/${encodeURIComponent(provider.id)}/login`;
    link.textContent = `Sign in with ${provider.name}`;
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  document.getElementById("use-recovery").hidden = !methods.auth_methods?.totp?.allow_recovery;
}

document.getElementById("login-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await postJson("/api/auth/login", { auth: form.get("auth"), password: form.get("password") });
  document.getElementById("login-error").textContent = response.ok ? "" : await errorText(response);
  if (response.ok) refresh();
});

document.getElementById("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = new FormData(event.target).get("code");
  const response = useRecovery
    ? await postJson("/api/auth/recovery", { recovery_code: code })
    : await postJson("/api/auth/verify", { passcode: code });
  document.getElementById("code-error").textContent = response.ok ? "" : await errorText(response);
  if (response.ok) refresh();
});

document.getElementById("use-recovery").addEventListener("click", () => {
  useRecovery = !useRecovery;
  document.getElementById("code-label").textContent = useRecovery ? "Recovery code" : "Code from your authenticator app";
  document.getElementById("use-recovery").textContent = useRecovery ? "Use the app's code" : "Use a recovery code";
});

loadLoginMethods();
refresh();
