// Draws the report charts from <canvas data-chart="ID">, whose data sit in <script type="application/json" id="ID">.
// A point with a "url" opens it (the overview's months switch the period; other charts open the tickets).
(function () {
  "use strict";
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var chart = new Chart(canvas, {
      type: spec.type || "line",
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: spec.stacked ? { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } : { y: { beginAtZero: true } },
        onClick: function (event, elements) {
          if (!spec.urls || !elements.length) { return; }
          var target = spec.urls[elements[0].index];
          if (target) { window.location.href = target; }
        }
      }
    });
    canvas.dataset.drawn = String(chart.data.labels.length);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
