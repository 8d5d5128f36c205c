// 图表导出 PNG: name the file after the chart's panel title and today's date (Beijing time),
// e.g. 各县区社零总额增速排名（1-10月）_2026-11-20.png, instead of Plotly's "newplot.png".
// Plotly reads gd._context.toImageButtonOptions when its toImage button is clicked, so this
// listener, in the capture phase, sets the filename just before Plotly's own click handler.
(function () {
  function panelTitle(gd) {
    var box = gd.closest('.panel, section, article');
    var title = box && box.querySelector('.panel-title, h2, h3');
    var text = title ? title.textContent : document.title;
    return text.replace(/[\\/:*?"<>|\s]+/g, '').slice(0, 60) || '领导驾驶舱图表';
  }
  function today() {
    var bj = new Date(Date.now() + 8 * 3600 * 1000);
    return bj.toISOString().slice(0, 10);
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('.modebar-btn');
    var gd = button && button.closest('.js-plotly-plot');
    if (!gd || !gd._context) { return; }
    var options = Object.assign({}, gd._context.toImageButtonOptions || {});
    options.filename = panelTitle(gd) + '_' + today();
    gd._context.toImageButtonOptions = options;
  }, true);
})();
