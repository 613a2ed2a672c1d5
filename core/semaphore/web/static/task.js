// The task page: the live status and duration, the action buttons, the per-host results and the
// log. The log's last page comes from the output endpoint (paged by seq, never all at once), new
// lines from /api/ws; after the socket drops it reconnects and reads what it missed from the output
// endpoint, so no line is lost or shown twice (lines are kept in seq order, each seq once). A line
// found by the whole-log search is shown in a window of the lines around it, which pages both ways
// and takes no live lines until it reaches the tail; Follow (or End) goes back to the tail.
// The remote runner and why the task waits come from the task's endpoint: read again when an update
// changes the status or the runner, and every few seconds while the task waits.
import { errorText, getJson, postJson } from "./api.js";
import { LogSearch } from "./log_search.js";
import { LogView } from "./log_view.js";

const PAGE = 2000; // lines per output request
const BEFORE_FOUND = 1000; // lines of a window above the line it was opened for
const FINISHED = new Set(["success", "error", "stopped", "rejected"]);
const RECONNECT_DELAYS = [500, 1000, 2000, 5000, 10000];
const LIVE_BATCH_MS = 50; // live lines are shown in batches: one layout per batch, not per line
const WAITING_REFRESH_MS = 5000; // why a waiting task waits changes as runners come, go and finish tasks

const root = document.getElementById("task-page");
const api = root.dataset.api;
const projectId = Number(root.dataset.projectId);
const taskId = Number(root.dataset.taskId);
let task = JSON.parse(root.dataset.task);

const $ = (id) => document.getElementById(id);
const statusBadge = $("task-status");
const actionError = $("task-action-error");
const followButton = $("log-follow");

// -- status, times, buttons --------------------------------------------------------------------

function utcText(iso) {
  return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—";
}

function setTime(id, iso) {
  const element = $(id);
  if (iso) element.setAttribute("datetime", iso);
  else element.removeAttribute("datetime");
  element.textContent = utcText(iso);
}

