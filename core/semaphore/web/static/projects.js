// Projects page: create a project through POST /api/projects, then open its dashboard.
import { errorText, postJson } from "./api.js";

document.getElementById("create-project-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = new FormData(event.target).get("name");
  const response = await postJson("/api/projects", { name });
  if (!response.ok) {
    document.getElementById("create-error").textContent = await errorText(response);
    return;
  }
  const project = await response.json();
  window.location.assign(`/project/${project.id}`);
});
