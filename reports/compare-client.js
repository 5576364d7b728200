/* wsherd compare page client: draws the small multiples from the data embedded in the page (no network).
 * Every small chart of one kind has the same x and y range, so approaches compare by shape, not by axis labels;
 * the cursor is synced across all of them (one time axis: seconds since each run's start). */
/* global document, window, uPlot */
(function () {
  'use strict';

  var node = document.getElementById('wsherd-compare-data');
  if (!node || typeof uPlot === 'undefined') return;
  var data = JSON.parse(node.textContent || '{}');
  if (!data.approaches || !data.scales) return;

  var HEIGHT = 180;
  var drawn = [];

  function clock(s) {
    if (s == null) return '–';
    var total = Math.max(0, Math.round(s));
    var m = Math.floor(total / 60);
    return m + ':' + String(total % 60).padStart(2, '0');
  }
  function num(v, digits) {
    if (v == null || !isFinite(v)) return '–';
    return v.toLocaleString('en-US', { maximumFractionDigits: digits == null ? 1 : digits });
  }
  function axis(scale, fmt) {
    return { scale: scale, size: 52, stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' }, values: function (u, s) { return s.map(fmt); } };
  }
  /* A fixed range: the same for every approach (uPlot would otherwise fit each chart to its own data). */
  function fixed(max) {
    return function () { return [0, max > 0 ? max : 1]; };
  }

  function small(id, label, color, scale, max, fmt, x, y) {
    var el = document.getElementById('chart-' + id);
    if (!el) return;
    var scales = { x: { time: false, range: fixed(data.scales.xMax) } };
    scales[scale] = { range: fixed(max) };
    var u = new uPlot({
      width: Math.max(260, el.clientWidth),
      height: HEIGHT,
      cursor: { sync: { key: 'wsherd-compare' }, drag: { x: true, y: false } },
      scales: scales,
      legend: { live: true },
      series: [
        { label: 'time', value: function (u, v) { return clock(v); } },
        { label: label, stroke: color, width: 2, scale: scale, spanGaps: false, points: { show: false }, fill: color + '14', value: function (u, v) { return fmt(v); } },
      ],
      axes: [{ stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' }, values: function (u, s) { return s.map(clock); } }, axis(scale, fmt)],
    }, [x, y], el);
    u.wsherdEl = el;
    el.uplot = u; // for scripts and tests that read a chart's scales or legend in the page
    drawn.push(u);
  }

  data.approaches.forEach(function (a) {
    small('open-' + (a.index + 1), 'open', '#2563eb', 'open', data.scales.openMax, function (v) { return num(v, 0); }, a.t, a.open);
  });
  if (data.scales.rttMax != null) {
    data.approaches.forEach(function (a) {
      small('rtt-' + (a.index + 1), 'rtt p99 (ms)', '#9333ea', 'ms', data.scales.rttMax, function (v) { return num(v, 2); }, a.t, a.rttP99);
    });
  }

  // The marker headless-browser tests wait for: the ids drawn, in order.
  document.body.setAttribute('data-rendered', drawn.map(function (u) { return u.wsherdEl.getAttribute('data-chart'); }).join(' '));

  var pending = 0;
  window.addEventListener('resize', function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (u) { u.setSize({ width: Math.max(260, u.wsherdEl.clientWidth), height: HEIGHT }); });
    }, 100);
  });
})();
