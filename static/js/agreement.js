// Agreement dashboard charts: read the JSON that the page embeds with json_script and draw it with Chart.js.
// Runs on page load and again whenever htmx swaps in another criterion's panel.
(function () {
  "use strict";

  const ACCENT = "#2f5bd3";
  const BAND = "rgba(47, 91, 211, 0.25)";
  const PALETTE = ["#2f5bd3", "#e07b39", "#1f7a4d", "#b42318", "#7a4fc2", "#0e8a96", "#a35c00", "#5f6b7a", "#d4489a", "#6b8e23"];

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // A floating bar [low, high] for the interval plus a dot for alpha, per label.
  function intervalChart(canvas, labels, alpha, low, high, title) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { type: "scatter", label: "α", data: alpha.map((v, i) => ({ x: v, y: labels[i] })), backgroundColor: ACCENT, pointRadius: 5, order: 0 },
          { type: "bar", label: "95% interval", data: low.map((v, i) => (v === null ? null : [v, high[i]])), backgroundColor: BAND, barPercentage: 0.5, order: 1 },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { min: Math.min(0, ...low.filter((v) => v !== null)), max: 1, title: { display: true, text: title || "Krippendorff's α" } }, y: { type: "category" } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const i = ctx.dataIndex;
                const a = alpha[i] === null ? "undefined" : alpha[i].toFixed(3);
                const ci = low[i] === null ? "" : " [" + low[i].toFixed(3) + ", " + high[i].toFixed(3) + "]";
                return "α " + a + ci;
              },
            },
          },
        },
      },
    });
  }

  function distributionChart(canvas, data) {
    const datasets = data.values.map((value, j) => ({
      label: value,
      data: data.shares.map((row) => row[j]),
      backgroundColor: PALETTE[j % PALETTE.length],
    }));
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.raters, datasets: datasets },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true, min: 0, max: 1, title: { display: true, text: "share of labels" } }, y: { stacked: true } },
        plugins: { tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + (100 * ctx.parsed.x).toFixed(1) + "%" } } },
      },
    });
  }

  function histogramChart(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.bins, datasets: [{ label: "items", data: data.counts, backgroundColor: ACCENT, categoryPercentage: 1, barPercentage: 0.95 }] },
      options: {
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: data.measure } }, y: { beginAtZero: true, title: { display: true, text: "items" } } },
      },
    });
  }

  function timeChart(canvas, data) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.periods,
        datasets: [
          { label: "low", data: data.low, borderColor: "transparent", pointRadius: 0, fill: false },
          { label: "95% interval", data: data.high, borderColor: "transparent", backgroundColor: BAND, pointRadius: 0, fill: "-1" },
          { label: "α", data: data.alpha, borderColor: ACCENT, backgroundColor: ACCENT, spanGaps: true },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { labels: { filter: (item) => item.text !== "low" } } },
        scales: { y: { max: 1, title: { display: true, text: "Krippendorff's α (cumulative)" } } },
      },
    });
  }

  function draw(canvas) {
    if (typeof Chart === "undefined" || Chart.getChart(canvas)) {
      return;
    }
    const source = readJson(canvas.dataset.source);
    // Per-criterion charts read their criterion's entry; the overview reads the whole object.
    const data = source && canvas.dataset.criterion ? source[canvas.dataset.criterion] : source;
    if (!data) {
      return;
    }
    const kind = canvas.dataset.chart;
    if (kind === "alpha") {
      intervalChart(canvas, data.labels, data.alpha, data.low, data.high);
    } else if (kind === "distribution" && data.distribution) {
      distributionChart(canvas, data.distribution);
    } else if (kind === "disagreement" && data.disagreement) {
      histogramChart(canvas, data.disagreement);
    } else if (kind === "over_time" && data.over_time) {
      timeChart(canvas, data.over_time);
    } else if (kind === "slice" && data.slices) {
      const slice = data.slices[Number(canvas.dataset.index)];
      if (slice) {
        intervalChart(canvas, slice.labels, slice.alpha, slice.low, slice.high, "α by " + slice.field);
      }
    }
  }

  function drawAll() {
    if (typeof Chart !== "undefined") {
      // Charts of a panel that htmx swapped out still hold their canvas: release them.
      Object.values(Chart.instances).forEach((chart) => {
        if (!chart.canvas.isConnected) {
          chart.destroy();
        }
      });
    }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  // htmx:load fires on every element htmx inserts, from inside the document, so it reaches this listener.
  document.addEventListener("htmx:load", drawAll);
})();
