/* wsherd report client: draws the time charts from the data embedded in the page (no network).
 * Every chart shares the x axis (seconds since start): the cursor is synced through uPlot's cursor.sync key,
 * and a zoom (drag) on one chart applies to all of them. Double-click resets the zoom. */
/* global document, window, uPlot */
(function () {
  'use strict';

  var node = document.getElementById('wsherd-data');
  if (!node || typeof uPlot === 'undefined') return;
  var data = JSON.parse(node.textContent || '{}');
  var c = data.chart;
  if (!c || !c.t || c.t.length === 0) return;

  var SYNC = 'wsherd';
  var HEIGHT = 260;
  var PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
  /* charts: the time charts (one synced x axis); drawn: every chart, in the order drawn (the marker, resizes). */
  var charts = [];
  var drawn = [];
  var syncing = false;

  function clock(s) {
    if (s == null) return '–';
    var total = Math.max(0, Math.round(s));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var sec = String(total % 60).padStart(2, '0');
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + sec : m + ':' + sec;
  }
  function num(v, digits) {
    if (v == null || !isFinite(v)) return '–';
    var d = digits == null ? (v % 1 === 0 ? 0 : Math.abs(v) < 10 ? 2 : 1) : digits;
    return v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
  }
  function ms(v) {
    if (v == null || !isFinite(v)) return '–';
    return (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ms';
  }
  function line(label, color, scale, fmt, extra) {
    var s = { label: label, stroke: color, width: 2, scale: scale, points: { show: false }, value: function (u, v) { return fmt(v); } };
    if (extra) for (var k in extra) s[k] = extra[k];
    return s;
  }
  function xAxis() {
    return { stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' }, values: function (u, splits) { return splits.map(clock); } };
  }
  function yAxis(scale, label, side, fmt) {
    return {
      scale: scale, label: label, side: side, size: 64, stroke: '#667085',
      grid: side === 1 ? { show: false } : { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' },
      values: function (u, splits) { return splits.map(fmt); },
    };
  }
  function zoomHook(u, key) {
    if (key !== 'x' || syncing) return;
    syncing = true;
    var min = u.scales.x.min;
    var max = u.scales.x.max;
    charts.forEach(function (o) { if (o !== u) o.setScale('x', { min: min, max: max }); });
    syncing = false;
  }
  /* Reference lines drawn over a chart: {y, scale} horizontal (a limit, a predicted cliff) or {x} vertical (a second),
   * each with a color, a label and dash when predicted. Drawn in uPlot's draw hook, so they follow zoom and resize. */
  function markHook(marks) {
    return function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1);
      ctx.font = (11 * (window.devicePixelRatio || 1)) + 'px sans-serif';
      marks.forEach(function (m) {
        ctx.strokeStyle = m.color;
        ctx.fillStyle = m.color;
        ctx.setLineDash(m.dash ? [6, 4] : []);
        ctx.beginPath();
        if (m.y != null) {
          var y = u.valToPos(m.y, m.scale, true);
          if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
          ctx.fillText(m.label, u.bbox.left + 4, y - 4);
        } else {
          var x = u.valToPos(m.x, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillText(m.label, x + 4, u.bbox.top + 12);
        }
      });
      ctx.restore();
    };
  }
  /* x: the chart's own x column (the probes sample on their own seconds); default the run's series seconds. */
  function draw(id, series, columns, axes, x, marks) {
    var el = document.getElementById('chart-' + id);
    if (!el) return;
    var opts = {
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      cursor: { sync: { key: SYNC }, drag: { x: true, y: false } },
      scales: { x: { time: false } },
      legend: { live: true },
      series: [{ label: 'time', value: function (u, v) { return clock(v); } }].concat(series),
      axes: axes,
      hooks: marks && marks.length > 0 ? { setScale: [zoomHook], draw: [markHook(marks)] } : { setScale: [zoomHook] },
    };
    var u = new uPlot(opts, [x || c.t].concat(columns), el);
    u.wsherdEl = el;
    el.uplot = u; // for scripts and tests that read a chart's scales or legend in the page
    el.addEventListener('dblclick', function () {
      charts.forEach(function (o) { o.setScale('x', { min: c.t[0], max: c.t[c.t.length - 1] }); });
    });
    charts.push(u);
    drawn.push(u);
  }
  function tint(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }
  function sumCols(a, b) { return a.map(function (v, i) { return v + (b[i] || 0); }); }
  function hasValues(col) { return col.some(function (v) { return v != null && v !== 0; }); }
  function count(v) { return num(v, 0); }
  function rate(v) { return v == null ? '–' : num(v, v % 1 === 0 ? 0 : 1) + '/s'; }

  /* x as percentile: 1/(1 − p) → "99.9%" (one more digit per decade). */
  function nines(x) {
    if (x == null || !(x >= 1)) return '–';
    var digits = Math.max(0, Math.ceil(Math.log10(x) - 1e-9) - 1);
    return num(100 * (1 - 1 / x), digits) + '%';
  }
  /* The percentile curves: their own x (not time), so neither synced with the time charts nor zoomed with them. */
  function drawPercentiles(pc) {
    var el = document.getElementById('chart-percentiles');
    if (!el || !pc || !pc.x || pc.x.length === 0) return;
    var COLORS = { connect: PALETTE[4], handshake: PALETTE[1], rtt: PALETTE[0], upgrade: PALETTE[3], ack: PALETTE[5], lookup: PALETTE[6] };
    var u = new uPlot({
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false, distr: 3, log: 10 } },
      legend: { live: true },
      series: [{ label: 'percentile', value: function (u, v) { return nines(v); } }].concat(pc.names.map(function (name, i) {
        return line(name, COLORS[name] || PALETTE[i % PALETTE.length], 'ms', ms, { spanGaps: false });
      })),
      axes: [{
        stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' },
        // One tick per decade: 0%, 90%, 99%, 99.9%…
        splits: function (u, ai, min, max) {
          var out = [];
          for (var x = 1; x <= max * 1.0001; x *= 10) if (x >= min * 0.9999) out.push(x);
          return out;
        },
        values: function (u, splits) { return splits.map(nines); },
      }, yAxis('ms', 'ms', 3, function (v) { return num(v); })],
    }, [pc.x].concat(pc.ms), el);
    u.wsherdEl = el;
    el.uplot = u; // for scripts and tests that read a chart's scales or legend in the page
    drawn.push(u);
  }

  var cliff = data.results && data.results.analysis && data.results.analysis.cliff;
  var cliffMarks = [];
  if (cliff && cliff.prediction && cliff.prediction.resource !== 'ports') {
    cliffMarks.push({ y: cliff.prediction.at, scale: 'open', color: '#9333ea', dash: true, label: 'predicted cliff ' + num(cliff.prediction.at, 0) + ' (' + cliff.prediction.component + ' ' + cliff.prediction.resource + ')' });
  }
  if (cliff && cliff.measured != null) cliffMarks.push({ y: cliff.measured, scale: 'open', color: '#dc2626', label: 'measured cliff ' + num(cliff.measured, 0) });
  if (cliff && cliff.atSecond != null) cliffMarks.push({ x: cliff.atSecond, color: '#dc2626', label: 'first failure' });
  (data.results.faults || []).forEach(function (f) {
    if (f.ok && f.appliedAt != null) cliffMarks.push({ x: f.appliedAt, color: '#ea580c', dash: true, label: f.action + ' ' + (f.backend || '') });
  });
  draw('connections', [
    line('open', PALETTE[0], 'open', count, { fill: 'rgba(37,99,235,0.08)' }),
    line('new/s', PALETTE[1], 'rate', rate),
    line('failures/s', PALETTE[2], 'rate', rate),
  ], [c.open, c.opened, sumCols(c.failed, c.dropped)], [
    xAxis(), yAxis('open', 'open connections', 3, count), yAxis('rate', 'per second', 1, count),
  ], undefined, cliffMarks);

  if (c.messagesSent && (hasValues(c.messagesSent) || hasValues(c.messagesReceived))) {
    // Sent is drawn wide under received: where they agree (no loss) both stay visible.
    draw('messages', [
      line('sent/s', '#93c5fd', 'rate', rate, { width: 5 }),
      line('received/s', PALETTE[0], 'rate', rate, { width: 1.5 }),
    ], [c.messagesSent, c.messagesReceived], [xAxis(), yAxis('rate', 'messages per second', 3, count)]);
  }

  var lat = [['rtt p50', c.rttP50, PALETTE[0]], ['rtt p99', c.rttP99, PALETTE[3]], ['connect p99', c.connectP99, PALETTE[4]]]
    .filter(function (x) { return hasValues(x[1]); });
  if (lat.length > 0) {
    draw('latency', lat.map(function (x) { return line(x[0], x[2], 'ms', ms, { spanGaps: false }); }),
      lat.map(function (x) { return x[1]; }), [xAxis(), yAxis('ms', 'ms', 3, function (v) { return num(v); })]);
  }

  drawPercentiles(data.percentiles);

  if (c.backendIds.length > 0) {
    draw('backends', c.backendIds.map(function (id, i) { return line(id, PALETTE[i % PALETTE.length], 'open', count); }),
      c.backendsOpen, [xAxis(), yAxis('open', 'open connections', 3, count)]);
  }

  if (c.peakToAverage && hasValues(c.peakToAverage)) {
    draw('skew', [
      line('busiest / average', PALETTE[2], 'ratio', function (v) { return num(v, 2); }, { spanGaps: false }),
      line('Jain fairness', PALETTE[1], 'jain', function (v) { return num(v, 3); }, { spanGaps: false }),
    ], [c.peakToAverage, c.jain], [xAxis(), yAxis('ratio', 'busiest / average', 3, function (v) { return num(v, 3); }), yAxis('jain', 'Jain (1 = even)', 1, function (v) { return num(v, 2); })]);
  }

  if (c.errorCodes && c.errorsByCode.some(hasValues)) {
    // Stacked: line i is the sum of codes i…last, so the most frequent code's line is the top edge (the total);
    // the legend shows each code's own count.
    var acc = c.t.map(function () { return 0; });
    var stacked = [];
    for (var i = c.errorCodes.length - 1; i >= 0; i--) {
      acc = sumCols(c.errorsByCode[i], acc).map(function (v) { return Math.round(v * 1000) / 1000; });
      stacked[i] = acc;
    }
    var ERRORS = ['#dc2626', '#ea580c', '#ca8a04', '#9333ea', '#db2777', '#0891b2'];
    draw('errors', c.errorCodes.map(function (code, k) {
      var color = code === 'other' && k === c.errorCodes.length - 1 ? '#4b5563' : ERRORS[k % ERRORS.length];
      return line(code, color, 'rate', rate, {
        fill: tint(color, 0.25),
        // Each point counts one whole second (or step): a step, not a slope between seconds.
        paths: uPlot.paths.stepped({ align: 1 }),
        value: function (u, v, si, di) { return di == null ? '–' : rate(c.errorsByCode[si - 1][di]); },
      });
    }), stacked, [xAxis(), yAxis('rate', 'errors per second', 3, count)], undefined,
    cliffMarks.filter(function (m) { return m.x != null; }));
  }

  draw('generator', [
    line('event-loop lag max', PALETTE[4], 'ms', ms),
    line('open fds', PALETTE[5], 'fds', count),
  ], [c.lagMaxMs, c.fds], [xAxis(), yAxis('ms', 'lag (ms)', 3, function (v) { return num(v); }), yAxis('fds', 'fds', 1, count)]);

  var p = data.probes;
  if (p && p.t && p.t.length > 0) {
    var limitMarks = [];
    p.ids.forEach(function (id, i) {
      var peak = Math.max.apply(null, (p.fds[i] || []).map(function (v) { return v || 0; }));
      // A component's limit is drawn only when it came close: a 20,000 line would flatten every other curve.
      if (p.limits[i] > 0 && peak >= p.limits[i] * 0.5) limitMarks.push({ y: p.limits[i], scale: 'fds', color: PALETTE[i % PALETTE.length], dash: true, label: id + ' fd limit ' + num(p.limits[i], 0) });
    });
    if (p.ids.length > 0) {
      draw('fds', p.ids.map(function (id, i) { return line(id + ' fds', PALETTE[i % PALETTE.length], 'fds', count, { spanGaps: false }); }),
        p.fds, [xAxis(), yAxis('fds', 'open fds', 3, count)], p.t, limitMarks);
    }
    if (hasValues(p.established) || hasValues(p.timeWait)) {
      draw('ports', [
        line('ESTABLISHED', PALETTE[0], 'sockets', count),
        line('TIME_WAIT', PALETTE[2], 'sockets', count),
      ], [p.established, p.timeWait], [xAxis(), yAxis('sockets', 'sockets', 3, count)], p.t);
      var pairs = p.pairs || [];
      if (pairs.length > 0) {
        var pm = [{ y: p.portsPerSource, scale: 'sockets', color: '#dc2626', label: 'port range ' + num(p.portsPerSource, 0) }];
        var pk = cliff && cliff.ports;
        if (pk && pk.predictedSecond != null) pm.push({ x: pk.predictedSecond, color: '#9333ea', dash: true, label: 'predicted' });
        if (pk && cliff.atSecond != null) pm.push({ x: cliff.atSecond, color: '#dc2626', label: 'first failure' });
        var ps = [];
        var pcols = [];
        pairs.forEach(function (q, i) {
          ps.push(line(q.label, PALETTE[i % PALETTE.length], 'sockets', count));
          pcols.push(q.held);
          ps.push(line('TIME_WAIT ' + q.label, PALETTE[i % PALETTE.length], 'sockets', count, { dash: [4, 4], width: 1 }));
          pcols.push(q.timeWait);
        });
        draw('pairs', ps, pcols, [xAxis(), yAxis('sockets', 'ports held', 3, count)], p.t, pm);
      }
    }
  }

  // A marker that every chart was built (headless-browser tests and scripts wait for it): the ids drawn, in order.
  document.body.setAttribute('data-rendered', drawn.map(function (u) { return u.wsherdEl.getAttribute('data-chart'); }).join(' '));

  var pending = 0;
  window.addEventListener('resize', function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (u) { u.setSize({ width: Math.max(300, u.wsherdEl.clientWidth), height: HEIGHT }); });
    }, 100);
  });
})();
