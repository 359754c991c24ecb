// The log page's logic without the DOM: ANSI SGR parsing, the filter, and the de-duplicating,
// capped buffer. Pure so that `node --test tests/js/` can check it; logs.js does the drawing.

// Escape sequences as ECMA-48 delimits them, in 7-bit and 8-bit (C1) forms: CSI (its parameters,
// intermediates and final byte captured), the OSC, DCS, SOS, PM and APC strings up to their
// terminator, and any other escape. The same ones the text log stream removes
// (platform/observability/terminal_text.py).
const ESCAPE =
  /(?:\x1b\[|\x9b)([\x30-\x3f]*)([\x20-\x2f]*)([\x40-\x7e]?)|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
// C0 controls but tab, DEL and C1 controls: never shown (they would garble the row).
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
const NEEDS_PARSING = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CUBE = [0, 95, 135, 175, 215, 255];

/** The tag a line is shown with: `app[web.1]` for a process's lines, else the source. */
export function tagOf(entry) {
  return entry.process ? `${entry.source}[${entry.process}]` : entry.source;
}

function rgbOf256(index) {
  if (index < 232) {
    const i = index - 16;
    return `rgb(${CUBE[Math.floor(i / 36)]},${CUBE[Math.floor(i / 6) % 6]},${CUBE[i % 6]})`;
  }
  const grey = 8 + 10 * (index - 232);
  return `rgb(${grey},${grey},${grey})`;
}

function byte(value) {
  const number = Number(value);
  return Number.isInteger(number) && number >= 0 && number <= 255 ? number : null;
}

/** A colour from 38/48 extended parameters: 0-15 (a class), a CSS rgb() string, or null. */
function extendedColour(mode, values) {
  if (mode === 5) {
    const index = byte(values[0]);
    if (index === null) return null;
    return index < 16 ? index : rgbOf256(index);
  }
  if (mode === 2) {
    const [r, g, b] = values.map(byte);
    return r === null || g === null || b === null ? null : `rgb(${r},${g},${b})`;
  }
  return null;
}

function freshStyle() {
  return { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
}

function applySgr(style, parameters) {
  const params = parameters === "" ? ["0"] : parameters.split(";");
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    if (param.includes(":")) {
      // ITU T.416 form: 38:5:n, 38:2::r:g:b (colour space id may be present or not).
      const sub = param.split(":");
      const code = Number(sub[0]);
      if (code === 38 || code === 48) {
        const mode = Number(sub[1]);
        const values = mode === 2 ? sub.slice(sub.length >= 6 ? 3 : 2, sub.length >= 6 ? 6 : 5) : sub.slice(2, 3);
        style[code === 38 ? "fg" : "bg"] = extendedColour(mode, values);
      } else if (code === 4) {
        style.underline = Number(sub[1] || 0) !== 0;
      }
      continue;
    }
    const code = param === "" ? 0 : Number(param);
    if (code === 0) Object.assign(style, freshStyle());
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code === 49) style.bg = null;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 38 || code === 48) {
      const mode = Number(params[i + 1]);
      const count = mode === 5 ? 1 : mode === 2 ? 3 : 0;
      style[code === 38 ? "fg" : "bg"] = extendedColour(mode, params.slice(i + 2, i + 2 + count));
      i += 1 + count;
    }
    // Anything else (blink, inverse, fonts...) is ignored.
  }
}

/** CSS classes and inline style for a style: classes for the 16 colours, rgb() for the rest. */
function cssOf(style) {
  const classes = [];
  const css = [];
  if (typeof style.fg === "number") classes.push(`ansi-fg-${style.fg}`);
  else if (style.fg) css.push(`color:${style.fg}`);
  if (typeof style.bg === "number") classes.push(`ansi-bg-${style.bg}`);
  else if (style.bg) css.push(`background-color:${style.bg}`);
  if (style.bold) classes.push("ansi-bold");
  if (style.dim) classes.push("ansi-dim");
  if (style.italic) classes.push("ansi-italic");
  if (style.underline) classes.push("ansi-underline");
  return { cls: classes.join(" "), css: css.join(";") };
}

/**
 * Split a line into styled segments `{text, cls, css}`: SGR escapes become classes (`ansi-fg-1`,
 * `ansi-bold`...) or an rgb() style for 256/true colours; every other escape and control
 * character is dropped. The text is plain text, for textContent, never for innerHTML.
 */
export function parseAnsi(line) {
  if (!NEEDS_PARSING.test(line)) return line === "" ? [] : [{ text: line, cls: "", css: "" }];
  const segments = [];
  const style = freshStyle();
  let current = { cls: "", css: "" };
  let last = 0;
  const push = (text) => {
    text = text.replace(CONTROLS, "");
    if (!text) return;
    const previous = segments[segments.length - 1];
    if (previous && previous.cls === current.cls && previous.css === current.css) previous.text += text;
    else segments.push({ text, cls: current.cls, css: current.css });
  };
  ESCAPE.lastIndex = 0;
  for (let match; (match = ESCAPE.exec(line)) !== null; ) {
    push(line.slice(last, match.index));
    last = ESCAPE.lastIndex;
    const [, parameters, intermediates, final] = match;
    if (final === "m" && intermediates === "" && !/[<=>?]/.test(parameters)) {
      applySgr(style, parameters);
      current = cssOf(style);
    }
  }
  push(line.slice(last));
  return segments;
}

