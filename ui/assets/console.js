// The web console's one script: draws the charts of a page with Apache ECharts
// (vendored, assets/vendor/echarts). Each chart is an element with data-chart (its
// kind) and data-source (the id of a <script type="application/json"> holding its
// data, written by the server). Nothing else on a page needs JavaScript.
(function () {
  "use strict";
  function pct(v) { return (v * 100).toFixed(2) + "%"; }

  function graphOption(data) {
    return {
      animation: data.nodes.length <= 100,
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") {
            var s = p.data.source + " → " + p.data.target + " " + pct(p.data.share);
            return p.data.singleSource ? s + " (" + data.singleLabel + ")" : s;
          }
          var d = p.data;
          return echarts.format.encodeHTML(d.name) + "<br>" + d.id + "<br>tier " + d.tier + " · " +
            (d.grade || "?") + " · d " + pct(d.d) + (d.value ? " · " + pct(d.value) : "");
        }
      },
      legend: [{ data: data.categories.map(function (c) { return c.name; }), top: 0 }],
      series: [{
        type: "graph", layout: "none", roam: true, draggable: false,
        data: data.nodes, links: data.links, categories: data.categories,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 6,
        label: { show: data.nodes.length <= 80, position: "right", fontSize: 10,
          formatter: function (p) { return p.data.name.length > 10 ? p.data.name.slice(0, 10) + "…" : p.data.name; } },
        emphasis: { focus: "adjacency", lineStyle: { width: 4 } },
        lineStyle: { opacity: 0.7, curveness: 0.05 }
      }]
    };
  }

  function lineOption(series) {
    return {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 56, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true },
      series: series.map(function (s) {
        return { type: "line", name: s.name, data: s.data, showSymbol: true, symbolSize: 6 };
      })
    };
  }

  // draw draws the chart of el and calls drawn after its first frame, settled once
  // its animation has finished.
  function draw(el, drawn, settled) {
    var src = document.getElementById(el.getAttribute("data-source"));
    if (!src || typeof echarts === "undefined") { return; }
    var data = JSON.parse(src.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("rendered", function once() { chart.off("rendered", once); drawn(); });
    chart.on("finished", function once() { chart.off("finished", once); settled(); });
    var kind = el.getAttribute("data-chart");
    if (kind === "graph") {
      chart.setOption(graphOption(data));
      chart.on("click", function (p) {
        if (p.dataType === "node") { window.location.href = "/ui/enterprises/" + encodeURIComponent(p.data.id); }
      });
    } else {
      chart.setOption(lineOption(data));
    }
    return chart;
  }

  function start() {
    // The page is interactive once every chart has drawn its first frame (tests and
    // the benchmark wait for window.consoleReady; animations may still be running).
    var els = document.querySelectorAll("[data-chart]");
    // window.consoleSettled follows once every animation has finished.
    var pending = els.length + 1, moving = els.length + 1;
    var drawn = function () {
      if (--pending === 0 && window.consoleReady === undefined) { window.consoleReady = performance.now(); }
    };
    var settled = function () {
      if (--moving === 0 && window.consoleSettled === undefined) { window.consoleSettled = performance.now(); }
    };
    var charts = [];
    for (var i = 0; i < els.length; i++) {
      var c = draw(els[i], drawn, settled);
      if (c) { charts.push(c); } else { drawn(); settled(); }
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
    drawn();
    settled();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
