// Leaderboard chart: each system's estimate with its 95% interval, best first, from the JSON the page embeds
// with json_script; for pairwise criteria a hollow dot adds the score once the left position's advantage is fitted.
(function () {
  "use strict";

  const ACCENT = "#2f5bd3";
  const BAND = "rgba(47, 91, 211, 0.25)";
  const ADJUSTED = "#e07b39";
  const TICK = "#5f6b7a";
  // Room for each row, so that every system keeps its label.
  const ROW_PX = 28;
  const AXIS_PX = 80;

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function fitRows(canvas, rows) {
    const box = canvas.parentElement;
    const needed = rows * ROW_PX + AXIS_PX;
    if (box && needed > box.clientHeight) {
      box.style.height = needed + "px";
    }
  }

  function format(data, value) {
    if (value === null || value === undefined) {
      return "—";
    }
    if (data.kind === "pairwise") {
      return value.toFixed(0);
    }
    return data.kind === "rate" ? value.toFixed(0) + "%" : value.toFixed(2);
  }

  // The axis spans the intervals with a margin: bars would otherwise start the axis at 0, far from any score.
  function axis(data) {
    const known = [...data.low, ...data.high, ...data.value, ...(data.adjusted || [])].filter(
      (v) => v !== null && Number.isFinite(v)
    );
    const low = Math.min(...known);
    const high = Math.max(...known);
    const pad = Math.max((high - low) * 0.08, data.kind === "pairwise" ? 10 : 0.02);
    const out = { title: { display: true, text: data.axis }, min: low - pad, max: high + pad, ticks: { includeBounds: false } };
    if (data.kind === "rate") {
      out.min = Math.max(0, out.min);
      out.max = Math.min(100, out.max);
    }
    return out;
  }

  function draw(canvas, data) {
    const labels = data.labels;
    fitRows(canvas, labels.length);
    const datasets = [
      {
        type: "scatter",
        label: data.kind === "pairwise" ? "score" : data.kind === "rate" ? "share of yes" : "mean",
        data: data.value.map((v, i) => ({ x: v, y: labels[i] })),
        backgroundColor: ACCENT,
        pointRadius: 5,
        order: 0,
      },
      {
        type: "bar",
        label: "95% interval",
        data: data.low.map((v, i) => [v, data.high[i]]),
        backgroundColor: BAND,
        barPercentage: 0.5,
        maxBarThickness: 16,
        order: 2,
      },
    ];
    const adjusted = (data.adjusted || []).some((v) => v !== null);
    if (adjusted) {
      datasets.push({
        type: "scatter",
        label: "adjusted for position",
        data: data.adjusted.map((v, i) => (v === null ? null : { x: v, y: labels[i] })),
        backgroundColor: "#ffffff",
        borderColor: ADJUSTED,
        borderWidth: 2,
        pointRadius: 5,
        order: 1,
      });
    }
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: axis(data),
          y: { type: "category", ticks: { autoSkip: false, color: TICK } },
        },
        plugins: {
          legend: { display: adjusted, labels: { filter: (item) => item.text !== "95% interval" || adjusted } },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const i = ctx.dataIndex;
                if (ctx.dataset.label === "adjusted for position") {
                  return "adjusted for position: " + format(data, data.adjusted[i]);
                }
                return format(data, data.value[i]) + " [" + format(data, data.low[i]) + ", " + format(data, data.high[i]) + "]";
              },
            },
          },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const data = readJson("leaderboard-chart");
    const canvas = document.querySelector("canvas[data-source='leaderboard-chart']");
    if (typeof Chart === "undefined" || !data || !canvas || !data.labels.length) {
      return;
    }
    draw(canvas, data);
  });
})();
