// Schedules: the list's on/off switches (PUT .../active) and, in the form, a preview of the next
// runs as the cron expression is typed (POST .../schedules/validate), shown in the zone it runs in.
import { errorBody, postJson, sendJson } from "./api.js";

for (const box of document.querySelectorAll("input.schedule-active")) {
  box.addEventListener("change", async () => {
    const alert = document.getElementById("schedules-error");
    alert.textContent = "";
    const response = await sendJson("PUT", box.dataset.path, { active: box.checked });
    if (!response.ok) {
      box.checked = !box.checked;
      alert.textContent = (await errorBody(response)).text;
    } else {
      window.location.reload();  // the next runs change with it
    }
  });
}

const UNITS = ["minute", "hour", "day of the month", "month", "day of the week"];
const MACROS = { "@yearly": "once a year, on 1 January at 00:00", "@annually": "once a year, on 1 January at 00:00",
  "@monthly": "on the first of every month at 00:00", "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00", "@midnight": "every day at 00:00", "@hourly": "every hour, on the hour" };
const pad = (value) => String(value).padStart(2, "0");

// A plain-language reading of the common shapes; "" when the expression is not one of them.
export function describeCron(expression) {
  const text = expression.trim().toLowerCase();
  if (MACROS[text]) return MACROS[text];
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return "";
  const [minute, hour, day, month, weekday] = parts;
  const everyDay = day === "*" && month === "*";
  const isNumber = (value) => /^\d+$/.test(value);
  if (parts.every((part) => part === "*")) return "every minute";
  const step = minute.match(/^\*\/(\d+)$/);
  if (step && hour === "*" && everyDay && weekday === "*") return `every ${step[1]} minutes`;
  if (isNumber(minute) && hour === "*" && everyDay && weekday === "*") return `every hour at minute ${minute}`;
  const hourStep = hour.match(/^\*\/(\d+)$/);
  if (isNumber(minute) && hourStep && everyDay && weekday === "*") return `every ${hourStep[1]} hours at minute ${minute}`;
  if (isNumber(minute) && isNumber(hour)) {
    const at = `at ${pad(hour)}:${pad(minute)}`;
    if (everyDay && weekday === "*") return `every day ${at}`;
    if (everyDay && weekday === "1-5") return `every weekday (Monday to Friday) ${at}`;
    if (everyDay && weekday === "mon-fri") return `every weekday (Monday to Friday) ${at}`;
    if (everyDay) return `${at} on weekdays ${weekday}`;
    if (isNumber(day) && month === "*" && weekday === "*") return `on day ${day} of every month ${at}`;
  }
  return `custom: ${UNITS.map((unit, index) => `${unit} ${parts[index]}`).join(", ")}`;
}

const form = document.getElementById("schedule-form");
if (form) {
  const cron = form.elements.cron_format;
  const zone = form.elements.timezone;
  const runs = document.getElementById("preview-runs");
  const zoneLine = document.getElementById("preview-zone");
  const description = document.getElementById("cron-description");
  const help = document.getElementById("schedule-cron-help");
  const helpText = help ? help.textContent : "";
  let latest = 0;

  const show = (times, zoneName) => {
    const format = new Intl.DateTimeFormat(undefined, { timeZone: zoneName, weekday: "short", year: "numeric",
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    runs.replaceChildren(...times.map((iso) => {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = iso;
      time.textContent = format.format(new Date(iso));
      item.append(time);
      return item;
    }));
    zoneLine.textContent = `Times in ${zoneName}.`;
  };

  const preview = async () => {
    const request = ++latest;
    const expression = cron.value.trim();
    if (!expression) {
      runs.replaceChildren();
      description.textContent = "";
      zoneLine.textContent = "Type a cron expression to see when it runs.";
      return;
    }
    const response = await postJson(form.dataset.validate, { cron_format: expression, timezone: zone.value.trim() || null });
    if (request !== latest) return;  // a newer keystroke's answer wins
    if (response.ok) {
      const answer = await response.json();
      cron.removeAttribute("aria-invalid");
      zone.removeAttribute("aria-invalid");
      if (help) help.textContent = helpText;
      help?.classList.remove("error");
      description.textContent = describeCron(expression);
      show(answer.next_runs, answer.timezone);
    } else {
      const error = await errorBody(response);
      const field = error.field === "timezone" ? zone : cron;
      field.setAttribute("aria-invalid", "true");
      if (help && field === cron) {
        help.textContent = error.text;
        help.classList.add("error");
      }
      description.textContent = "";
      runs.replaceChildren();
      zoneLine.textContent = error.text;
    }
  };

  let timer;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  };
  cron.addEventListener("input", soon);
  zone.addEventListener("input", soon);
  preview();
}
