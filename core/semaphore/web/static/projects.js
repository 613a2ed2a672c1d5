// Projects page: create a project (POST /api/projects), or restore one from a backup file (POST
// /api/projects/restore), then open its dashboard.
import { errorText, postJson } from "./api.js";

async function openCreated(response, errorId) {
  if (!response.ok) {
    document.getElementById(errorId).textContent = await errorText(response);
    return;
  }
  const project = await response.json();
  window.location.assign(`/project/${project.id}`);
}

document.getElementById("create-project-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  await openCreated(await postJson("/api/projects", { name: form.get("name"), demo: form.has("demo") }),
    "create-error");
});

document.getElementById("restore-project-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = new FormData(event.target).get("backup");
  let backup;
  try {
    backup = JSON.parse(await file.text());
  } catch {
    document.getElementById("restore-error").textContent = `${file.name} is not a JSON file.`;
    return;
  }
  await openCreated(await postJson("/api/projects/restore", backup), "restore-error");
});
