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
      el.textContent = "图表数据有误,请刷新页面或联系管理员";
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
  // print: redraw at the paper's width (A4 portrait inside its margins: 186 mm, 700 CSS px),
  // then back at the window's. The window may still be as wide as the screen when printing
  // starts, and a canvas drawn wider than the paper would be cut at its edge.
  var paper = 700;
  function printSize() {
    charts.forEach(function (c) {
      c.resize({ width: Math.min(c.getDom().clientWidth || paper, paper) });
    });
  }
  window.addEventListener("beforeprint", printSize);
  window.addEventListener("afterprint", resize);
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    if (mq.addEventListener) mq.addEventListener("change", function (e) { (e.matches ? printSize : resize)(); });
  }
  // tables of class "cards" become one card per row on a narrow screen (app.css): each cell is
  // labelled with its column's header
  document.querySelectorAll("table.cards").forEach(function (table) {
    var heads = [];
    table.querySelectorAll("thead th").forEach(function (th) {
      for (var i = 0; i < (th.colSpan || 1); i++) heads.push(th.textContent.trim());
    });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var col = 0;
      Array.prototype.forEach.call(tr.cells, function (td) {
        if (!td.hasAttribute("data-label")) td.setAttribute("data-label", td.colSpan > 1 ? "" : (heads[col] || ""));
        col += td.colSpan || 1;
      });
    });
  });
  // a table wider than its box says that it scrolls sideways (a hint and a shadow at the edge)
  function markScrolling() {
    document.querySelectorAll(".table-wrap").forEach(function (w) {
      w.classList.toggle("scrolls", w.scrollWidth > w.clientWidth + 1);
    });
  }
  markScrolling();
  window.addEventListener("resize", markScrolling);
  document.querySelectorAll("form.asof select, form.asof input[type=date]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.body.dataset.chartsReady = "1";
})();
