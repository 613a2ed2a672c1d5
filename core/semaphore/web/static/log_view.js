// A virtualised log: only the rows in view (plus a margin) are in the DOM, each of one fixed height,
// inside a spacer as tall as all loaded lines. It follows the tail while the reader is at the bottom
// and stops when they scroll up; scrolling to the top asks for older lines. The loaded lines may be
// a window that ends before the log does (around a line found in the whole log): then it never
// follows, scrolling to the end asks for newer lines, and End or Follow ask for the tail. Text is
// set with textContent (log output is text, never HTML); ANSI colours become classed spans.
import { parseAnsi, stripAnsi } from "./ansi.js";

const MARGIN = 20; // rows rendered above and below the visible ones
const NEAR_TOP = 5; // rows from the top at which older lines are asked for

export class LogView {
  // box: the scrolling element; onNeedOlder(): called when the reader reaches the top;
  // onNeedNewer(): called when they reach the end of a window; onNeedTail(): called when they ask
  // to follow a window; onFollowChange(following): called when following starts or stops.
  constructor(box, { onNeedOlder = () => {}, onNeedNewer = () => {}, onNeedTail = () => {}, onFollowChange = () => {} } = {}) {
    this.box = box;
    this.spacer = box.querySelector(".log-spacer");
    this.rows = box.querySelector(".log-rows");
    this.onNeedOlder = onNeedOlder;
    this.onNeedNewer = onNeedNewer;
    this.onNeedTail = onNeedTail;
    this.onFollowChange = onFollowChange;
    this.lines = []; // {seq, text}, in seq order
    this.plain = []; // the lines without escape codes, lower-cased, built for searching
    this.following = true;
    this.windowed = false; // the loaded lines end before the log does
    this.query = "";
    this.matches = []; // indexes into lines
    this.current = -1; // index into matches
    this.target = null; // the seq of a line shown on request (a result of the whole-log search)
    this.rowHeight = this.measureRow();
    this.scheduled = false;
    box.addEventListener("scroll", () => this.scrolled());
    box.addEventListener("keydown", (event) => this.key(event));
    new ResizeObserver(() => this.schedule()).observe(box);
  }

  measureRow() {
    const probe = document.createElement("div");
    probe.className = "log-row";
    probe.textContent = "0";
    this.rows.append(probe);
    const height = probe.getBoundingClientRect().height || 20;
    probe.remove();
    return height;
  }

  get firstSeq() {
    return this.lines.length ? this.lines[0].seq : null;
  }

  get lastSeq() {
    return this.lines.length ? this.lines[this.lines.length - 1].seq : null;
  }

  // Another set of lines instead of the loaded ones (a window, or the tail again), from the top.
  replace(lines) {
    this.lines = lines.slice();
    this.plain = [];
    this.target = null;
    this.setQuery(this.query, false);
    this.resize();
    this.box.scrollTop = 0;
    this.schedule();
  }

  setWindowed(windowed) {
    this.windowed = windowed;
    if (windowed) this.setFollowing(false);
  }

  // Asks to follow the tail: a window is replaced by the tail first (onNeedTail).
  follow() {
    if (this.windowed) this.onNeedTail();
    else this.setFollowing(true);
  }

