// The two SVG diagrams: the lineage graph (parcels from the mines to the parcel shown) and the country
// route (stops joined by the crossings, each labelled with its KP certificate).
import { s, fmtCarats, hsText, hsWords, originWords } from "./util.js";

const STATUS_COLOUR = {
  confirmed: "#166534", delivered: "#8a4b00", issued: "#1d4ed8", expired: "#b42318", voided: "#b42318",
  disputed: "#b42318", missing: "#b42318",
};

export function statusColour(status) {
  return STATUS_COLOUR[status] || "#374151";
}

function arrowMarker(id, colour) {
  return s("marker", {
    id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse",
  }, s("path", { d: "M0 0L10 5L0 10z", fill: colour }));
}

const NODE_W = 184, NODE_PAD = 10; // a parcel's box, and the room its text keeps from either side

/** Layered lineage graph, roots (registrations at the mines) on top, the parcel shown highlighted; `fitLineage`
 * once it is shown. */
export function lineageSvg(lineage, currentId) {
  const nodes = [...lineage.nodes].sort((a, b) => a.id - b.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parents = new Map(nodes.map((n) => [n.id, []]));
  const children = new Map(nodes.map((n) => [n.id, []]));
  for (const e of lineage.edges) {
    if (!byId.has(e.from) || !byId.has(e.to)) continue;
    parents.get(e.to).push(e.from);
    children.get(e.from).push(e.to);
  }
  // ids only grow, so a parent always has a smaller id than its child: one pass in id order is topological
  const depth = new Map();
  for (const n of nodes) {
    const ps = parents.get(n.id);
    depth.set(n.id, ps.length ? Math.max(...ps.map((p) => depth.get(p))) + 1 : 0);
  }
  const descendants = new Set();
  const stack = [...(children.get(currentId) || [])];
  while (stack.length) {
    const id = stack.pop();
    if (!descendants.has(id)) {
      descendants.add(id);
      stack.push(...children.get(id));
    }
  }
  // layers; an edge spanning several layers gets a narrow waypoint in each layer it passes (so it is
  // routed beside the parcels of those layers rather than through them)
  const W = NODE_W, H = 106, GX = 24, GY = 64, PAD = 16, WAY = 16;
  const layers = [];
  const items = new Map(); // key -> {key, w, parents: [keys]}
  for (const n of nodes) {
    items.set(n.id, { key: n.id, w: W, parents: [] });
    (layers[depth.get(n.id)] ||= []).push(n.id);
  }
  const edges = [];
  for (const e of lineage.edges) {
    if (!byId.has(e.from) || !byId.has(e.to)) continue;
    const chain = [e.from];
    for (let d = depth.get(e.from) + 1; d < depth.get(e.to); d++) {
      const key = `w${e.from}-${e.to}-${d}`;
      items.set(key, { key, w: WAY, parents: [chain[chain.length - 1]] });
      layers[d].push(key);
      chain.push(key);
    }
    items.get(e.to).parents.push(chain[chain.length - 1]);
    chain.push(e.to);
    edges.push({ ...e, chain });
  }
  const rowWidth = (layer) => layer.reduce((sum, k) => sum + items.get(k).w, 0) + (layer.length - 1) * GX;
  const width = Math.max(...layers.map(rowWidth), W) + PAD * 2;
  const height = layers.length * H + (layers.length - 1) * GY + PAD * 2;
  const pos = new Map(); // key -> {x, y, w}
  layers.forEach((layer, d) => {
    // order a layer by the mean centre of its parents (fewer crossings), then by id
    const key = (k) => {
      const xs = items.get(k).parents.map((p) => pos.get(p)).filter(Boolean).map((q) => q.x + q.w / 2);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    };
    const order = (k) => (typeof k === "number" ? k : Number.parseInt(k.slice(1), 10));
    layer.sort((a, b) => key(a) - key(b) || order(a) - order(b));
    let x = (width - rowWidth(layer)) / 2;
    for (const k of layer) {
      const w = items.get(k).w;
      pos.set(k, { x, y: PAD + d * (H + GY), w });
      x += w + GX;
    }
  });

  const roots = new Set(lineage.roots);
  const svg = s("svg", {
    id: "lineage-svg", class: "graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "group",
    "aria-labelledby": "lineage-svg-title", "aria-describedby": "lineage-svg-desc",
  });
  svg.append(
    s("title", { id: "lineage-svg-title" }, `Lineage of parcel ${currentId}`),
    s("desc", { id: "lineage-svg-desc" },
      `${nodes.length} parcels. ` + lineage.edges.map((e) => `parcel ${e.from} ${e.kind} into parcel ${e.to}`)
        .join("; ") + `. Mines of origin: ${lineage.roots.map((r) => `parcel ${r}`).join(", ")}.`),
    s("defs", {}, arrowMarker("arrow-lineage", "#4b5563")),
  );
  const edgeLayer = s("g", { class: "edges", "aria-hidden": "true" });
  for (const e of edges) {
    // through every waypoint: vertical inside a layer's band, a smooth S-bend between layers
    const pts = e.chain.map((k) => pos.get(k));
    const cx = (q) => q.x + q.w / 2;
    let d = `M${cx(pts[0])} ${pts[0].y + H}`;
    for (let i = 1; i < pts.length; i++) {
      const x1 = cx(pts[i - 1]), y1 = pts[i - 1].y + H, x2 = cx(pts[i]), y2 = pts[i].y - (i === pts.length - 1 ? 2 : 0);
      const my = (y1 + y2) / 2;
      d += ` C${x1} ${my} ${x2} ${my} ${x2} ${y2}`;
      if (i < pts.length - 1) d += ` L${x2} ${pts[i].y + H}`;
    }
    edgeLayer.append(s("path", { d, class: `edge edge-${e.kind}`, "marker-end": "url(#arrow-lineage)" }));
    const a = pts[0], b = pts[1];
    const lx = cx(a) + (cx(b) - cx(a)) * 0.25, ly = a.y + H + GY * 0.42;
    edgeLayer.append(s("text", { x: lx + 6, y: ly, class: "edge-label" }, e.kind));
  }
  svg.append(edgeLayer);
  for (const n of nodes) {
    const { x, y } = pos.get(n.id);
    const current = n.id === currentId;
    const classes = ["node", current && "node-current", roots.has(n.id) && "node-root",
      descendants.has(n.id) && "node-descendant", n.status === "closed" && "node-closed"].filter(Boolean).join(" ");
    const holder = n.holder_name || `account ${n.holder.slice(0, 6)}…${n.holder.slice(-4)}`;
    const label = `Parcel ${n.id}${current ? " (this parcel)" : ""}${roots.has(n.id) ? ", registered at the mine" : ""}: ` +
      `${fmtCarats(n.carats)}, origin ${originWords(n.origins)}, HS ${hsWords(n.hs_code)}, ${n.status}, ` +
      `${n.status === "closed" ? "last held by" : "held by"} ${holder}`;
    const link = s("a", { href: `#/lot/${n.id}`, class: classes, "aria-label": label, "data-parcel": n.id },
      s("rect", { x, y, width: W, height: H, rx: 8 }),
      s("text", { x: x + NODE_PAD, y: y + 20, class: "node-title" },
        `Parcel ${n.id}`, roots.has(n.id) ? s("tspan", { class: "node-tag" }, " · mine") : null,
        current ? s("tspan", { class: "node-tag" }, " · this parcel") : null),
      s("text", { x: x + NODE_PAD, y: y + 40 }, fmtCarats(n.carats), n.status === "closed" ? " · closed" : ""),
      s("text", { x: x + NODE_PAD, y: y + 58 }, `origin ${originWords(n.origins)}`),
      s("text", { x: x + NODE_PAD, y: y + 76 }, `HS ${hsText(n.hs_code)}`),
      s("text", { x: x + NODE_PAD, y: y + 95, class: "node-holder" }, s("title", {}, `${holder} (${n.holder})`),
        holder));
    svg.append(link);
  }
  return svg;
}

/**
 * Shortens with an ellipsis each line of the lineage's boxes that is wider than its box, as measured in this browser
 * (fonts differ from one phone to another): call it once the graph is shown. A shortened line keeps its full text as
 * its tooltip; each box's accessible name has everything.
 */
export function fitLineage(svg) {
  for (const text of svg.querySelectorAll("a.node > text")) fitText(text, NODE_W - 2 * NODE_PAD);
}

function fitText(text, width) {
  if (text.getComputedTextLength() <= width) return;
  const leaves = []; // the text nodes drawn (a <title> is not), in order, with their full text
  const walk = (el) => {
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) leaves.push([node, node.data]);
      else if (node.nodeName !== "title") walk(node);
    }
  };
  walk(text);
  const full = leaves.map(([, data]) => data).join("");
  const keep = (count) => { // the first `count` characters, then "…"
    let left = count, last = null;
    for (const [node, data] of leaves) {
      node.data = data.slice(0, Math.max(0, left));
      left -= data.length;
      if (node.data) last = node;
    }
    if (last) last.data = `${last.data.trimEnd()}…`;
  };
  let lo = 0, hi = full.length - 1; // the most characters that fit, by bisection
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    keep(mid);
    if (text.getComputedTextLength() <= width) lo = mid;
    else hi = mid - 1;
  }
  keep(lo);
  if (!text.querySelector("title")) text.prepend(s("title", {}, full));
}

