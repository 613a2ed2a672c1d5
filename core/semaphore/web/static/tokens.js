// /account/tokens: create a token (shown once, with a Copy button) and list it with its Expire
// button; expiring goes through forms.js's confirmation dialog.
import { errorBody, getJson, postJson } from "./api.js";
import { confirmDelete } from "./forms.js";

const table = document.querySelector("#token-table tbody");
const value = document.getElementById("new-token-value");
const copyStatus = document.getElementById("copy-status");

function when(iso) {
  const moment = new Date(iso);
  const time = document.createElement("time");
  time.dateTime = iso;
  const pad = (n) => String(n).padStart(2, "0");
  time.textContent = `${moment.getUTCFullYear()}-${pad(moment.getUTCMonth() + 1)}-${pad(moment.getUTCDate())} `
    + `${pad(moment.getUTCHours())}:${pad(moment.getUTCMinutes())}`;
  return time;
}

// The list's ids are the tokens' SHA-256, not the token: the new one is the id the table lacks.
async function listNewTokens() {
  const shown = new Set([...table.querySelectorAll("tr[data-token]")].map((row) => row.dataset.token));
  const fresh = (await getJson("/api/user/tokens")).filter((token) => !shown.has(token.id.slice(0, 8)));
  for (const token of fresh) {
    const row = document.getElementById("token-row").content.firstElementChild.cloneNode(true);
    const prefix = token.id.slice(0, 8);
    row.dataset.token = prefix;
    row.querySelector("code").textContent = `${prefix}…`;
    row.children[1].append(when(token.created));
    const button = row.querySelector("button");
    button.dataset.delete = `/api/user/tokens/${token.id}`;
    button.dataset.what = `token ${prefix} (programs using it will be refused)`;
    button.addEventListener("click", () => confirmDelete(button));
    table.prepend(row);
  }
  document.getElementById("no-tokens").hidden = true;
}

document.getElementById("create-token").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const error = document.getElementById("create-token-error");
  error.textContent = "";
  button.disabled = true;
  try {
    const response = await postJson("/api/user/tokens");
    if (!response.ok) {
      error.textContent = (await errorBody(response)).text;
      return;
    }
    value.value = (await response.json()).id;
    copyStatus.textContent = "";
    document.getElementById("new-token").hidden = false;
    value.focus();
    value.select();
    await listNewTokens();
  } finally {
    button.disabled = false;
  }
});

document.getElementById("copy-token").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(value.value);
    copyStatus.textContent = "Copied to the clipboard.";
  } catch {
    // No clipboard access (plain http, or refused): select it for the user to copy.
    value.focus();
    value.select();
    copyStatus.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
});
