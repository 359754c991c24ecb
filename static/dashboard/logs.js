// The live log page: a websocket of log lines drawn into #log-view.
//
// Keeping up with thousands of lines a second: frames only feed the buffer and a list of rows
// to draw; drawing happens at most once per animation frame, as DocumentFragments, and the
// view keeps at most `data-dom-cap` rows. Rows sit in chunks of up to CHUNK_ROWS, each with
// `content-visibility: auto`, so the browser lays out and paints only the chunks on screen,
// and trimming the oldest rows mostly removes whole chunks. Row counts are kept in JS, never
// measured: the only layout read is the scroll to the bottom, once per frame. A hidden tab
// gets no animation frames, so the rows waiting to be drawn are capped too.
import { describeState, openLive } from "./live.mjs";
import { appendAnsi } from "./ansi_dom.mjs";
import { LogBuffer, makeFilter, matches, processOrder, tagOf } from "./logview.mjs";

const SOURCE_CLASSES = new Set(["app", "router", "build", "platform"]);
const SEARCH_DELAY_MS = 200;
const BOTTOM_SLACK_PX = 8;
const CHUNK_ROWS = 200;
const ROWS_PER_FRAME = 500;

const view = document.getElementById("log-view");
const pauseButton = document.getElementById("log-pause");
const followBox = document.getElementById("log-follow");
const searchBox = document.getElementById("log-search");
const sourcesBox = document.getElementById("log-sources");
const processesBox = document.getElementById("log-processes");
const clearButton = document.getElementById("log-clear");
const statusLine = document.getElementById("log-status");
const countsLine = document.getElementById("log-counts");

const domCap = Number(view.dataset.domCap) || 5000;
const buffer = new LogBuffer(Number(view.dataset.bufferCap) || 50000);
const hiddenSources = new Set();
const hiddenProcesses = new Set();
let filter = makeFilter();
let follow = true;
let paused = false;
let pausedAt = 0; // the buffer's seq when paused: a rebuild while paused stops there
let newWhilePaused = 0;
let pending = []; // kept items passing the filter, not drawn yet
let rebuild = true; // the next frame redraws the view from the buffer
let rows = 0; // rows in the view (counted, never measured)
let chunks = []; // rows in each of the view's chunks, oldest first
let frame = 0;
let shownSources = 0;
let shownProcesses = 0;

function schedule() {
  if (!frame) frame = requestAnimationFrame(draw);
}

function rowOf(item) {
  const row = document.createElement("div");
  if (item.notice !== undefined) {
    row.className = "log-line log-notice";
    row.textContent = item.notice;
    return row;
  }
  row.className = "log-line";
  row.dataset.n = item.n;
  const time = document.createElement("span");
  time.className = "log-ts";
  time.textContent = item.ts.slice(11, 23);
  const tag = document.createElement("span");
  tag.className = `log-tag log-src-${SOURCE_CLASSES.has(item.source) ? item.source : "other"}`;
  tag.textContent = tagOf(item);
  row.append(time, tag);
  appendAnsi(row, item.line);
  return row;
}

function newChunk() {
  const chunk = document.createElement("div");
  chunk.className = "log-chunk";
  return chunk;
}

/** Add rows for `items` at the end: into the last chunk while it has room, then new chunks. */
function appendRows(items) {
  const fresh = document.createDocumentFragment();
  let chunk = view.lastElementChild;
  let room = chunks.length ? CHUNK_ROWS - chunks[chunks.length - 1] : 0;
  let into = chunk ? document.createDocumentFragment() : null;
  for (const item of items) {
    if (room === 0) {
      if (into && chunk) chunk.append(into);
      chunk = newChunk();
      fresh.append(chunk);
      chunks.push(0);
      room = CHUNK_ROWS;
      into = document.createDocumentFragment();
    }
    into.append(rowOf(item));
    chunks[chunks.length - 1]++;
    room--;
  }
  if (into && chunk) chunk.append(into);
  view.append(fresh);
  rows += items.length;
}

/** Remove the oldest rows beyond the cap: whole chunks, then rows of the first chunk. */
function trimRows() {
  let excess = rows - domCap;
  if (excess <= 0) return;
  rows = domCap;
  while (excess > 0 && chunks[0] <= excess) {
    excess -= chunks.shift();
    view.firstElementChild.remove();
  }
  if (excess > 0) {
    const first = view.firstElementChild;
    const range = document.createRange();
    range.setStartBefore(first.firstChild);
    range.setEndAfter(first.children[excess - 1]);
    range.deleteContents();
    chunks[0] -= excess;
  }
}

