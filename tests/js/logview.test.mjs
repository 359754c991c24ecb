// The log page's pure logic: ANSI parsing, the filter and the de-duplicating buffer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LogBuffer, makeFilter, matches, parseAnsi, plainText, tagOf } from "../../static/dashboard/logview.mjs";

const ESC = "\x1b";
let next = 0;
const entry = (fields = {}) => ({
  n: ++next, ts: "2026-11-23T10:00:00.123456Z", source: "app", process: "web.1", line: "hello", ...fields,
});

test("a plain line is one unstyled segment", () => {
  assert.deepEqual(parseAnsi("GET / 200"), [{ text: "GET / 200", cls: "", css: "" }]);
  assert.deepEqual(parseAnsi(""), []);
});

test("the 16 colours, bold and reset become classes", () => {
  assert.deepEqual(parseAnsi(`${ESC}[31mred${ESC}[0m plain ${ESC}[1;92mbold bright${ESC}[m`), [
    { text: "red", cls: "ansi-fg-1", css: "" },
    { text: " plain ", cls: "", css: "" },
    { text: "bold bright", cls: "ansi-fg-10 ansi-bold", css: "" },
  ]);
  assert.deepEqual(parseAnsi(`${ESC}[44;37mx${ESC}[39my${ESC}[49;22mz`), [
    { text: "x", cls: "ansi-fg-7 ansi-bg-4", css: "" },
    { text: "y", cls: "ansi-bg-4", css: "" },
    { text: "z", cls: "", css: "" },
  ]);
  assert.equal(parseAnsi(`${ESC}[103mq`)[0].cls, "ansi-bg-11");
});

test("styles accumulate and end where they are switched off", () => {
  assert.deepEqual(parseAnsi(`${ESC}[1m${ESC}[4m${ESC}[33mA${ESC}[22mB${ESC}[24mC`), [
    { text: "A", cls: "ansi-fg-3 ansi-bold ansi-underline", css: "" },
    { text: "B", cls: "ansi-fg-3 ansi-underline", css: "" },
    { text: "C", cls: "ansi-fg-3", css: "" },
  ]);
});

test("256 and true colours become rgb() styles, the first 16 of 256 classes", () => {
  assert.deepEqual(parseAnsi(`${ESC}[38;5;196mA${ESC}[38;5;9mB${ESC}[48;2;1;2;3mC${ESC}[38:5:232mD`), [
    { text: "A", cls: "", css: "color:rgb(255,0,0)" },
    { text: "B", cls: "ansi-fg-9", css: "" },
    { text: "C", cls: "ansi-fg-9", css: "background-color:rgb(1,2,3)" },
    { text: "D", cls: "", css: "color:rgb(8,8,8);background-color:rgb(1,2,3)" },
  ]);
});

test("a colour parameter that is not a byte is ignored, never copied into a style", () => {
  const [segment] = parseAnsi(`${ESC}[38;2;300;0;0mA`);
  assert.equal(segment.css, "");
  const [other] = parseAnsi(`${ESC}[38;5;1);background:url(x)mA`);
  assert.doesNotMatch(other.css + other.cls, /url/);
});

test("other escapes and control characters are stripped", () => {
  const line = `${ESC}[2K${ESC}[1Gstart ${ESC}]0;title\x07mid${ESC}(B ${ESC}[?25lend\r\x00\x08${ESC}[12`;
  assert.equal(plainText(line), "start mid end");
  assert.equal(plainText("tab\tkept"), "tab\tkept");
  assert.equal(plainText(`lone ${ESC}`), "lone ");
});

test("8-bit sequences and string sequences are removed whole, not left as text", () => {
  assert.equal(plainText("a\x9b2Jb\x9d0;title\x9cc"), "abc");
  assert.equal(plainText(`a${ESC}P+q544e${ESC}\\b${ESC}_apc${ESC}\\c${ESC}]8;;http://x/${ESC}\\d`), "abcd");
  assert.deepEqual(parseAnsi("\x9b31mred"), [{ text: "red", cls: "ansi-fg-1", css: "" }]);
});

test("a carriage return cannot start a forged platform row: it stays in the app's line", () => {
  assert.equal(plainText("ok\r2026-11-23T10:00:00Z platform: fake"), "ok2026-11-23T10:00:00Z platform: fake");
});

test("markup in a line stays text: the parser never produces HTML", () => {
  const segments = parseAnsi(`${ESC}[31m<img src=x onerror=alert(1)>&amp;`);
  assert.deepEqual(segments, [{ text: "<img src=x onerror=alert(1)>&amp;", cls: "ansi-fg-1", css: "" }]);
});

test("a process's lines are tagged app[web.1], others by their source", () => {
  assert.equal(tagOf(entry()), "app[web.1]");
  assert.equal(tagOf(entry({ source: "router", process: "" })), "router");
});

