// The team page: a member's role is saved as soon as it is chosen (PUT /api/project/{id}/users/{uid}).
import { errorBody, sendJson } from "./api.js";

for (const select of document.querySelectorAll("select.member-role")) {
  select.addEventListener("change", async () => {
    const alert = document.getElementById("team-error");
    alert.textContent = "";
    select.removeAttribute("aria-invalid");
    const response = await sendJson("PUT", select.dataset.path, { role: select.value });
    if (response.ok) {
      select.dataset.saved = select.value;
      alert.textContent = "";
    } else {
      alert.textContent = (await errorBody(response)).text;
      select.value = select.dataset.saved;
      select.setAttribute("aria-invalid", "true");
    }
  });
}
