// The console's frame: account and region pickers, the hash router, live refresh, the
// alarms view, and helpers the other views share. No dependencies, no build step.
"use strict";

const Console = (() => {
  const views = {};
  const params = new URLSearchParams(location.search);
  const here = { account: params.get("account"), region: params.get("region"), now: Date.now() / 1000 };
  let timer = null;
  let generation = 0;
  let shownHtml = "";

  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const time = (secs) => (secs == null ? "" : new Date(secs * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"));
  const badge = (state) => `<span class="badge s-${esc(state)}">${esc(state)}</span>`;

  function query(extra) {
    const q = new URLSearchParams({ account: here.account || "", region: here.region || "", ...(extra || {}) });
    return q.toString();
  }

  async function api(endpoint, extra, body) {
    const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } };
    const r = await fetch(`api/${endpoint}?${query(extra)}`, init);
    const v = await r.json();
    if (!r.ok) throw new Error(`${v.error || r.status}: ${v.message || ""}`);
    return v;
  }

  async function loadPartitions() {
    const p = await api("partitions");
    here.now = p.now;
    here.account = here.account || p.default.account;
    here.region = here.region || p.default.region;
    const accounts = Object.keys(p.accounts);
    if (!accounts.includes(here.account)) accounts.push(here.account);
    const regions = new Set(p.accounts[here.account] || []);
    regions.add(here.region);
    fill(document.getElementById("account"), accounts, here.account);
    fill(document.getElementById("region"), [...regions].sort(), here.region);
  }

  function fill(select, values, chosen) {
    const want = values.join("\n");
    if (select.dataset.values !== want) {
      select.innerHTML = values.map((v) => `<option>${esc(v)}</option>`).join("");
      select.dataset.values = want;
    }
    select.value = chosen;
  }

  function choose(key, value) {
    here[key] = value;
    const q = new URLSearchParams(location.search);
    q.set(key, value);
    history.replaceState(null, "", `${location.pathname}?${q}${location.hash}`);
    refresh();
  }

  function route() {
    const hash = location.hash.replace(/^#\/?/, "") || "network";
    const [name, ...rest] = hash.split("/");
    return { name: views[name] ? name : "network", arg: decodeURIComponent(rest.join("/")) };
  }

  async function refresh() {
    const mine = ++generation;
    const { name, arg } = route();
    document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("active", a.dataset.view === name));
    const status = document.getElementById("status");
    try {
      await loadPartitions();
      const html = await views[name](arg);
      if (mine !== generation) return;
      const view = document.getElementById("view");
      // Unchanged markup is left alone, so open <details>, selections and scrolling
      // survive the refresh; the views' own drawing (charts, lines) is redone below.
      if (shownHtml !== html) {
        view.innerHTML = html;
        shownHtml = html;
      }
      if (views[name].after) views[name].after(view);
      status.textContent = "live";
      status.classList.remove("stale");
    } catch (e) {
      if (mine !== generation) return;
      status.textContent = "offline";
      status.classList.add("stale");
      status.title = String(e);
      const view = document.getElementById("view");
      if (!view.dataset.shown) {
        view.innerHTML = `<p class="error">${esc(e)}</p>`;
        shownHtml = "";
      }
      return;
    }
    document.getElementById("view").dataset.shown = "1";
  }

  function start() {
    document.getElementById("account").addEventListener("change", (e) => choose("account", e.target.value));
    document.getElementById("region").addEventListener("change", (e) => choose("region", e.target.value));
    window.addEventListener("hashchange", () => {
      const view = document.getElementById("view");
      view.dataset.shown = "";
      shownHtml = "";
      refresh();
    });
    const tick = async () => { await refresh(); timer = setTimeout(tick, 2000); };
    clearTimeout(timer);
    tick();
  }

  return { views, here, api, esc, time, badge, start, refresh };
})();

Console.views.alarms = async () => {
  const { esc, time, badge } = Console;
  const { alarms } = await Console.api("alarms");
  if (!alarms.length) return `<h2>Alarms</h2><p class="empty">No alarms in ${esc(Console.here.account)} / ${esc(Console.here.region)}.</p>`;
  const counts = {};
  alarms.forEach((a) => { counts[a.state] = (counts[a.state] || 0) + 1; });
  const summary = Object.entries(counts).map(([s, n]) => `${badge(s)} ${n}`).join(" &nbsp; ");
  const cards = alarms.map((a) => {
    const what = a.type === "CompositeAlarm"
      ? `<code>${esc(a.rule)}</code>`
      : `${esc(a.namespace)} <b>${esc(a.metric)}</b> ${Object.entries(a.dimensions || {}).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(", ")}
         · ${esc(a.statistic)} over ${esc(a.period)} s · ${esc(a.comparison)} ${esc(a.threshold)} for ${esc(a.evaluationPeriods)} period(s)`;
    const rows = (a.history || []).map((h) => `<tr><td class="mono">${esc(time(h.at))}</td><td>${esc(h.type)}</td><td>${esc(h.summary)}</td></tr>`).join("");
    return `<section class="card alarm" data-alarm="${esc(a.name)}">
      <h3>${badge(a.state)} <span class="alarm-name">${esc(a.name)}</span> <span class="muted">${esc(a.type)}</span></h3>
      <div>${what}</div>
      <div class="muted">${esc(a.reason)} <span class="mono">(${esc(time(a.updated))})</span></div>
      <details ${rows ? "open" : ""}><summary>State history (${(a.history || []).length})</summary>
        <table><tr><th>Time</th><th>Type</th><th>Summary</th></tr>${rows}</table></details>
    </section>`;
  }).join("");
  return `<h2>Alarms</h2><p>${summary}</p>${cards}`;
};
