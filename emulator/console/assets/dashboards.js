// The Dashboards view: a CloudWatch dashboard drawn from the JSON PutDashboard stored,
// on the same 24-column grid: metric widgets (line, stacked area, number, gauge; data
// from GetMetricData in nimbus), text widgets (a Markdown subset) and alarm-status
// widgets. Charts are SVG drawn here.
"use strict";

const Dashboards = (() => {
  const { esc } = Console;
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const STATE_COLOUR = { OK: "#1d8102", ALARM: "#d13212", INSUFFICIENT_DATA: "#8d99a8" };
  let drawn = [];

  // `-PT3H`, `-P1D`, `-PT15M` (relative to now) or an ISO 8601 time, in epoch seconds.
  function timeOf(s, now, fallback) {
    if (!s) return fallback;
    const abs = Date.parse(s);
    if (!Number.isNaN(abs) && /\d{4}-/.test(s)) return abs / 1000;
    const m = /^([+-]?)P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s);
    if (!m) return fallback;
    const n = (x) => Number(x || 0);
    const secs = n(m[2]) * 604800 + n(m[3]) * 86400 + n(m[4]) * 3600 + n(m[5]) * 60 + n(m[6]);
    return now + (m[1] === "-" ? -secs : secs);
  }

  // A metric widget's rows as MetricDataQueries ("..." and "." as CloudWatch reads them).
  function queries(props, period) {
    const out = [];
    let previous = [];
    (props.metrics || []).forEach((row, i) => {
      const opts = row.length && typeof row[row.length - 1] === "object" ? row[row.length - 1] : {};
      const strings = row.filter((x) => typeof x === "string");
      const q = { Id: opts.id || `m${i + 1}`, ReturnData: opts.visible !== false };
      if (opts.label) q.Label = opts.label;
      if (opts.expression) {
        q.Expression = opts.expression;
        if (opts.period) q.Period = opts.period;
      } else {
        // "..." stands for as many of the previous row's leading items as the items
        // after it leave room for; "." for the previous row's item at its position.
        const values = [];
        strings.forEach((s, j) => {
          if (s === "...") values.push(...previous.slice(values.length, Math.max(values.length, previous.length - (strings.length - j - 1))));
          else if (s === ".") values.push(previous[values.length] ?? "");
          else values.push(s);
        });
        previous = values;
        const dims = [];
        for (let k = 2; k + 1 < values.length; k += 2) dims.push({ Name: values[k], Value: values[k + 1] });
        q.MetricStat = {
          Metric: { Namespace: values[0], MetricName: values[1], Dimensions: dims },
          Period: opts.period || period,
          Stat: opts.stat || props.stat || "Average",
        };
      }
      out.push({ query: q, colour: opts.color });
    });
    return out;
  }

  async function metricData(w, body, now) {
    const p = w.properties || {};
    const start = timeOf(p.start || body.start, now, now - 3 * 3600);
    const end = timeOf(p.end || body.end, now, now);
    const range = Math.max(60, end - start);
    let period = p.period || [60, 300, 900, 3600, 21600, 86400].find((x) => range / x <= 300) || 86400;
    if (p.setPeriodToTimeRange && (p.view === "singleValue" || p.view === "gauge")) period = Math.max(60, Math.ceil(range / 60) * 60);
    const rows = queries(p, period);
    if (!rows.length) return { start, end, series: [] };
    const out = await Console.api("metric-data", p.region ? { region: p.region } : {}, {
      MetricDataQueries: rows.map((r) => r.query), StartTime: Math.floor(start), EndTime: Math.ceil(end), ScanBy: "TimestampAscending",
    });
    const series = (out.MetricDataResults || []).map((r, i) => {
      const row = rows.find((x) => x.query.Id === r.Id);
      const points = (r.Timestamps || []).map((t, k) => [t, r.Values[k]]).sort((a, b) => a[0] - b[0]);
      return { label: r.Label || r.Id, points, colour: (row && row.colour) || PALETTE[i % PALETTE.length] };
    });
    return { start, end, series };
  }

  const fmt = (v) => {
    if (v == null || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2).replace(/\.?0+$/, "") + "B";
    if (a >= 1e6) return (v / 1e6).toFixed(2).replace(/\.?0+$/, "") + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(2).replace(/\.?0+$/, "") + "K";
    return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/\.?0+$/, "");
  };

  function niceStep(range) {
    const raw = range / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  }

  // A time series chart: lines, or areas stacked in order.
  function chart(w, data, width, height) {
    const p = w.properties || {};
    const stacked = p.stacked === true;
    const L = 44, R = 8, T = 8, B = 22;
    const iw = Math.max(10, width - L - R), ih = Math.max(10, height - T - B);
    let series = data.series.map((s) => ({ ...s, points: s.points.filter(([, v]) => v != null && !Number.isNaN(v)) }));
    if (stacked) {
      const base = new Map();
      series = series.map((s) => {
        const pts = s.points.map(([t, v]) => { const b = base.get(t) || 0; base.set(t, b + v); return [t, b + v, b]; });
        return { ...s, points: pts };
      });
    }
    const all = series.flatMap((s) => s.points.map((x) => x[1]));
    const ann = ((p.annotations || {}).horizontal || []).filter((a) => typeof a.value === "number");
    all.push(...ann.map((a) => a.value));
    const axis = ((p.yAxis || {}).left) || {};
    let lo = axis.min ?? Math.min(0, ...all);
    let hi = axis.max ?? Math.max(lo + 1, ...all);
    const step = niceStep(hi - lo || 1);
    if (axis.max == null) hi = Math.ceil(hi / step) * step;
    if (axis.min == null) lo = Math.floor(lo / step) * step;
    const x = (t) => L + ((t - data.start) / Math.max(1, data.end - data.start)) * iw;
    const y = (v) => T + ih - ((v - lo) / Math.max(1e-12, hi - lo)) * ih;
    const parts = [`<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`];
    parts.push('<g class="grid axis">');
    for (let v = lo; v <= hi + step / 2; v += step) {
      parts.push(`<line x1="${L}" x2="${L + iw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${L - 4}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`);
    }
    const span = data.end - data.start;
    for (let k = 0; k <= 4; k++) {
      const t = data.start + (span * k) / 4;
      const d = new Date(t * 1000);
      const label = span > 2 * 86400 ? d.toISOString().slice(5, 10) : d.toISOString().slice(11, 16);
      parts.push(`<text x="${x(t).toFixed(1)}" y="${height - 6}" text-anchor="${k === 0 ? "start" : k === 4 ? "end" : "middle"}">${label}</text>`);
    }
    parts.push("</g>");
    for (const s of stacked ? [...series].reverse() : series) {
      if (!s.points.length) continue;
      const line = s.points.map(([t, v], k) => `${k ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      if (stacked) {
        const back = [...s.points].reverse().map(([t, , b]) => `L${x(t).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
        parts.push(`<path class="series-area" d="${line} ${back} Z" fill="${esc(s.colour)}" fill-opacity="0.45" stroke="${esc(s.colour)}" stroke-width="1.5"/>`);
      } else {
        parts.push(`<path class="series-line" d="${line}" fill="none" stroke="${esc(s.colour)}" stroke-width="2"/>`);
        if (s.points.length === 1) parts.push(`<circle cx="${x(s.points[0][0]).toFixed(1)}" cy="${y(s.points[0][1]).toFixed(1)}" r="3" fill="${esc(s.colour)}"/>`);
      }
    }
    for (const a of ann) {
      const c = a.color || "#d62728";
      parts.push(`<line x1="${L}" x2="${L + iw}" y1="${y(a.value).toFixed(1)}" y2="${y(a.value).toFixed(1)}" stroke="${esc(c)}" stroke-dasharray="4 3"/>`);
      if (a.label) parts.push(`<text x="${L + iw - 2}" y="${(y(a.value) - 3).toFixed(1)}" text-anchor="end" font-size="10" fill="${esc(c)}">${esc(a.label)}</text>`);
    }
    parts.push("</svg>");
    return parts.join("");
  }

  const latest = (s) => (s.points.length ? s.points[s.points.length - 1][1] : null);

  function single(data) {
    if (!data.series.length) return '<p class="empty">No metrics</p>';
    return `<div class="single">${data.series.map((s) => `<div><div class="label">${esc(s.label)}</div><div class="value" style="color:${esc(s.colour)}">${esc(fmt(latest(s)))}</div></div>`).join("")}</div>`;
  }

  function gauge(w, data, width, height) {
    const axis = ((w.properties || {}).yAxis || {}).left || {};
    const lo = axis.min ?? 0, hi = axis.max ?? 100;
    const s = data.series[0];
    const v = s ? latest(s) : null;
    const r = Math.max(10, Math.min(width / 2, height) - 16);
    const cx = width / 2, cy = height - 16;
    const at = (f) => [cx - r * Math.cos(Math.PI * f), cy - r * Math.sin(Math.PI * f)];
    const f = v == null ? 0 : Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)));
    const [x0, y0] = at(0), [x1, y1] = at(1), [xv, yv] = at(f);
    return `<svg class="chart gauge" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
      <path d="M${x0.toFixed(1)},${y0.toFixed(1)} A${r},${r} 0 0 1 ${x1.toFixed(1)},${y1.toFixed(1)}" fill="none" stroke="#eaeded" stroke-width="14"/>
      ${f > 0 ? `<path class="gauge-value" d="M${x0.toFixed(1)},${y0.toFixed(1)} A${r},${r} 0 0 1 ${xv.toFixed(1)},${yv.toFixed(1)}" fill="none" stroke="${esc(s.colour)}" stroke-width="14"/>` : ""}
      <text x="${cx}" y="${cy - 6}" text-anchor="middle" font-size="22">${esc(fmt(v))}</text>
      <text x="${x0}" y="${cy + 13}" font-size="10" fill="#5f6b7a" text-anchor="middle">${esc(fmt(lo))}</text>
      <text x="${x1}" y="${cy + 13}" font-size="10" fill="#5f6b7a" text-anchor="middle">${esc(fmt(hi))}</text>
      ${s ? `<text x="${cx}" y="14" text-anchor="middle" font-size="11" fill="#5f6b7a">${esc(s.label)}</text>` : ""}</svg>`;
  }

  // The Markdown CloudWatch text widgets use, in a subset: headings, paragraphs, lists,
  // **bold**, *italic*, `code`, [links](url), horizontal rules.
  function markdown(src) {
    const inline = (s) => esc(s)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
      .replace(/\*([^*]+)\*/g, "<i>$1</i>")
      .replace(/\[([^\]]+)\]\(((?:https?:\/\/|#|\/)[^)\s]*)\)/g, '<a href="$2">$1</a>');
    const out = [];
    let list = false;
    for (const line of String(src || "").split("\n")) {
      const h = /^(#{1,3})\s+(.*)$/.exec(line);
      const li = /^\s*[-*+]\s+(.*)$/.exec(line);
      if (!li && list) { out.push("</ul>"); list = false; }
      if (h) out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      else if (li) { if (!list) { out.push("<ul>"); list = true; } out.push(`<li>${inline(li[1])}</li>`); }
      else if (/^\s*(---+|\*\*\*+)\s*$/.test(line)) out.push("<hr>");
      else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
    }
    if (list) out.push("</ul>");
    return `<div class="markdown">${out.join("")}</div>`;
  }

  function alarmTiles(w, alarms) {
    const arns = (w.properties || {}).alarms || [];
    const tiles = arns.map((arn) => {
      const a = alarms.find((x) => x.arn === arn);
      const name = a ? a.name : arn.split(":alarm:").pop();
      const state = a ? a.state : "INSUFFICIENT_DATA";
      return `<div class="alarm-tile" data-state="${esc(state)}" style="background:${STATE_COLOUR[state] || "#8d99a8"}">${esc(name)}<br><small>${esc(state)}</small></div>`;
    });
    return `<div class="alarm-tiles">${tiles.join("") || '<p class="empty">No alarms</p>'}</div>`;
  }

  async function list() {
    const { dashboards } = await Console.api("dashboards");
    if (!dashboards.length) return `<h2>Dashboards</h2><p class="empty">No dashboards in ${esc(Console.here.account)}.</p>`;
    return `<h2>Dashboards</h2><table><tr><th>Name</th><th>Last modified</th><th>Size</th></tr>${dashboards.map((d) =>
      `<tr><td><a href="#/dashboards/${encodeURIComponent(d.name)}">${esc(d.name)}</a></td><td class="mono">${esc(Console.time(d.lastModified))}</td><td>${esc(d.size)}</td></tr>`).join("")}</table>`;
  }

  async function show(name) {
    const d = await Console.api("dashboard", { name });
    const body = d.body || {};
    const widgets = body.widgets || [];
    const now = Console.here.now;
    const needsAlarms = widgets.some((w) => w.type === "alarm");
    const alarms = needsAlarms ? (await Console.api("alarms")).alarms : [];
    drawn = await Promise.all(widgets.map(async (w) => {
      try {
        return { w, data: w.type === "metric" ? await metricData(w, body, now) : null };
      } catch (e) {
        return { w, error: String(e) };
      }
    }));
    const cells = drawn.map(({ w, error }, i) => {
      const p = w.properties || {};
      const place = w.x != null && w.y != null ? `grid-column:${w.x + 1} / span ${w.width || 6};grid-row:${w.y + 1} / span ${w.height || 6};`
        : `grid-column:span ${w.width || 6};grid-row:span ${w.height || 6};`;
      let inner = "";
      if (error) inner = `<p class="error">${esc(error)}</p>`;
      else if (w.type === "text") inner = markdown(p.markdown);
      else if (w.type === "alarm") inner = alarmTiles(w, alarms);
      else if (w.type !== "metric") inner = `<p class="empty">${esc(w.type)} widgets are not drawn here</p>`;
      const view = w.type === "metric" ? (p.view || "timeSeries") : w.type;
      const title = p.title ?? (w.type === "metric" ? "" : "");
      return `<div class="widget" data-type="${esc(w.type)}" data-view="${esc(view)}" data-index="${i}" style="${place}">
        ${title ? `<h3 class="widget-title">${esc(title)}</h3>` : ""}<div class="body">${inner}</div><div class="legend"></div></div>`;
    }).join("");
    return `<h2><a href="#/dashboards">Dashboards</a> / <span class="dashboard-name">${esc(d.name)}</span></h2><div class="dash">${cells}</div>`;
  }

  // Metric widgets are drawn once their cells have a size.
  function after(view) {
    view.querySelectorAll(".widget[data-type=metric]").forEach((cell) => {
      const { w, data, error } = drawn[Number(cell.dataset.index)] || {};
      if (!w || error || !data) return;
      const body = cell.querySelector(".body");
      const width = Math.max(120, Math.floor(body.clientWidth)), height = Math.max(60, Math.floor(body.clientHeight));
      const v = (w.properties || {}).view || "timeSeries";
      if (v === "singleValue") body.innerHTML = single(data);
      else if (v === "gauge") body.innerHTML = gauge(w, data, width, height);
      else body.innerHTML = chart(w, data, width, height);
      if (v === "timeSeries" || v === "bar") {
        cell.querySelector(".legend").innerHTML = data.series.map((s) => `<span><i style="background:${esc(s.colour)}"></i>${esc(s.label)}</span>`).join("");
      }
    });
  }

  return { list, show, after, markdown, timeOf, queries };
})();

Console.views.dashboards = (name) => (name ? Dashboards.show(name) : Dashboards.list());
Console.views.dashboards.after = (view) => Dashboards.after(view);
