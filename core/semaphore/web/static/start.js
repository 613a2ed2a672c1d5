// Start page: sign in through the REST API, then show who is signed in.
const show = (id) => {
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== id;
};

async function refresh() {
  const response = await fetch("/api/user", { credentials: "same-origin" });
  if (response.ok) {
    const user = await response.json();
    document.getElementById("user-name").textContent = user.name || user.username;
    show("signed-in");
  } else {
    show("login");
  }
}

document.getElementById("login-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/api/auth/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ auth: form.get("auth"), password: form.get("password") }),
  });
  if (response.ok) {
    refresh();
  } else {
    const body = await response.json().catch(() => ({}));
    document.getElementById("login-error").textContent = body.error || `Sign-in failed (${response.status})`;
  }
});

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
  refresh();
});

refresh();