test("the filter hides sources and processes and searches case-insensitively without escapes", () => {
  const web = entry({ line: `${ESC}[32mUser Logged ${ESC}[0mIN` });
  const worker = entry({ process: "worker.1", line: "job done" });
  const router = entry({ source: "router", process: "", line: "GET /login 200" });
  const visible = (filter) => [web, worker, router].filter((e) => matches(e, filter));

  assert.deepEqual(visible(makeFilter()), [web, worker, router]);
  assert.deepEqual(visible(makeFilter({ hiddenSources: ["router"] })), [web, worker]);
  // A process filter does not hide lines that have no process.
  assert.deepEqual(visible(makeFilter({ hiddenProcesses: ["web.1"] })), [worker, router]);
  assert.deepEqual(visible(makeFilter({ text: "logged in" })), [web]);
  assert.deepEqual(visible(makeFilter({ text: "LOGIN" })), [router]);
  assert.deepEqual(visible(makeFilter({ text: "worker[" })), []);
  assert.deepEqual(visible(makeFilter({ text: "app[worker.1]" })), [worker]);
  assert.ok(matches({ notice: "… 3 lines skipped" }, makeFilter({ text: "zzz", hiddenSources: ["app"] })));
});

test("the buffer keeps lines once: a replayed history adds only lines newer than the last", () => {
  const buffer = new LogBuffer();
  const first = [1, 2, 3].map((n) => entry({ n }));
  assert.equal(buffer.add(first, { history: true }).length, 3);
  const replay = [2, 3, 4, 5].map((n) => entry({ n }));
  assert.deepEqual(buffer.add(replay, { history: true }).map((e) => e.n), [4, 5]);
  assert.deepEqual(buffer.add([entry({ n: 5 }), entry({ n: 6 })]).map((e) => e.n), [6]);
  assert.deepEqual(buffer.items.map((e) => e.n), [1, 2, 3, 4, 5, 6]);
  assert.equal(buffer.lastN, 6);
});

test("a replayed history that starts after a gap says how many lines were lost", () => {
  const buffer = new LogBuffer();
  buffer.add([entry({ n: 1 }), entry({ n: 2 })], { history: true });
  const kept = buffer.add([10, 11].map((n) => entry({ n })), { history: true });
  assert.equal(kept[0].notice, "… 7 lines skipped (while reconnecting)");
  assert.deepEqual(kept.slice(1).map((e) => e.n), [10, 11]);
});

test("a stream whose numbering went backwards (reset) is shown again from its start", () => {
  const buffer = new LogBuffer();
  buffer.add([entry({ n: 100 })], { history: true });
  const kept = buffer.add([entry({ n: 1 }), entry({ n: 2 })], { history: true });
  assert.match(kept[0].notice, /restarted/);
  assert.deepEqual(kept.slice(1).map((e) => e.n), [1, 2]);
});

test("a missed frame becomes a notice line in order", () => {
  const buffer = new LogBuffer();
  buffer.add([entry({ n: 1 })]);
  const notice = buffer.missed(1234);
  buffer.add([entry({ n: 1236 })]);
  assert.equal(notice.notice, "… 1234 lines skipped (viewer fell behind)");
  assert.deepEqual(buffer.items.map((e) => e.notice ?? e.n), [1, notice.notice, 1236]);
  assert.deepEqual(buffer.items.map((e) => e.seq), [1, 2, 3]);
});

test("the buffer is capped, dropping the oldest lines", () => {
  const buffer = new LogBuffer(1000);
  for (let batch = 0; batch < 50; batch++) {
    buffer.add(Array.from({ length: 1000 }, (_, i) => entry({ n: batch * 1000 + i + 1 })));
    assert.ok(buffer.items.length <= 1000 + 125);
  }
  assert.ok(buffer.items.length >= 1000);
  assert.equal(buffer.items[buffer.items.length - 1].n, 50000);
  assert.equal(buffer.sources.size, 1);
  assert.deepEqual([...buffer.processes], ["web.1"]);
});

test("tail gives the newest matching lines, oldest first, up to a seq", () => {
  const buffer = new LogBuffer();
  buffer.add([1, 2, 3, 4, 5, 6].map((n) => entry({ n, source: n % 2 ? "app" : "router", process: n % 2 ? "web.1" : "" })));
  const onlyApp = makeFilter({ hiddenSources: ["router"] });
  assert.deepEqual(buffer.tail(onlyApp, 2).map((e) => e.n), [3, 5]);
  assert.deepEqual(buffer.tail(makeFilter(), 10, 4).map((e) => e.n), [1, 2, 3, 4]);
});

test("countAfter counts the matching lines newer than a seq, as a paused view's 'new' count", () => {
  const buffer = new LogBuffer();
  buffer.add([1, 2, 3, 4, 5, 6].map((n) => entry({ n, source: n % 2 ? "app" : "router", process: n % 2 ? "web.1" : "" })));
  const pausedAt = buffer.items[2].seq; // after line 3
  assert.equal(buffer.countAfter(makeFilter(), pausedAt), 3);
  assert.equal(buffer.countAfter(makeFilter({ hiddenSources: ["router"] }), pausedAt), 1);
  assert.equal(buffer.countAfter(makeFilter(), buffer.seq), 0);
});

test("parsing keeps up: 50,000 coloured lines (5 s at 10,000 lines/s) in under a second", () => {
  const line = `${ESC}[32mINFO${ESC}[0m request ${ESC}[1mGET /${ESC}[22m took 3ms`;
  const started = performance.now();
  for (let i = 0; i < 50000; i++) parseAnsi(line);
  assert.ok(performance.now() - started < 1000);
});
