// The metrics page's logic without the DOM: the last hour of samples, and the column arrays
// the charts draw (uPlot's data format: [xs, ys1, ys2, ...], null where there is no value).

import { processOrder } from "./logview.mjs";

const MIB = 1024 * 1024;
export const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx"];
export const PERCENTILES = ["p50", "p95", "p99"];

function finite(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * The samples of the last `seconds` (counted back from the newest sample), sorted by time and
 * unique by time: a reconnect sends the history again, and a sample seen twice is kept once.
 */
export class SampleWindow {
  constructor(seconds = 3600) {
    this.seconds = seconds;
    this.resolution = 5;
    this.samples = [];
  }

  add(samples) {
    for (const sample of samples) {
      if (!sample || finite(sample.t) === null) continue;
      const list = this.samples;
      if (!list.length || sample.t > list[list.length - 1].t) {
        list.push(sample);
        continue;
      }
      let low = 0;
      let high = list.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (list[middle].t < sample.t) low = middle + 1;
        else high = middle;
      }
      if (list[low].t === sample.t) list[low] = sample;
      else list.splice(low, 0, sample);
    }
    if (this.samples.length) {
      const cutoff = this.samples[this.samples.length - 1].t - this.seconds;
      let drop = 0;
      while (drop < this.samples.length && this.samples[drop].t < cutoff) drop++;
      if (drop) this.samples.splice(0, drop);
    }
  }

  latest() {
    return this.samples[this.samples.length - 1] || null;
  }

  /** Every process seen in the window, in display order. */
  processes() {
    const names = new Set();
    for (const sample of this.samples) for (const name of Object.keys(sample.processes || {})) names.add(name);
    return [...names].sort(processOrder);
  }
}

/**
 * The charts' data for the window. A missing stretch (longer than 2.5 sample intervals) gets
 * a row of nulls, so lines break there instead of joining across it.
 */
export function chartData(window) {
  const processes = window.processes();
  const types = [...new Set(processes.map((name) => name.split(".")[0]))];
  const rows = [];
  let previous = null;
  for (const sample of window.samples) {
    if (previous !== null && sample.t - previous > 2.5 * window.resolution) rows.push({ t: previous + window.resolution });
    rows.push(sample);
    previous = sample.t;
  }
  const xs = rows.map((row) => row.t);
  const column = (value) => rows.map(value);

  const process = (row, name) => (row.processes || {})[name] || null;
  const cpu = processes.map((name) => column((row) => finite(process(row, name)?.cpu)));
  const memory = processes.map((name) => column((row) => {
    const bytes = finite(process(row, name)?.memory);
    return bytes === null ? null : bytes / MIB;
  }));
  const limits = types.map((type) => column((row) => {
    let limit = null;
    for (const [name, stats] of Object.entries(row.processes || {})) {
      const bytes = finite(stats?.memory_limit);
      if (name.split(".")[0] === type && bytes) limit = Math.max(limit ?? 0, bytes / MIB);
    }
    return limit;
  }));

  const router = (row) => row.router || null;
  const rps = column((row) => finite(router(row)?.rps));
  // Status classes as responses per second, in the same proportion as the counts: this holds
  // whatever interval (raw or rolled up) the counts were taken over.
  const status = STATUS_CLASSES.map((name) => column((row) => {
    const stats = router(row);
    const rate = finite(stats?.rps);
    const requests = finite(stats?.requests);
    const count = finite(stats?.status?.[name]);
    if (rate === null || count === null) return null;
    return requests ? (rate * count) / requests : 0;
  }));
  const latency = PERCENTILES.map((p) => column((row) => finite(router(row)?.latency_ms?.[p])));

  return {
    processes,
    types,
    cpu: [xs, ...cpu],
    memory: [xs, ...memory, ...limits],
    rps: [xs, rps],
    status: [xs, ...status],
    latency: [xs, ...latency],
  };
}

/** The newest sample's processes as table rows. */
export function processRows(sample) {
  if (!sample) return [];
  return Object.keys(sample.processes || {}).sort(processOrder).map((name) => {
    const stats = sample.processes[name] || {};
    const memory = finite(stats.memory);
    const limit = finite(stats.memory_limit);
    return {
      name,
      cpu: finite(stats.cpu),
      memoryMiB: memory === null ? null : memory / MIB,
      limitMiB: limit ? limit / MIB : null,
      restarts: finite(stats.restarts),
    };
  });
}
