// journeybot console: the manager pages' charts. Every chart is a container
//   <div class="chart" data-chart="bar|sankey|graph" data-source="ID" role="img" aria-label="...">
// whose data is the JSON of <script type="application/json" id="ID"> (data, never run: the CSP allows it). The page
// holds the same figures in a table, for people who do not see the chart. Nothing here builds HTML from data:
// labels reach the chart only as text.
(function () {
  'use strict';

  function read(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  var palette = ['#0b5cad', '#c2410c', '#15803d', '#7c3aed', '#b45309', '#0e7490'];

  function bar(d) {
    var cat = { type: 'category', data: d.categories || [], axisLabel: { interval: 'auto', hideOverlap: true } };
    var val = { type: 'value', minInterval: 1 };
    return {
      color: palette,
      animation: false,
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0 },
      grid: { left: d.horizontal ? 140 : 48, right: 24, top: 36, bottom: 36 },
      xAxis: d.horizontal ? val : cat,
      yAxis: d.horizontal ? cat : val,
      series: (d.series || []).map(function (s) {
        return { name: s.name, type: d.kind === 'line' ? 'line' : 'bar', data: s.data };
      })
    };
  }

  function sankey(d) {
    var labels = {};
    (d.nodes || []).forEach(function (n) { labels[n.name] = n.label; });
    return {
      animation: false,
      tooltip: { trigger: 'item', renderMode: 'richText' },
      series: [{
        type: 'sankey',
        left: 16, right: 120, top: 16, bottom: 16,
        nodeAlign: 'left',
        emphasis: { focus: 'adjacency' },
        data: (d.nodes || []).map(function (n) { return { name: n.name }; }),
        links: (d.links || []).map(function (l) {
          return { source: l.source, target: l.target, value: l.value,
            lineStyle: { color: l.desired ? '#0b5cad' : '#c2410c', opacity: 0.35 } };
        }),
        label: { formatter: function (p) { return labels[p.name] || p.name; } }
      }]
    };
  }

  function graph(d) {
    var max = 1;
    (d.nodes || []).forEach(function (n) { if (n.value > max) max = n.value; });
    var maxL = 1;
    (d.links || []).forEach(function (l) { if (l.value > maxL) maxL = l.value; });
    return {
      animation: false,
      tooltip: { renderMode: 'richText' },
      series: [{
        type: 'graph',
        layout: 'circular',
        circular: { rotateLabel: false },
        roam: true,
        label: { show: true, position: 'right' },
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 8,
        data: (d.nodes || []).map(function (n) {
          return { name: n.name, value: n.value, symbolSize: 10 + 30 * Math.sqrt(n.value / max), itemStyle: { color: '#0b5cad' } };
        }),
        links: (d.links || []).map(function (l) {
          return { source: l.source, target: l.target, value: l.value,
            lineStyle: { width: 1 + 5 * l.value / maxL, curveness: 0.2, opacity: 0.6 } };
        })
      }]
    };
  }

  var builders = { bar: bar, line: bar, sankey: sankey, graph: graph };

  function draw(el) {
    var kind = el.getAttribute('data-chart');
    var data = read(el.getAttribute('data-source'));
    var build = builders[kind];
    if (!build || !data || !window.echarts) return;
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(build(data));
    if (window.ResizeObserver) new ResizeObserver(function () { chart.resize(); }).observe(el);
    el.setAttribute('data-drawn', 'true');
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.chart[data-chart]').forEach(draw);
  });
})();
