// The live metrics page: a websocket of samples drawn with uPlot (vendored: the global
// `uPlot` from static/vendor/uplot/). The browser keeps the last hour.
import { describeState, openLive } from "./live.mjs";
import { PERCENTILES, STATUS_CLASSES, SampleWindow, chartData, processRows } from "./metricsdata.mjs";

const HEIGHT = 200;
const PALETTE = ["#1a73e8", "#e37400", "#137333", "#a142f4", "#b3261e", "#00897b", "#c2185b", "#3949ab", "#f9ab00", "#5f6368"];
const LIMIT_COLOUR = "#80868b";
const STATUS_COLOURS = { "2xx": "#137333", "3xx": "#1a73e8", "4xx": "#e37400", "5xx": "#b3261e" };
const PERCENTILE_COLOURS = { p50: "#1a73e8", p95: "#e37400", p99: "#b3261e" };

const root = document.getElementById("metrics");
const statusLine = document.getElementById("metrics-status");
const processTable = document.getElementById("metrics-processes");
const samples = new SampleWindow(Number(root.dataset.windowSeconds) || 3600);
const charts = {};

const number = (digits) => (value) => value.toLocaleString(undefined, { maximumFractionDigits: digits });

// Each chart: the element it draws in, its series' labels, colours and value format.
const CHARTS = {
  cpu: {
    labels: (data) => data.processes,
    colour: (label, i) => PALETTE[i % PALETTE.length],
    format: (v) => `${number(1)(v)} %`,
  },
  memory: {
    labels: (data) => [...data.processes, ...data.types.map((type) => `${type} limit`)],
    colour: (label, i, data) => (i < data.processes.length ? PALETTE[i % PALETTE.length] : LIMIT_COLOUR),
    dashed: (label, i, data) => i >= data.processes.length,
    format: (v) => `${number(1)(v)} MiB`,
  },
  rps: {
    labels: () => ["requests/s"],
    colour: () => PALETTE[0],
    format: (v) => `${number(2)(v)}/s`,
  },
  status: {
    labels: () => STATUS_CLASSES,
    colour: (label) => STATUS_COLOURS[label],
    format: (v) => `${number(2)(v)}/s`,
  },
  latency: {
    labels: () => PERCENTILES,
    colour: (label) => PERCENTILE_COLOURS[label],
    format: (v) => `${number(1)(v)} ms`,
  },
};

function options(spec, labels, data, width) {
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } }, // no zoom: the next sample would undo it
    legend: { live: true },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    series: [
      {},
      ...labels.map((label, i) => ({
        label,
        stroke: spec.colour(label, i, data),
        width: 1.5,
        dash: spec.dashed?.(label, i, data) ? [6, 4] : undefined,
        spanGaps: false,
        value: (u, v) => (v == null ? "–" : spec.format(v)),
      })),
    ],
    axes: [{}, { size: 64, values: (u, ticks) => ticks.map((v) => number(2)(v)) }],
  };
}

function drawCharts(data) {
  for (const [key, spec] of Object.entries(CHARTS)) {
    const element = document.getElementById(`chart-${key}`);
    const labels = spec.labels(data);
    const signature = labels.join("\n");
    let chart = charts[key];
    // A process that appears or goes changes the series: draw that chart anew.
    if (chart && chart.signature !== signature) {
      chart.plot.destroy();
      chart = null;
    }
    if (chart) {
      chart.plot.setData(data[key]);
      continue;
    }
    element.replaceChildren();
    charts[key] = { signature, plot: new uPlot(options(spec, labels, data, element.clientWidth), data[key], element) };
  }
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function drawProcesses(sample) {
  const rows = processRows(sample).map((process) => {
    const tr = document.createElement("tr");
    const fixed = (value, suffix) => (value === null ? "–" : `${number(1)(value)}${suffix}`);
    tr.append(
      cell(process.name),
      cell(fixed(process.cpu, " %")),
      cell(fixed(process.memoryMiB, " MiB")),
      cell(fixed(process.limitMiB, " MiB")),
      cell(process.restarts === null ? "–" : String(process.restarts)),
    );
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell("No processes running.");
    td.colSpan = 5;
    tr.append(td);
    rows.push(tr);
  }
  processTable.replaceChildren(...rows);
}

function draw() {
  root.dataset.sampleCount = samples.samples.length;
  if (!samples.samples.length) return;
  drawCharts(chartData(samples));
  drawProcesses(samples.latest());
}

function onMessage(message) {
  if (message.type === "history") {
    if (Number(message.resolution) > 0) samples.resolution = Number(message.resolution);
    samples.add(Array.isArray(message.samples) ? message.samples : []);
    draw();
  } else if (message.type === "sample" && message.sample) {
    samples.add([message.sample]);
    draw();
  }
}

function onState(state, detail) {
  statusLine.dataset.state = state;
  statusLine.textContent = describeState(state, detail);
}

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const key of Object.keys(charts)) {
      const element = document.getElementById(`chart-${key}`);
      charts[key].plot.setSize({ width: element.clientWidth, height: HEIGHT });
    }
  }, 150);
});

openLive(root.dataset.wsPath, { onMessage, onState });