/** web.1 < web.2 < web.10 < worker.1: by process type, then by index as a number. */
export function processOrder(a, b) {
  const [typeA, indexA = ""] = a.split(".");
  const [typeB, indexB = ""] = b.split(".");
  if (typeA !== typeB) return typeA < typeB ? -1 : 1;
  return Number(indexA) - Number(indexB) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The line as plain text: escapes and control characters removed. */
export function plainText(line) {
  if (!NEEDS_PARSING.test(line)) return line;
  return parseAnsi(line).map((segment) => segment.text).join("");
}

/** What the viewer shows: sources and processes switched off, and a search text. */
export function makeFilter({ hiddenSources = [], hiddenProcesses = [], text = "" } = {}) {
  return { hiddenSources: new Set(hiddenSources), hiddenProcesses: new Set(hiddenProcesses), text: text.toLowerCase() };
}

/**
 * Whether an entry passes the filter. Notices (skipped lines, reconnects) always do. Lines
 * without a process (router, build, platform) are not affected by the process filter. The
 * search is a case-insensitive substring of the tag or the line's plain text.
 */
export function matches(entry, filter) {
  if (entry.notice !== undefined) return true;
  if (filter.hiddenSources.has(entry.source)) return false;
  if (entry.process && filter.hiddenProcesses.has(entry.process)) return false;
  if (!filter.text) return true;
  if (entry.lower === undefined) entry.lower = `${tagOf(entry)} ${plainText(entry.line)}`.toLowerCase();
  return entry.lower.includes(filter.text);
}

/**
 * The lines received so far, oldest first, at most `capacity` of them (trimmed in chunks, so
 * trimming costs O(1) per line). Lines are de-duplicated by their sequence number `n`: a
 * reconnect replays history, and only lines newer than the last one kept are taken. Each kept
 * item gets `seq`, a local counter that also numbers notices (which have no `n`).
 */
export class LogBuffer {
  constructor(capacity = 50000) {
    this.capacity = capacity;
    this.items = [];
    this.lastN = 0;
    this.seq = 0;
    this.sources = new Set();
    this.processes = new Set();
  }

  /** Take a frame's lines; returns the items kept (new lines, and notices about gaps). */
  add(entries, { history = false } = {}) {
    const kept = [];
    if (history && this.lastN > 0 && entries.length) {
      const newest = entries[entries.length - 1].n;
      if (newest < this.lastN) {
        // The stream's numbering went backwards: it was reset (Redis lost it). Start over.
        kept.push(this.notice("log stream restarted; showing it from its start"));
        this.lastN = 0;
      } else {
        const firstNew = entries.find((entry) => entry.n > this.lastN);
        const gap = firstNew ? firstNew.n - this.lastN - 1 : 0;
        if (gap > 0) kept.push(this.notice(`… ${gap} lines skipped (while reconnecting)`));
      }
    }
    for (const entry of entries) {
      if (!(entry.n > this.lastN)) continue;
      this.lastN = entry.n;
      entry.seq = ++this.seq;
      this.sources.add(entry.source);
      if (entry.process) this.processes.add(entry.process);
      kept.push(entry);
    }
    this.push(kept);
    return kept;
  }

  /** Record that the server skipped `count` lines for this viewer; returns the notice. */
  missed(count) {
    const notice = this.notice(`… ${count} lines skipped (viewer fell behind)`);
    this.push([notice]);
    return notice;
  }

  notice(text) {
    return { notice: text, seq: ++this.seq };
  }

  push(items) {
    for (const item of items) {
      if (item.seq === undefined) item.seq = ++this.seq;
      this.items.push(item);
    }
    if (this.items.length > this.capacity + Math.max(1, this.capacity >> 3)) {
      this.items.splice(0, this.items.length - this.capacity);
    }
  }

  /** The last `limit` items passing `filter` with seq <= `upTo`, oldest first. */
  tail(filter, limit, upTo = Infinity) {
    const picked = [];
    for (let i = this.items.length - 1; i >= 0 && picked.length < limit; i--) {
      const item = this.items[i];
      if (item.seq <= upTo && matches(item, filter)) picked.push(item);
    }
    return picked.reverse();
  }

  /** How many items passing `filter` came after `seq` (the lines a paused view has not drawn). */
  countAfter(filter, seq) {
    let count = 0;
    for (let i = this.items.length - 1; i >= 0 && this.items[i].seq > seq; i--) {
      if (matches(this.items[i], filter)) count++;
    }
    return count;
  }

  clear() {
    this.items = [];
  }
}