function draw() {
  frame = 0;
  drawFilterChoices();
  if (rebuild) {
    rebuild = false;
    pending = [];
    view.replaceChildren();
    rows = 0;
    chunks = [];
    appendRows(buffer.tail(filter, domCap, paused ? pausedAt : Infinity));
  } else if (!paused && pending.length) {
    // At most ROWS_PER_FRAME rows a frame, the rest in the next ones: drawing a whole burst's
    // worth (up to the cap) in one frame froze the page for seconds on a busy 2-core machine.
    if (pending.length > domCap) pending = pending.slice(-domCap);
    appendRows(pending.splice(0, ROWS_PER_FRAME));
    trimRows();
    if (pending.length) schedule();
  }
  view.dataset.lineCount = rows;
  pauseButton.textContent = paused ? `Resume${newWhilePaused ? ` (${newWhilePaused.toLocaleString()} new)` : ""}` : "Pause";
  countsLine.textContent = `${rows.toLocaleString()} shown · ${buffer.items.length.toLocaleString()} in buffer`;
  if (follow && !paused) view.scrollTop = view.scrollHeight;
}

function ingest(items) {
  if (!items.length) return;
  for (const item of items) {
    if (!matches(item, filter)) continue;
    if (paused) newWhilePaused++;
    else pending.push(item);
  }
  // Without animation frames (a hidden tab) only the newest rows can ever be drawn.
  if (pending.length > 2 * domCap) pending.splice(0, pending.length - domCap);
  schedule();
}

function wellFormed(entries) {
  if (!Array.isArray(entries)) return [];
  return entries.filter((entry) => entry && Number.isFinite(entry.n)).map((entry) => ({
    n: entry.n,
    ts: String(entry.ts ?? ""),
    source: String(entry.source ?? ""),
    process: String(entry.process ?? ""),
    line: String(entry.line ?? ""),
  }));
}

function onMessage(message) {
  if (message.type === "history" || message.type === "lines") {
    ingest(buffer.add(wellFormed(message.lines), { history: message.type === "history" }));
  } else if (message.type === "missed" && message.count > 0) {
    ingest([buffer.missed(message.count)]);
  }
}

function onState(state, detail) {
  statusLine.dataset.state = state;
  statusLine.textContent = describeState(state, detail);
}

// Filter choices are built from what arrives: a new source or process shows as a ticked box.
function choice(value, hidden) {
  const label = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.value = value;
  box.checked = !hidden.has(value);
  label.append(box, ` ${value}`);
  return label;
}

function drawFilterChoices() {
  if (buffer.sources.size !== shownSources) {
    shownSources = buffer.sources.size;
    sourcesBox.replaceChildren(...[...buffer.sources].map((source) => choice(source, hiddenSources)));
  }
  if (buffer.processes.size !== shownProcesses) {
    shownProcesses = buffer.processes.size;
    processesBox.replaceChildren(...[...buffer.processes].sort(processOrder).map((name) => choice(name, hiddenProcesses)));
  }
}

function refilter() {
  filter = makeFilter({ hiddenSources, hiddenProcesses, text: searchBox.value });
  if (paused) newWhilePaused = buffer.countAfter(filter, pausedAt);
  rebuild = true;
  schedule();
}

function onChoice(hidden) {
  return (event) => {
    const box = event.target;
    if (box.type !== "checkbox") return;
    if (box.checked) hidden.delete(box.value);
    else hidden.add(box.value);
    refilter();
  };
}

function setPaused(value) {
  paused = value;
  pauseButton.setAttribute("aria-pressed", String(paused));
  view.classList.toggle("paused", paused);
  if (paused) {
    pausedAt = buffer.seq;
    newWhilePaused = 0;
  } else {
    rebuild = true;
    setFollow(true); // resuming goes back to the live end
  }
  schedule();
}

function setFollow(value) {
  follow = value;
  followBox.checked = value;
  if (follow) schedule();
}

let searchTimer = 0;
searchBox.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(refilter, SEARCH_DELAY_MS);
});
sourcesBox.addEventListener("change", onChoice(hiddenSources));
processesBox.addEventListener("change", onChoice(hiddenProcesses));
pauseButton.addEventListener("click", () => setPaused(!paused));
followBox.addEventListener("change", () => setFollow(followBox.checked));
clearButton.addEventListener("click", () => {
  buffer.clear();
  pending = [];
  newWhilePaused = 0;
  rebuild = true;
  schedule();
});
// Scrolling up stops following; scrolling back to the bottom follows again.
view.addEventListener("scroll", () => {
  const atBottom = view.scrollHeight - view.scrollTop - view.clientHeight <= BOTTOM_SLACK_PX;
  if (atBottom !== follow) setFollow(atBottom);
}, { passive: true });

openLive(view.dataset.wsPath, { onMessage, onState });
schedule();