export function durationText(milliseconds) {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}h ${pad(m)}m ${pad(s)}s` : m ? `${m}m ${pad(s)}s` : `${s}s`;
}

function showDuration() {
  const element = $("task-duration");
  if (!task.start) {
    element.textContent = "—";
    return;
  }
  const end = task.end ? new Date(task.end) : new Date();
  element.textContent = durationText(end - new Date(task.start));
}

// The commit is known once the run has checked its repository out: it comes with the "running"
// update over the socket, or with the API's answer.
function showCommit() {
  if (!task.commit_hash) return;
  const code = document.createElement("code");
  code.textContent = task.commit_hash.slice(0, 10);
  $("task-commit").replaceChildren(code, task.commit_message ? ` ${task.commit_message}` : "");
  $("task-commit-row").hidden = false;
}

// The runner the task was handed to, and while it waits, why no runner takes it.
function showPlacement() {
  $("task-runner").textContent = task.runner_name ?? "";
  $("task-runner-row").hidden = !task.runner_name;
  const reason = task.status === "waiting" ? task.waiting_reason : null;
  $("task-waiting-reason").textContent = reason ?? "";
  $("task-waiting-row").hidden = !reason;
}

let ticker = null;
let waitingTimer = null;

// Reads the task again while it waits and the page is seen (a hidden tab asks nothing).
function refreshWhileWaiting() {
  const waiting = task.status === "waiting";
  if (waiting && waitingTimer === null) {
    waitingTimer = setInterval(() => {
      if (!document.hidden) refreshTask(true);
    }, WAITING_REFRESH_MS);
  }
  if (!waiting && waitingTimer !== null) {
    clearInterval(waitingTimer);
    waitingTimer = null;
  }
}

function updateTask(changes) {
  const wasFinished = FINISHED.has(task.status);
  task = { ...task, ...changes };
  statusBadge.textContent = task.status;
  statusBadge.className = `status status-${task.status}`;
  setTime("task-start", task.start);
  setTime("task-end", task.end);
  showDuration();
  showCommit();
  showPlacement();
  refreshWhileWaiting();
  const finished = FINISHED.has(task.status);
  if (!finished && task.start && ticker === null) ticker = setInterval(showDuration, 1000);
  if (finished && ticker !== null) {
    clearInterval(ticker);
    ticker = null;
  }
  showButtons();
  if (finished && !wasFinished) taskFinished();
}

function showButtons() {
  const stop = $("task-stop");
  if (!stop) return; // a role that may not run tasks sees none of them
  const stoppable = ["waiting", "starting", "waiting_confirmation", "confirmed", "running", "stopping"].includes(task.status);
  stop.hidden = !stoppable;
  // A task asked to stop that has not yet stopped: the next click stops it at once.
  stop.textContent = task.status === "stopping" ? "Force stop" : "Stop";
  stop.dataset.force = task.status === "stopping" ? "true" : "false";
  $("task-confirm").hidden = $("task-reject").hidden = task.status !== "waiting_confirmation";
}

// Status updates received over the socket: an answer of the API that was on its way while one
// came is older than it, and its status is dropped (it would turn "running" back into "starting").
// An update that changes the status or the runner starts a read of its own; only the answer to the
// newest read is shown.
let socketUpdates = 0;
let reads = 0;

async function refreshTask(quiet = false) {
  const before = socketUpdates;
  const read = ++reads;
  try {
    const fresh = await getJson(api);
    if (read !== reads) return;
    const { runner_id, runner_name, waiting_reason } = fresh;
    updateTask(socketUpdates === before ? fresh : { runner_id, runner_name, waiting_reason });
  } catch (error) {
    if (!quiet) actionError.textContent = error.message;
  }
}

async function act(button, path, body) {
  actionError.textContent = "";
  button.disabled = true;
  try {
    const response = await postJson(path, body);
    if (!response.ok) {
      actionError.textContent = await errorText(response);
      return null;
    }
    return response;
  } finally {
    button.disabled = false;
  }
}

function bindButtons() {
  const stop = $("task-stop");
  if (!stop) return;
  stop.addEventListener("click", async () => {
    if (await act(stop, `${api}/stop`, { force: stop.dataset.force === "true" })) await refreshTask();
  });
  for (const [id, path] of [["task-confirm", "confirm"], ["task-reject", "reject"]]) {
    const button = $(id);
    button.addEventListener("click", async () => {
      if (await act(button, `${api}/${path}`)) await refreshTask();
    });
  }
  const rerun = $("task-rerun");
  rerun.addEventListener("click", async () => {
    const response = await act(rerun, `/api/project/${projectId}/tasks`, JSON.parse(rerun.dataset.body));
    if (response) window.location.assign(`/project/${projectId}/tasks/${(await response.json()).id}`);
  });
}

// -- per-host results ----------------------------------------------------------------------------

const COUNTS = ["ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored"];

function cell(text, tag = "td") {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
}

async function showHosts() {
  let hosts;
  try {
    hosts = await getJson(`${api}/hosts`);
  } catch {
    return;
  }
  const section = $("task-hosts");
  section.hidden = hosts.length === 0;
  const body = section.querySelector("tbody");
  const rows = [];
  for (const host of hosts) {
    const row = document.createElement("tr");
    row.dataset.host = host.host;
    const name = cell(host.host, "th");
    name.scope = "row";
    const status = document.createElement("td");
    status.append(cell(host.status, "span"));
    status.firstChild.className = `status status-${host.status === "failed" || host.status === "unreachable" ? "error" : "success"}`;
    row.append(name, status, ...COUNTS.map((count) => cell(String(host[count]))));
    rows.push(row);
    if (host.failures.length) rows.push(failureRow(host));
  }
  body.replaceChildren(...rows);
}

function failureRow(host) {
  const row = document.createElement("tr");
  row.className = "host-failures";
  const td = document.createElement("td");
  td.colSpan = 2 + COUNTS.length;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = `${host.failures.length} failed ${host.failures.length === 1 ? "task" : "tasks"} on ${host.host}`;
  const list = document.createElement("dl");
  for (const failure of host.failures) {
    list.append(cell(failure.task, "dt"), cell(failure.message, "dd"));
  }
  details.append(summary, list);
  td.append(details);
  row.append(td);
  return row;
}

// -- the log -------------------------------------------------------------------------------------

const firstStoredSeq = Number(root.dataset.firstSeq);
let tailSeq = Number(root.dataset.lastSeq); // the newest seq known to be stored
const view = new LogView($("log"), {
  onNeedOlder: () => loadOlder(),
  onNeedNewer: () => loadNewer().catch((error) => connection(error.message)),
  onNeedTail: () => followTail().catch((error) => connection(error.message)),
  onFollowChange: showFollowing,
});
let lastSeq = 0; // the newest line shown (or where reading starts)
let olderBound = 0; // lines below this seq are not loaded yet
let windowed = false; // the lines shown end before the log does: live lines wait, the end reads on
let generation = 0; // counts replacements of the loaded lines: answers for earlier ones are dropped
let loadingOlder = false;
let loadingNewer = false;
let catching = null; // the running catch-up (a promise) while one runs
let pending = []; // live lines that arrived during a catch-up

function showFollowing(following) {
  followButton.setAttribute("aria-pressed", String(following));
  followButton.textContent = following ? "Following" : "Follow";
}

function showRange() {
  const first = view.firstSeq;
  const hints = [];
  if (olderBound > firstStoredSeq) hints.push("older lines load when you scroll to the top");
  if (windowed) hints.push("newer ones when you scroll to the end; Follow goes to the last line");
  $("log-range").textContent = first === null ? "No output yet."
    : `Lines ${first.toLocaleString("en")}–${view.lastSeq.toLocaleString("en")}${hints.length ? ` (${hints.join("; ")})` : ""}.`;
}

function toLines(rows) {
  return rows.map((row) => ({ seq: row.seq, text: row.output }));
}

// Forgets the loaded lines: reading starts again after the seq ``after``.
function startAt(after, asWindow) {
  generation += 1;
  catching = null;
  pending = [];
  loadingOlder = loadingNewer = false;
  lastSeq = after;
  olderBound = after === 0 ? firstStoredSeq : after + 1;
  windowed = asWindow;
  view.setWindowed(asWindow);
  view.replace([]);
}

// Appends lines newer than the last one shown, in order; older or repeated seqs are dropped.
function appendNew(lines) {
  const fresh = lines.filter((line) => line.seq > lastSeq);
  if (!fresh.length) return;
  fresh.sort((a, b) => a.seq - b.seq);
  lastSeq = fresh[fresh.length - 1].seq;
  tailSeq = Math.max(tailSeq, lastSeq);
  view.append(fresh);
  showRange();
  updateMatches();
}

// Reads every line after the last one shown from the output endpoint, a page at a time, then the
// live lines that arrived meanwhile. Not for a window, which reads on only as it is scrolled.
function catchUp() {
  if (windowed) return Promise.resolve();
  if (catching) return catching;
  const started = generation;
  catching = (async () => {
    try {
      for (;;) {
        const rows = await getJson(`${api}/output?after=${lastSeq}&limit=${PAGE}`);
        if (started !== generation) return;
        appendNew(toLines(rows));
        if (rows.length < PAGE) break;
      }
    } finally {
      if (started === generation) catching = null;
    }
    const waiting = pending;
    pending = [];
    receiveLive(waiting, true);
  })();
  return catching;
}

// Live lines: appended when they continue the log, else (a gap: lines were missed) read again.
// Right after a catch-up the endpoint had nothing in between: a gap then is a gap in the log.
// A window drops them: it reads them from the endpoint when it is scrolled that far.
function receiveLive(lines, caughtUp = false) {
  for (const line of lines) tailSeq = Math.max(tailSeq, line.seq);
  if (windowed) return;
  if (catching) {
    pending.push(...lines);
    return;
  }
  lines.sort((a, b) => a.seq - b.seq);
  for (const [index, line] of lines.entries()) {
    if (line.seq <= lastSeq) continue;
    if (line.seq !== lastSeq + 1 && !caughtUp) {
      pending.push(...lines.slice(index));
      catchUp();
      return;
    }
    appendNew([line]);
  }
}

async function loadOlder() {
  // Not while the lines are being replaced (the emptied box is at its top): older than what?
  if (loadingOlder || olderBound <= firstStoredSeq || view.firstSeq === null) return;
  const started = generation;
  loadingOlder = true;
  try {
    const after = Math.max(0, olderBound - 1 - PAGE);
    const rows = await getJson(`${api}/output?after=${after}&limit=${PAGE}`);
    if (started !== generation) return;
    const older = toLines(rows).filter((line) => line.seq < olderBound);
    olderBound = after + 1;
    if (after === 0) olderBound = firstStoredSeq;
    view.prepend(older);
    showRange();
    updateMatches();
  } finally {
    if (started === generation) loadingOlder = false;
  }
  if (view.nearTop()) loadOlder(); // the box is not full yet
}

// The next page of a window; a page that is not full reaches the tail, which is followed from then
// on like the log opened at its end.
async function loadNewer() {
  if (!windowed || loadingNewer) return;
  const started = generation;
  loadingNewer = true;
  try {
    const rows = await getJson(`${api}/output?after=${lastSeq}&limit=${PAGE}`);
    if (started !== generation) return;
    if (rows.length < PAGE) {
      windowed = false;
      view.setWindowed(false);
    }
    appendNew(toLines(rows));
  } finally {
    if (started === generation) loadingNewer = false;
  }
  if (!windowed) catchUp(); // what was stored while the page came
}

// Shows the line ``seq`` (a result of the whole-log search): where it is loaded already, else in
// a window of the lines from BEFORE_FOUND above it.
async function showLine(seq) {
  if (view.showSeq(seq)) {
    updateMatches();
    return;
  }
  startAt(Math.max(0, seq - 1 - BEFORE_FOUND), true);
  const started = generation;
  await loadNewer();
  if (started !== generation) return;
  view.showSeq(seq);
  updateMatches();
}

// Back from a window to the log's last page, followed again.
async function followTail() {
  startAt(Math.max(0, tailSeq - PAGE), false);
  view.setFollowing(true);
  showRange();
  await catchUp();
  showRange();
  if (view.nearTop()) loadOlder();
}

// -- the websocket -------------------------------------------------------------------------------

let socket = null;
let attempts = 0;
let wantSocket = true;
let liveBatch = [];

function connection(text) {
  $("log-connection").textContent = text;
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws`;
  socket = new WebSocket(url);
  socket.addEventListener("open", () => {
    attempts = 0;
    connection("Live.");
    catchUp(); // the lines stored while no socket was open
    refreshTask();
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.task_id !== taskId) return;
    if (message.type === "log") {
      // A burst of frames is handled as one batch.
      if (!liveBatch.length) setTimeout(flushLive, LIVE_BATCH_MS);
      liveBatch.push({ seq: message.seq, text: message.output });
    } else if (message.type === "update") {
      socketUpdates += 1;
      const { status, start, end, version } = message;
      const commit = message.commit_hash ? { commit_hash: message.commit_hash, commit_message: message.commit_message } : {};
      // Another runner (or none): its name is read from the endpoint.
      const newRunner = "runner_id" in message && message.runner_id !== (task.runner_id ?? null);
      const runner = newRunner ? { runner_id: message.runner_id, runner_name: null } : {};
      const changed = newRunner || status !== task.status;
      updateTask({ status, start, end, version, ...commit, ...runner });
      if (changed) refreshTask(true);
    }
  });
  socket.addEventListener("close", () => {
    socket = null;
    if (!wantSocket) return;
    const delay = RECONNECT_DELAYS[Math.min(attempts, RECONNECT_DELAYS.length - 1)];
    attempts += 1;
    connection("Reconnecting…");
    setTimeout(connect, delay);
  });
}