/**
 * The stops of the route: the mines' countries, then one stop per country reached by a crossing (a country
 * entered again after leaving it becomes a new stop, so the diagram stays a left-to-right flow).
 */
export function routeModel(provenance, certByKey) {
  const stops = [];
  const last = new Map();
  const stop = (code, layer) => {
    const st = { code, layer, index: stops.length };
    stops.push(st);
    last.set(code, st);
    return st;
  };
  const rootOrigins = provenance.lineage.nodes.filter((n) => provenance.lineage.roots.includes(n.id))
    .map((n) => n.origins[0]);
  for (const code of rootOrigins.length ? rootOrigins : provenance.country_path.slice(0, 1)) {
    if (code && !last.has(code)) stop(code, 0);
  }
  const legs = [];
  for (const c of provenance.crossings) {
    const from = last.get(c.from_country) || stop(c.from_country, 0);
    let to = last.get(c.to_country);
    if (!to || to.layer <= from.layer) to = stop(c.to_country, from.layer + 1);
    const cert = certByKey.get(c.certificate_key || "");
    legs.push({ from, to, crossing: c, cert });
  }
  return { stops, legs };
}

/** The route as an SVG; horizontal when it fits `maxWidth`, otherwise top to bottom (phones). */
export function routeSvg(model, countryNames, maxWidth) {
  const { stops, legs } = model;
  const layerCount = Math.max(1, ...stops.map((st) => st.layer + 1));
  const perLayer = [];
  for (const st of stops) (perLayer[st.layer] ||= []).push(st);
  const rows = Math.max(1, ...perLayer.map((l) => (l ? l.length : 0)));
  const R = 26, PAD = 20;
  const horizontalWidth = PAD * 2 + (layerCount - 1) * 220 + R * 2 + 60;
  const horizontal = horizontalWidth <= maxWidth;
  let width, height;
  const pos = new Map();
  if (horizontal) {
    const stepX = 220, stepY = 120;
    width = horizontalWidth;
    height = PAD * 2 + (rows - 1) * stepY + R * 2 + 34;
    perLayer.forEach((layer, d) => layer.forEach((st, i) => {
      const offset = (rows - layer.length) * stepY / 2;
      pos.set(st.index, { x: PAD + 30 + R + d * stepX, y: PAD + R + offset + i * stepY });
    }));
  } else {
    const stepX = 150, stepY = 180;
    width = Math.max(PAD * 2 + (rows - 1) * stepX + R * 2 + 180, 300);
    height = PAD * 2 + (layerCount - 1) * stepY + R * 2 + 30;
    perLayer.forEach((layer, d) => layer.forEach((st, i) => {
      pos.set(st.index, { x: PAD + R + 10 + i * stepX, y: PAD + R + d * stepY });
    }));
  }
  const svg = s("svg", {
    id: "route-svg", class: `graph route ${horizontal ? "route-h" : "route-v"}`, viewBox: `0 0 ${width} ${height}`,
    width, height, role: "img", "aria-labelledby": "route-svg-title route-svg-desc",
  });
  const describe = legs.map((l) => `${l.from.code} to ${l.to.code} under ` +
    (l.cert ? `certificate ${l.cert.number}, ${l.cert.status}` : "no certificate")).join("; ");
  svg.append(
    s("title", { id: "route-svg-title" }, "Country route"),
    s("desc", { id: "route-svg-desc" }, `Stops: ${stops.map((st) => st.code).join(", ")}. ${describe}.`),
    s("defs", {}, ...Object.entries({ ...STATUS_COLOUR, other: "#374151" }).map(([k, c]) => arrowMarker(`arrow-${k}`, c))),
  );
  // legs into the same stop get their labels at different points along them, so labels do not collide
  const into = new Map();
  legs.forEach((leg) => into.set(leg.to.index, [...(into.get(leg.to.index) || []), leg]));
  legs.forEach((leg, i) => {
    const a = pos.get(leg.from.index), b = pos.get(leg.to.index);
    const siblings = into.get(leg.to.index);
    const k = siblings.indexOf(leg), n = siblings.length;
    const t = n === 1 || horizontal ? 0.5 : 0.35 + (0.35 * k) / (n - 1);
    const status = leg.cert ? leg.cert.status : "missing";
    const colour = statusColour(status);
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
    const ux = dx / len, uy = dy / len;
    const x1 = a.x + ux * (R + 4), y1 = a.y + uy * (R + 4), x2 = b.x - ux * (R + 6), y2 = b.y - uy * (R + 6);
    const marker = STATUS_COLOUR[status] ? `arrow-${status}` : "arrow-other";
    const g = s("g", { class: "leg", "data-status": status, "data-leg": i });
    g.append(s("line", { x1, y1, x2, y2, stroke: colour, "stroke-width": 3, "marker-end": `url(#${marker})`,
      "stroke-dasharray": status === "confirmed" ? null : "7 5" }));
    const mx = x1 + (x2 - x1) * t, my = y1 + (y2 - y1) * t;
    const number = leg.cert ? leg.cert.number : "no certificate";
    let tx, ty, anchor;
    if (horizontal) {
      // above a level or descending leg, below a rising one: converging legs keep their labels apart
      [tx, ty, anchor] = uy < -0.05 ? [mx, my + 24, "middle"] : [mx, my - 26 - (uy > 0.05 ? 4 : 0), "middle"];
    } else {
      [tx, ty, anchor] = [mx + 12, my - 4, "start"];
    }
    g.append(s("text", { x: tx, y: ty, "text-anchor": anchor, class: "leg-number" }, number),
      s("text", { x: tx, y: ty + 16, "text-anchor": anchor, class: "leg-status", fill: colour },
        leg.cert ? status : "uncertified"));
    svg.append(g);
  });
  for (const st of stops) {
    const { x, y } = pos.get(st.index);
    const name = countryNames.get(st.code) || "";
    svg.append(s("g", { class: `stop${st.layer === 0 ? " stop-origin" : ""}` },
      s("circle", { cx: x, cy: y, r: R }),
      s("text", { x, y: y + 6, "text-anchor": "middle", class: "stop-code" }, st.code),
      s("text", { x, y: y + R + 18, "text-anchor": "middle", class: "stop-name" },
        st.layer === 0 ? `${name || st.code} (mine)` : name)));
  }
  return svg;
}
