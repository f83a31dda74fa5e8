// Draws every .chart of the page from its data-option (an ECharts option made on the server),
// keeps the charts fitted to the window and to the printed page, and marks the page ready.
// The only script the pages load besides ECharts: no inline script, no other host.
(function () {
  "use strict";
  var charts = [];
  document.querySelectorAll(".chart[data-option]").forEach(function (el) {
    var option;
    try {
      option = JSON.parse(el.getAttribute("data-option"));
    } catch (e) {
      el.textContent = "图表数据有误 / chart data is invalid";
      throw e;
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  });
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  var pending = 0;
  window.addEventListener("resize", function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(resize);
  });
  // print: redraw at the paper's width, then back
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    if (mq.addEventListener) mq.addEventListener("change", resize);
  }
  document.querySelectorAll("form.asof select, form.asof input[type=date]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.body.dataset.chartsReady = "1";
})();