function flushLive() {
  const batch = liveBatch;
  liveBatch = [];
  receiveLive(batch);
}

async function taskFinished() {
  wantSocket = false;
  if (socket) socket.close();
  connection("");
  await catchUp();
  showHosts();
}

// -- search and follow ---------------------------------------------------------------------------

const query = $("log-query");
const wholeLog = new LogSearch($("log-results"), api, (seq) => {
  showLine(seq).catch((error) => connection(error.message));
});

function updateMatches() {
  $("log-matches").textContent = view.matchSummary();
}

function bindSearch() {
  let timer = null;
  query.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      view.setQuery(query.value);
      updateMatches();
    }, 150);
  });
  // The whole log, for the text searched in the loaded lines too (its occurrences are marked).
  const searchWholeLog = () => {
    clearTimeout(timer);
    if (!query.value) {
      query.focus();
      return;
    }
    if (view.query !== query.value.toLowerCase()) view.setQuery(query.value, false);
    updateMatches();
    wholeLog.search(query.value);
  };
  $("log-search").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    if (view.query !== query.value.toLowerCase()) view.setQuery(query.value);
    else view.step(1);
    updateMatches();
    if (query.value && !view.matches.length) searchWholeLog();
  });
  $("log-search-all").addEventListener("click", searchWholeLog);
  for (const [id, direction] of [["log-next", 1], ["log-prev", -1]]) {
    $(id).addEventListener("click", () => {
      if (view.query !== query.value.toLowerCase()) view.setQuery(query.value, false);
      view.step(direction);
      updateMatches();
    });
  }
  followButton.addEventListener("click", () => {
    if (view.following) view.setFollowing(false);
    else view.follow();
  });
}

// -- start ---------------------------------------------------------------------------------------

bindButtons();
bindSearch();
updateTask({});
startAt(Math.max(0, tailSeq - PAGE), false);
showRange();
try {
  await catchUp();
} catch (error) {
  connection(error.message);
}
showRange();
if (view.nearTop()) loadOlder();
if (FINISHED.has(task.status)) {
  wantSocket = false;
  showHosts();
} else {
  connect();
}
root.dataset.ready = "true";
