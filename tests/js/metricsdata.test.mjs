// The metrics page's pure logic: the hour of samples and the charts' columns.
import assert from "node:assert/strict";
import { test } from "node:test";

import { processOrder } from "../../static/dashboard/logview.mjs";
import { SampleWindow, chartData, processRows } from "../../static/dashboard/metricsdata.mjs";

const MIB = 1024 * 1024;
const sample = (t, processes = {}, router = {}) => ({
  t,
  processes,
  router: { requests: 10, rps: 2, status: { "2xx": 5, "3xx": 0, "4xx": 3, "5xx": 2 }, latency_ms: { p50: 4, p95: 9, p99: null }, ...router },
});
const proc = (cpu, memory = 100 * MIB, limit = 512 * MIB) => ({ cpu, memory, memory_limit: limit, restarts: 0 });

test("processes sort by type, then by index as a number", () => {
  assert.deepEqual(["web.10", "worker.1", "web.2", "web.1"].sort(processOrder), ["web.1", "web.2", "web.10", "worker.1"]);
});

test("samples are kept sorted and once each: a replayed history changes nothing", () => {
  const window = new SampleWindow();
  window.add([sample(100), sample(105), sample(110)]);
  window.add([sample(105), sample(110), sample(115)]);
  window.add([sample(102)]);
  assert.deepEqual(window.samples.map((s) => s.t), [100, 102, 105, 110, 115]);
});

test("only the last hour is kept, counted from the newest sample", () => {
  const window = new SampleWindow(3600);
  window.add(Array.from({ length: 1000 }, (_, i) => sample(1_000_000 + 5 * i)));
  const times = window.samples.map((s) => s.t);
  assert.equal(times[times.length - 1] - times[0], 3600);
  assert.equal(times.length, 721);
});

test("per-process columns: CPU, memory in MiB and each process type's limit; null where absent", () => {
  const window = new SampleWindow();
  window.add([
    sample(100, { "web.1": proc(10), "worker.1": proc(1, 50 * MIB, 256 * MIB) }),
    sample(105, { "web.1": proc(20), "web.2": proc(30, 200 * MIB) }),
  ]);
  const data = chartData(window);
  assert.deepEqual(data.processes, ["web.1", "web.2", "worker.1"]);
  assert.deepEqual(data.types, ["web", "worker"]);
  assert.deepEqual(data.cpu, [[100, 105], [10, 20], [null, 30], [1, null]]);
  assert.deepEqual(data.memory, [[100, 105], [100, 100], [null, 200], [50, null], [512, 512], [256, null]]);
});

test("router columns: requests/s, statuses per second in proportion, latency with gaps", () => {
  const window = new SampleWindow();
  window.add([sample(100), sample(105, {}, { requests: 0, rps: 0, status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 } })]);
  const data = chartData(window);
  assert.deepEqual(data.rps, [[100, 105], [2, 0]]);
  assert.deepEqual(data.status, [[100, 105], [1, 0], [0, 0], [0.6, 0], [0.4, 0]]);
  assert.deepEqual(data.latency, [[100, 105], [4, 4], [9, 9], [null, null]]);
});

test("a stretch with no samples breaks the lines instead of joining across it", () => {
  const window = new SampleWindow();
  window.resolution = 5;
  window.add([sample(100, { "web.1": proc(1) }), sample(105, { "web.1": proc(2) }), sample(200, { "web.1": proc(3) })]);
  const data = chartData(window);
  assert.deepEqual(data.cpu, [[100, 105, 110, 200], [1, 2, null, 3]]);
  assert.deepEqual(data.rps[1], [2, 2, null, 2]);
});

test("the process table shows the newest sample", () => {
  const rows = processRows(sample(1, { "web.2": proc(5), "web.1": { cpu: 1.5, memory: 64 * MIB, memory_limit: 0, restarts: 2 } }));
  assert.deepEqual(rows, [
    { name: "web.1", cpu: 1.5, memoryMiB: 64, limitMiB: null, restarts: 2 },
    { name: "web.2", cpu: 5, memoryMiB: 100, limitMiB: 512, restarts: 0 },
  ]);
  assert.deepEqual(processRows(null), []);
});
