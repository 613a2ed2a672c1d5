// The runners sections (admin page, project settings): "Add runner" makes a one-time registration
// token and shows the command that registers a runner with it. Enable, disable and remove are
// plain data-api forms and data-delete buttons (forms.js).
import { bindForm } from "./forms.js";

const form = document.getElementById("add-runner-form");
const command = document.getElementById("registration-command");
const copyStatus = document.getElementById("registration-copy-status");

if (form) {
  bindForm(form, {
    done(result) {
      command.value = result.command;
      const expires = document.getElementById("registration-expires");
      expires.dateTime = result.expires;
      expires.textContent = new Date(result.expires).toLocaleString();
      copyStatus.textContent = "";
      document.getElementById("registration").hidden = false;
      command.focus();
      command.select();
    },
  });
  document.getElementById("copy-registration").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(command.value);
      copyStatus.textContent = "Copied to the clipboard.";
    } catch {
      // No clipboard access (plain http, or refused): select it for the user to copy.
      command.focus();
      command.select();
      copyStatus.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
}
