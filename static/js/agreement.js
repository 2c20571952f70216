// Agreement dashboard charts: read the JSON that the page embeds with json_script and draw it with Chart.js.
// Runs on page load and again whenever htmx swaps in another criterion's panel.
(function () {
  "use strict";

  const ACCENT = "#2f5bd3";
  const BAND = "rgba(47, 91, 211, 0.25)";
  // Slices too small to judge are drawn in grey, as their table rows are.
  const GREY = "#a3acb9";
  const GREY_BAND = "rgba(163, 172, 185, 0.3)";
  const TICK = "#5f6b7a";
  // Room for each row of a horizontal chart, so that every row keeps its label.
  const ROW_PX = 26;
  const AXIS_PX = 70;
  // Padding beyond an alpha axis's ends: not a multiple of a tick step, so the padded ends get no tick.
  const AXIS_PAD = 0.04;
  const PALETTE = ["#2f5bd3", "#e07b39", "#1f7a4d", "#b42318", "#7a4fc2", "#0e8a96", "#a35c00", "#5f6b7a", "#d4489a", "#6b8e23"];

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // Grow a horizontal chart's box with its rows: a fixed height made Chart.js skip every other label.
  function fitRows(canvas, rows) {
    const box = canvas.parentElement;
    const needed = rows * ROW_PX + AXIS_PX;
    if (box && needed > box.clientHeight) {
      box.style.height = needed + "px";
    }
  }

  // An alpha axis padded past its ends, so that a dot at 1.0 (or at the lowest bound) is drawn whole;
  // only round ticks are labelled, never the padding. fromZero: start at 0 or below (else where the data starts).
  function alphaAxis(values, title, fromZero) {
    const known = values.filter((v) => v !== null && Number.isFinite(v));
    const axis = {
      max: Math.max(1, ...known) + AXIS_PAD,
      ticks: { includeBounds: false },
      title: { display: true, text: title },
    };
    if (fromZero) {
      axis.min = Math.min(0, ...known) - AXIS_PAD;
    }
    return axis;
  }

  // A floating bar [low, high] for the interval plus a dot for alpha, per label; rows in tooFew are greyed.
  function intervalChart(canvas, data, title) {
    const labels = data.labels;
    const alpha = data.alpha;
    const low = data.low;
    const high = data.high;
    const tooFew = data.too_few || labels.map(() => false);
    fitRows(canvas, labels.length);
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {
            type: "scatter",
            label: "α",
            data: alpha.map((v, i) => ({ x: v, y: labels[i] })),
            backgroundColor: tooFew.map((f) => (f ? GREY : ACCENT)),
            pointRadius: 5,
            order: 0,
          },
          {
            type: "bar",
            label: "95% interval",
            data: low.map((v, i) => (v === null ? null : [v, high[i]])),
            backgroundColor: tooFew.map((f) => (f ? GREY_BAND : BAND)),
            barPercentage: 0.5,
            maxBarThickness: 16,
            order: 1,
          },
        ],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: alphaAxis([...alpha, ...low, ...high], title || "Krippendorff's α", true),
          y: { type: "category", ticks: { autoSkip: false, color: (ctx) => (tooFew[ctx.index] ? GREY : TICK) } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const i = ctx.dataIndex;
                const a = alpha[i] === null ? "undefined" : alpha[i].toFixed(3);
                const ci = low[i] === null ? "" : " [" + low[i].toFixed(3) + ", " + high[i].toFixed(3) + "]";
                return "α " + a + ci + (tooFew[i] ? " (too few pairable items to judge)" : "");
              },
            },
          },
        },
      },
    });
  }

  function distributionChart(canvas, data) {
    fitRows(canvas, data.raters.length);
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
        scales: {
          x: { stacked: true, min: 0, max: 1, title: { display: true, text: "share of labels" } },
          y: { stacked: true, ticks: { autoSkip: false } },
        },
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
        scales: {
          x: { ticks: { autoSkip: false }, title: { display: true, text: data.measure } },
          y: { beginAtZero: true, title: { display: true, text: "items" } },
        },
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
        scales: { y: alphaAxis([...data.alpha, ...data.low, ...data.high], "α so far (cumulative)", false) },
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
      intervalChart(canvas, data);
    } else if (kind === "distribution" && data.distribution) {
      distributionChart(canvas, data.distribution);
    } else if (kind === "disagreement" && data.disagreement) {
      histogramChart(canvas, data.disagreement);
    } else if (kind === "over_time" && data.over_time) {
      timeChart(canvas, data.over_time);
    } else if (kind === "slice" && data.slices) {
      const slice = data.slices[Number(canvas.dataset.index)];
      if (slice) {
        intervalChart(canvas, slice, "α by " + slice.field);
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
