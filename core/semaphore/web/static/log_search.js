// The whole-log search: asks GET .../output/search for the lines that contain a text and lists
// them under the search box as "line N: text", a page at a time (More follows the page's Link
// header). Choosing one calls onChoose(seq). Text is set with textContent, never as HTML.
import { stripAnsi } from "./ansi.js";
import { errorText } from "./api.js";

const SHOWN_CHARS = 300; // of a found line, in the list (a line may be a megabyte long)

export class LogSearch {
  // panel: the results section (summary, list, More); api: the task's API path.
  constructor(panel, api, onChoose) {
    this.panel = panel;
    this.summary = panel.querySelector(".log-results-summary");
    this.list = panel.querySelector(".log-results-list");
    this.more = panel.querySelector(".log-results-more");
    this.api = api;
    this.onChoose = onChoose;
    this.text = "";
    this.count = 0;
    this.next = null; // the URL of the next page
    this.asked = 0; // counts requests: the answer to an earlier one is dropped
    this.more.addEventListener("click", () => this.read(this.next));
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-seq]");
      if (button) this.choose(button);
    });
  }

  search(text) {
    this.text = text;
    this.count = 0;
    this.next = null;
    this.list.replaceChildren();
    this.panel.hidden = false;
    return this.read(`${this.api}/output/search?${new URLSearchParams({ q: text })}`);
  }

  async read(url) {
    const asked = ++this.asked;
    this.more.hidden = true;
    this.summary.textContent = "Searching the whole log…";
    let response;
    let rows;
    try {
      response = await fetch(url, { credentials: "same-origin" });
      rows = response.ok ? await response.json() : null;
      if (asked !== this.asked) return;
      if (!response.ok) {
        this.summary.textContent = await errorText(response);
        return;
      }
    } catch (error) {
      if (asked === this.asked) this.summary.textContent = error.message;
      return;
    }
    this.next = nextLink(response.headers.get("Link"));
    this.list.append(...rows.map((row) => item(row)));
    this.count += rows.length;
    this.summary.textContent = this.summaryText();
    this.more.hidden = this.next === null;
  }

  summaryText() {
    const quoted = `“${this.text}”`;
    if (!this.count) return `No line of the log contains ${quoted}.`;
    const lines = this.count === 1 ? "1 line contains" : `${this.count.toLocaleString("en")} lines contain`;
    return this.next ? `${lines} ${quoted} so far; More finds the next ones.` : `${lines} ${quoted}.`;
  }

  choose(button) {
    for (const other of this.list.querySelectorAll("[aria-current]")) other.removeAttribute("aria-current");
    button.setAttribute("aria-current", "true");
    this.onChoose(Number(button.dataset.seq));
  }
}

function item(row) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "log-result";
  button.dataset.seq = row.seq;
  const number = document.createElement("span");
  number.className = "log-result-seq";
  number.textContent = `line ${row.seq.toLocaleString("en")}:`;
  const text = document.createElement("span");
  text.className = "log-result-text";
  text.textContent = stripAnsi(row.output).slice(0, SHOWN_CHARS);
  button.append(number, " ", text);
  const li = document.createElement("li");
  li.append(button);
  return li;
}

// The target of a Link header's rel="next", or null.
function nextLink(header) {
  const match = /<([^>]*)>\s*;\s*rel="next"/.exec(header || "");
  return match ? match[1] : null;
}
