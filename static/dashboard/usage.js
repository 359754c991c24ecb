// The usage page's chart: vCPU-seconds and container-seconds per hour, drawn with uPlot
// (vendored: the global `uPlot` from static/vendor/uplot/), from the figures the page embeds.
(() => {
  const HEIGHT = 240;
  const element = document.getElementById("usage-chart");
  const data = JSON.parse(document.getElementById("usage-data").textContent);
  const number = (v) => (v == null ? "–" : v.toLocaleString(undefined, { maximumFractionDigits: 2 }));
  // An hour's figure holds from its start to the next hour's.
  const step = uPlot.paths.stepped({ align: 1 });
  const line = (label, stroke) => ({ label, stroke, fill: `${stroke}22`, width: 1.5, paths: step, value: (u, v) => number(v) });
  const options = {
    width: element.clientWidth,
    height: HEIGHT,
    legend: { live: true },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    series: [{}, line("vCPU-seconds", "#1a73e8"), line("container-seconds", "#e37400")],
    axes: [{}, { size: 64, values: (u, ticks) => ticks.map(number) }],
  };
  element.replaceChildren();
  const plot = new uPlot(options, [data.t, data.cpu_seconds, data.container_seconds], element);
  element.dataset.drawn = "true";
  window.addEventListener("resize", () => plot.setSize({ width: element.clientWidth, height: HEIGHT }));
})();
