// Start page: sign in through the REST API (password, an OpenID provider, then the TOTP code when
// the account has one), then show who is signed in.
const show = (id) => {
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== id;
};

let useRecovery = false;

async function refresh() {
  const response = await fetch("/api/user", { credentials: "same-origin" });
  if (response.ok) {
    const user = await response.json();
    document.getElementById("user-name").textContent = user.name || user.username;
    show("signed-in");
    return;
  }
  const body = await response.json().catch(() => ({}));
  show(body.error === "TOTP_REQUIRED" ? "code" : "login");
}

async function loadLoginMethods() {
  const response = await fetch("/api/auth/login", { credentials: "same-origin" });
  if (!response.ok) return;
  const methods = await response.json();
  const list = document.getElementById("providers");
  for (const provider of methods.oidc_providers || []) {
    const link = document.createElement("a");
    link.href = `/api/auth/oidc/${encodeURIComponent(provider.id)}/login`;
    link.textContent = provider.name;
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  document.getElementById("use-recovery").hidden = !methods.auth_methods?.totp?.allow_recovery;
}

async function postJson(path, body) {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function errorText(response) {
  const body = await response.json().catch(() => ({}));
  return body.error || `Failed (${response.status})`;
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
  if (response.ok) {
    event.target.reset();
    refresh();
  }
});

document.getElementById("use-recovery").addEventListener("click", () => {
  useRecovery = !useRecovery;
  document.getElementById("code-label").textContent = useRecovery ? "Recovery code" : "Code from your authenticator app";
  document.getElementById("use-recovery").textContent = useRecovery ? "Use the app's code" : "Use a recovery code";
});

for (const button of document.querySelectorAll(".logout")) {
  button.addEventListener("click", async () => {
    await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
    refresh();
  });
}

loadLoginMethods();
refresh();
