// The Resources view: each VPC drawn as the VPC console's resource map draws it, with
// subnets (and their instances), route tables, gateways and security groups in
// columns, and lines from each subnet to its route table and from each route table to
// the gateways its routes go to.
"use strict";

Console.views.network = async () => {
  const { esc, time, badge } = Console;
  const net = await Console.api("network");
  if (!net.vpcs.length) {
    return `<h2>Resources</h2><p class="empty">No VPCs in ${esc(net.account)} / ${esc(net.region)}.</p>`;
  }
  const title = (r) => (r.name ? `<div class="name">${esc(r.name)}</div>` : "");
  const history = (h) => h.map((e) => `<span title="${e.dated === "launch" ? "launched" : "first seen in this state by the console"}">${badge(e.state)} <span class="mono muted">${esc(time(e.at))}</span></span>`).join(" → ");

  const instance = (i) => `<div class="node instance" data-id="${esc(i.id)}">
      ${title(i)}<div><span class="id instance-id">${esc(i.id)}</span> ${badge(i.state)}</div>
      <div class="muted">${esc(i.type)} · ${esc(i.privateIp || "")}${i.publicIp ? ` · ${esc(i.publicIp)}` : ""}</div>
      <div class="muted mono">${i.securityGroups.map(esc).join(" ")}</div>
      ${i.reason ? `<div class="muted">${esc(i.reason)}</div>` : ""}
      <div class="history" title="state history">${history(i.history)}</div>
    </div>`;

  const vpc = (v) => {
    const subnets = v.subnets.map((s) => `<div class="node subnet ${s.public ? "public" : "private"}" data-id="${esc(s.id)}" data-link="${esc(s.routeTable || "")}">
        ${title(s)}<div class="id subnet-id">${esc(s.id)}</div>
        <div class="muted">${esc(s.cidr)} · ${esc(s.az)} · ${s.public ? "public" : "private"}</div>
        ${v.instances.filter((i) => i.subnetId === s.id).map(instance).join("")}
      </div>`).join("");
    const tables = v.routeTables.map((t) => {
      const targets = [...new Set(t.routes.map((r) => r.target).filter((x) => x && x !== "local"))];
      return `<div class="node rtb" data-id="${esc(t.id)}" data-link="${esc(targets.join(" "))}">
        ${title(t)}<div class="id">${esc(t.id)}${t.main ? ' <span class="badge">main</span>' : ""}</div>
        <ul>${t.routes.map((r) => `<li class="mono">${esc(r.destination)} → ${esc(r.target)}${r.state === "blackhole" ? " " + badge("blackhole") : ""}</li>`).join("")}</ul>
      </div>`;
    }).join("");
    const gateways = v.internetGateways.map((g) => `<div class="node igw" data-id="${esc(g.id)}">${title(g)}<div class="id">${esc(g.id)}</div><div class="muted">Internet gateway</div></div>`).join("")
      + v.natGateways.map((n) => `<div class="node nat" data-id="${esc(n.id)}" data-link="${esc(n.subnetId)}">${title(n)}<div class="id">${esc(n.id)}</div>
          <div class="muted">NAT gateway (${esc(n.connectivity || "public")}) ${badge(n.state)} in ${esc(n.subnetId)}${n.publicIp ? ` · ${esc(n.publicIp)}` : ""}</div></div>`).join("");
    const groups = v.securityGroups.map((g) => `<div class="node sg" data-id="${esc(g.id)}">
        <div class="name">${esc(g.name)}</div><div class="id">${esc(g.id)}</div>
        <div class="muted">${esc(g.description)}</div>
        <ul>${g.inbound.map((r) => `<li class="mono">in ${esc(r)}</li>`).join("")}${g.outbound.map((r) => `<li class="mono">out ${esc(r)}</li>`).join("")}</ul>
      </div>`).join("");
    const col = (name, body) => `<div class="col"><h4>${name}</h4>${body || '<p class="empty">none</p>'}</div>`;
    return `<section class="card vpc" data-vpc="${esc(v.id)}">
      <h3>${v.name ? esc(v.name) + " · " : ""}<span class="vpc-id mono">${esc(v.id)}</span> <span class="muted">${esc(v.cidr)}</span> ${badge(v.state)}${v.isDefault ? ' <span class="badge">default</span>' : ""}</h3>
      <div class="map">${col(`Subnets (${v.subnets.length})`, subnets)}${col(`Route tables (${v.routeTables.length})`, tables)}${col("Network connections", gateways)}${col(`Security groups (${v.securityGroups.length})`, groups)}<svg class="links"></svg></div>
    </section>`;
  };
  return `<h2>Resources <span class="muted">${esc(net.account)} / ${esc(net.region)}</span></h2>${net.vpcs.map(vpc).join("")}`;
};

// Draws the map's lines once laid out: from a node to each node its data-link names.
Console.views.network.after = (view) => {
  view.querySelectorAll(".map").forEach((map) => {
    const svg = map.querySelector("svg.links");
    const box = map.getBoundingClientRect();
    const byId = {};
    map.querySelectorAll(".node[data-id]").forEach((n) => { byId[n.dataset.id] = n; });
    const paths = [];
    map.querySelectorAll(".node[data-link]").forEach((from) => {
      for (const id of from.dataset.link.split(" ").filter(Boolean)) {
        const to = byId[id];
        if (!to) continue;
        const a = from.getBoundingClientRect();
        const b = to.getBoundingClientRect();
        const leftToRight = a.left < b.left;
        const x1 = (leftToRight ? a.right : a.left) - box.left;
        const x2 = (leftToRight ? b.left : b.right) - box.left;
        const y1 = a.top + Math.min(a.height / 2, 18) - box.top;
        const y2 = b.top + Math.min(b.height / 2, 18) - box.top;
        const mid = (x1 + x2) / 2;
        paths.push(`<path d="M${x1.toFixed(1)},${y1.toFixed(1)} C${mid.toFixed(1)},${y1.toFixed(1)} ${mid.toFixed(1)},${y2.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}"/>`);
      }
    });
    svg.innerHTML = paths.join("");
  });
};