  indexOfSeq(seq) {
    let low = 0;
    let high = this.lines.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const found = this.lines[middle].seq;
      if (found === seq) return middle;
      if (found < seq) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  // Shows the loaded line ``seq`` in the middle of the box, marked (and the current match when it
  // is one); false when it is not loaded.
  showSeq(seq) {
    const index = this.indexOfSeq(seq);
    if (index < 0) return false;
    this.current = this.matches.indexOf(index);
    this.setFollowing(false);
    this.scrollToIndex(index);
    this.target = seq;
    return true;
  }

  scrollToIndex(index) {
    this.box.scrollTop = Math.max(0, index * this.rowHeight - this.box.clientHeight / 2);
    this.schedule();
  }

  append(lines) {
    if (!lines.length) return;
    const start = this.lines.length;
    for (const line of lines) this.lines.push(line);
    if (this.query) this.findIn(start, this.lines.length, false);
    this.resize();
    if (this.following) this.scrollToBottom();
    this.schedule();
  }

  // Older lines go above; the view keeps showing the same lines.
  prepend(lines) {
    if (!lines.length) return;
    this.lines = lines.concat(this.lines);
    this.plain = new Array(lines.length).concat(this.plain);
    if (this.query) this.setQuery(this.query, false);
    this.resize();
    this.box.scrollTop += lines.length * this.rowHeight;
    this.schedule();
  }

  resize() {
    this.spacer.style.height = `${this.lines.length * this.rowHeight}px`;
  }

  scrollToBottom() {
    this.box.scrollTop = this.box.scrollHeight;
  }

  atBottom() {
    return this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - this.rowHeight;
  }

  setFollowing(following) {
    if (following === this.following) return;
    this.following = following;
    if (following) this.scrollToBottom();
    this.onFollowChange(following);
  }

  nearTop() {
    return this.box.scrollTop < NEAR_TOP * this.rowHeight;
  }

  scrolled() {
    if (!this.windowed) this.setFollowing(this.atBottom());
    else if (this.atBottom()) this.onNeedNewer();
    if (this.nearTop()) this.onNeedOlder();
    this.schedule();
  }

  key(event) {
    const box = this.box;
    const page = Math.max(this.rowHeight, box.clientHeight - this.rowHeight);
    const moves = {
      ArrowDown: () => { box.scrollTop += this.rowHeight; },
      ArrowUp: () => { box.scrollTop -= this.rowHeight; },
      PageDown: () => { box.scrollTop += page; },
      PageUp: () => { box.scrollTop -= page; },
      Home: () => { box.scrollTop = 0; },
      End: () => { this.follow(); if (!this.windowed) this.scrollToBottom(); },
    };
    const move = moves[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    move();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  render() {
    const height = this.rowHeight;
    const first = Math.max(0, Math.floor(this.box.scrollTop / height) - MARGIN);
    const last = Math.min(this.lines.length, Math.ceil((this.box.scrollTop + this.box.clientHeight) / height) + MARGIN);
    const currentLine = this.current >= 0 ? this.matches[this.current] : -1;
    const fragment = document.createDocumentFragment();
    for (let index = first; index < last; index++) {
      const line = this.lines[index];
      fragment.append(this.row(line, index === currentLine || line.seq === this.target));
    }
    this.rows.style.transform = `translateY(${first * height}px)`;
    this.rows.replaceChildren(fragment);
  }

  row(line, isCurrent) {
    const row = document.createElement("div");
    row.className = isCurrent ? "log-row log-row-current" : "log-row";
    row.dataset.seq = line.seq;
    const segments = parseAnsi(line.text);
    if (this.query) this.highlight(row, segments, isCurrent);
    else {
      for (const segment of segments) row.append(segmentNode(segment.text, segment.className));
    }
    if (!row.firstChild) row.append("\u200b"); // an empty line keeps its height and is still selectable
    return row;
  }

  // Segments with every occurrence of the query wrapped in <mark>.
  highlight(row, segments, isCurrent) {
    const plain = segments.map((segment) => segment.text).join("");
    const lower = plain.toLowerCase();
    const ranges = [];
    for (let at = lower.indexOf(this.query); at !== -1; at = lower.indexOf(this.query, at + this.query.length)) {
      ranges.push([at, at + this.query.length]);
    }
    let offset = 0;
    for (const segment of segments) {
      const end = offset + segment.text.length;
      let position = offset;
      for (const [from, to] of ranges) {
        if (to <= position || from >= end) continue;
        if (from > position) row.append(segmentNode(plain.slice(position, from), segment.className));
        const mark = document.createElement("mark");
        mark.className = isCurrent ? "log-match current" : "log-match";
        mark.append(segmentNode(plain.slice(Math.max(from, position), Math.min(to, end)), segment.className));
        row.append(mark);
        position = Math.min(to, end);
      }
      if (position < end) row.append(segmentNode(plain.slice(position, end), segment.className));
      offset = end;
    }
  }

  plainText(index) {
    if (this.plain[index] === undefined) this.plain[index] = stripAnsi(this.lines[index].text).toLowerCase();
    return this.plain[index];
  }

  findIn(start, end, reset) {
    if (reset) this.matches = [];
    for (let index = start; index < end; index++) {
      if (this.plainText(index).includes(this.query)) this.matches.push(index);
    }
  }

  // Finds the lines holding ``query`` (case-insensitive) among the loaded ones; with ``jump``, shows
  // the last match (nearest the tail, where the reader usually is).
  setQuery(query, jump = true) {
    const previousLine = this.current >= 0 ? this.lines[this.matches[this.current]] : null;
    this.query = query.toLowerCase();
    this.matches = [];
    this.current = -1;
    if (this.query) this.findIn(0, this.lines.length, true);
    if (previousLine && !jump) this.current = this.matches.findIndex((index) => this.lines[index] === previousLine);
    if (jump && this.matches.length) this.show(this.matches.length - 1);
    this.schedule();
  }

  step(direction) {
    if (!this.matches.length) return;
    const count = this.matches.length;
    const next = this.current < 0 ? (direction > 0 ? 0 : count - 1) : (this.current + direction + count) % count;
    this.show(next);
  }

  show(matchIndex) {
    this.current = matchIndex;
    this.target = null;
    this.setFollowing(false);
    this.scrollToIndex(this.matches[matchIndex]);
  }

  matchSummary() {
    if (!this.query) return "";
    if (!this.matches.length) return "no match in the loaded lines";
    const at = this.current >= 0 ? `${this.current + 1} of ` : "";
    return `${at}${this.matches.length} lines match`;
  }
}

function segmentNode(text, className) {
  if (!className) return document.createTextNode(text);
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}
