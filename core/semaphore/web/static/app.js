// Behaviour every page shares: sign-out buttons, and header menus that close on Escape or an
// outside click (they are <details>, so they work with the keyboard and without this script too).
import { signOut } from "./api.js";

for (const button of document.querySelectorAll('[data-action="logout"]')) {
  button.addEventListener("click", signOut);
}

const menus = [...document.querySelectorAll("details.menu")];
document.addEventListener("click", (event) => {
  for (const menu of menus) if (!menu.contains(event.target)) menu.open = false;
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of menus) {
    if (menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  }
});

// On a narrow screen the project's sections scroll sideways: bring the current one into view
// (moving only the navigation, never the page).
const sections = document.querySelector(".project-nav");
const current = sections?.querySelector('[aria-current="page"]');
if (current) {
  const offset = current.getBoundingClientRect().left - sections.getBoundingClientRect().left;
  sections.scrollLeft += offset - (sections.clientWidth - current.offsetWidth) / 2;
}
