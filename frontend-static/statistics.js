// The public KP statistics page (#/statistics/CODE/YEAR[/Qn]): a participant's exports and imports per quarter and
// production per half-year, in carats and counts, with charts (Chart.js, vendor/chart.umd.min.js, copied from
// node_modules by `make vendor`), every figure a button that lists the certificates or parcels behind it, and the
// same figures as CSV or JSON downloads from the API. Values in USD are not public and are never shown here.
import { api, apiBase, ApiError } from "./api.js";
import { clear, h, hsWords, plain } from "./util.js";

const $ = (id) => document.getElementById(id);
const CHART_SCRIPT = "vendor/chart.umd.min.js";
const FLOW_WORDS = { export: "Exports", import: "Imports" };
const COLOURS = { export: "#0b4f8a", import: "#b45309", "7102.10": "#0b4f8a", "7102.21": "#6b7280", "7102.31": "#166534" };
const FIRST_YEAR = 2003;

const stats = {
  participants: null, // [{code, name}]
  key: "", // code/year/basis of the reports loaded
  trade: null,
  production: null,
  charts: [],
  token: 0,
};

// ------------------------------------------------------------------ formatting

/** "1234567.89" -> "1,234,567.89" without going through a float. */
export function groupDecimal(text) {
  const [whole, cents] = String(text).split(".");
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (cents !== undefined ? `.${cents}` : "");
}

const ct = (text) => `${groupDecimal(text)} ct`;
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const hsName = (dotted) => hsWords(Number(dotted.replace(".", "")));
const day = (iso) => (iso ? iso.slice(0, 10) : "—");

// ------------------------------------------------------------------ routing

export function isStatisticsRoute() {
  return location.hash.startsWith("#/statistics");
}

function parseRoute() {
  const [, , code = "", year = "", quarter = ""] = location.hash.split("?")[0].split("/");
  const basis = new URLSearchParams(location.hash.split("?")[1] || "").get("basis") === "issue" ? "issue" : "crossing";
  return {
    code: /^[A-Z]{2}$/.test(code) ? code : null,
    year: /^\d{4}$/.test(year) ? Number(year) : null,
    quarter: /^Q[1-4]$/.test(quarter) ? quarter : "",
    basis,
  };
}

function routeTo({ code, year, quarter, basis }, replace = false) {
  const hash = `#/statistics/${code}/${year}${quarter ? `/${quarter}` : ""}${basis === "issue" ? "?basis=issue" : ""}`;
  if (replace) history.replaceState(null, "", hash);
  else location.hash = hash;
  return hash;
}

// ------------------------------------------------------------------ loading

function chartLibrary() {
  if (window.Chart) return Promise.resolve(window.Chart);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = CHART_SCRIPT;
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new ApiError("ChartLibraryMissing", `${CHART_SCRIPT} did not load (run make vendor)`));
    document.head.append(script);
  });
}

async function participants() {
  if (!stats.participants) stats.participants = (await api.participants()).data;
  return stats.participants;
}

/** Shows the page for the route; loads the reports when the participant, year or basis changed. */
export async function showStatistics() {
  const token = ++stats.token;
  $("statistics-section").hidden = false;
  const error = $("stats-error");
  clear(error).hidden = true;
  const route = parseRoute();
  try {
    const list = await participants();
    const year = route.year || new Date().getUTCFullYear();
    let code = route.code;
    if (!code || !list.some((p) => p.code === code)) {
      const summary = await api.statisticsSummary(year, route.basis);
      const busiest = [...summary.participants].sort((a, b) =>
        b.exports[String(year)].certificates + b.imports[String(year)].certificates
        - (a.exports[String(year)].certificates + a.imports[String(year)].certificates))[0];
      code = (busiest || list[0] || {}).code;
      if (!code) throw new ApiError("NoParticipants", "no KP participant on this ledger yet");
      routeTo({ ...route, code, year }, true);
    }
    fillControls(list, code, year, route);
    const key = `${code}/${year}/${route.basis}`;
    if (key !== stats.key) {
      setStatus(`Loading the statistics of ${code} for ${year}…`);
      $("statistics-section").setAttribute("aria-busy", "true");
      const [trade, production] = await Promise.all([api.statisticsTrade(code, year, route.basis),
        api.statisticsProduction(code, year)]);
      if (token !== stats.token) return;
      Object.assign(stats, { key, trade, production });
      await renderCharts();
    }
    if (token !== stats.token) return;
    renderFigures(route.quarter);
    renderDownloads(code, year, route.quarter, route.basis);
    clear($("stats-detail"));
    setStatus(`Statistics of ${stats.trade.participant.name} (${code}) for ${year}${route.quarter ? `, ${route.quarter}` : ""} loaded.`);
  } catch (err) {
    if (token !== stats.token) return;
    setStatus("");
    error.append(h("p", { class: "error-title" }, "The statistics could not be shown"),
      h("p", {}, h("code", { class: "error-code" }, err.code || "Error"), " ", err.message || String(err)));
    error.hidden = false;
  } finally {
    if (token === stats.token) $("statistics-section").removeAttribute("aria-busy");
  }
}

export function hideStatistics() {
  $("statistics-section").hidden = true;
}

function setStatus(text) {
  $("stats-status").textContent = text;
}

// ------------------------------------------------------------------ controls

function fillControls(list, code, year, route) {
  const select = $("stats-participant");
  if (select.options.length !== list.length) {
    clear(select).append(...list.map((p) => h("option", { value: p.code }, `${p.name} (${p.code})`)));
  }
  select.value = code;
  const years = $("stats-year");
  const last = Math.max(new Date().getUTCFullYear(), year);
  if (Number(years.dataset.last) !== last) {
    clear(years);
    for (let y = last; y >= FIRST_YEAR; y--) years.append(h("option", { value: y }, String(y)));
    years.dataset.last = String(last);
  }
  years.value = String(year);
  $("stats-quarter").value = route.quarter;
  $("stats-basis").value = route.basis;
}

function controlsChanged(event) {
  if (event) event.preventDefault();
  routeTo({ code: $("stats-participant").value, year: Number($("stats-year").value),
    quarter: $("stats-quarter").value, basis: $("stats-basis").value });
}

// ------------------------------------------------------------------ figures and drill-down

function flowTotals(quarter) {
  const totals = { export: { carats: 0n, certificates: 0 }, import: { carats: 0n, certificates: 0 } };
  for (const t of stats.trade.totals) {
    if (quarter && !t.period.endsWith(quarter)) continue;
    totals[t.flow].carats += centi(t.carats);
    totals[t.flow].certificates += t.certificates;
  }
  return totals;
}

/** "12.34" -> 1234n: exact sums of decimal carats. */
function centi(text) {
  const [whole, cents = ""] = String(text).split(".");
  return BigInt(whole) * 100n + BigInt((cents + "00").slice(0, 2));
}

function fromCenti(value) {
  return `${value / 100n}.${String(value % 100n).padStart(2, "0")}`;
}

function drillButton(label, selection, extra = {}) {
  return h("button", { type: "button", class: "link-button", "data-drill": JSON.stringify(selection), ...extra,
    onclick: () => drill(selection) }, label);
}

function periodWords(quarter) {
  return quarter ? `${stats.trade.year}-${quarter}` : String(stats.trade.year);
}

function renderFigures(quarter) {
  const code = stats.trade.participant.code;
  const totals = flowTotals(quarter);
  const production = stats.production.totals.filter((t) => !quarter || t.period.endsWith(quarterHalf(quarter)));
  const producedPoints = production.reduce((sum, t) => sum + centi(t.carats), 0n);
  const producedParcels = production.reduce((sum, t) => sum + t.parcels, 0);
  const cards = clear($("stats-cards"));
  for (const flow of ["export", "import"]) {
    const t = totals[flow];
    cards.append(h("div", { class: "stat-card", "data-flow": flow },
      h("h3", {}, `${FLOW_WORDS[flow]}, ${periodWords(quarter)}`),
      h("p", { class: "stat-figure", "data-carats": fromCenti(t.carats) }, ct(fromCenti(t.carats))),
      drillButton(plural(t.certificates, "certificate"), { kind: "trade", flow, quarter },
        { id: `stats-total-${flow}`, "data-certificates": t.certificates })));
  }
  const halfNote = quarter ? ` (${stats.trade.year}-${quarterHalf(quarter)})` : "";
  cards.append(h("div", { class: "stat-card", "data-flow": "production" },
    h("h3", {}, `Production, ${stats.trade.year}${halfNote}`),
    h("p", { class: "stat-figure", "data-carats": fromCenti(producedPoints) }, ct(fromCenti(producedPoints))),
    drillButton(plural(producedParcels, "parcel"), { kind: "production", half: quarter ? quarterHalf(quarter) : "" },
      { id: "stats-total-production", "data-parcels": producedParcels })));

  const rows = stats.trade.rows.filter((r) => !quarter || r.period.endsWith(quarter));
  const body = clear($("stats-trade-rows"));
  for (const r of rows) {
    const selection = { kind: "trade", flow: r.flow, quarter: r.period.slice(-2), partner: r.partner, hs: r.hs_code };
    body.append(h("tr", { "data-flow": r.flow, "data-partner": r.partner, "data-hs": r.hs_code },
      h("td", {}, r.period), h("th", { scope: "row" }, FLOW_WORDS[r.flow]),
      h("td", {}, `${r.partner_name} (${r.partner})`), h("td", {}, r.hs_code),
      h("td", { class: "num" }, ct(r.carats)),
      h("td", { class: "num" }, drillButton(String(r.certificates), selection,
        { "aria-label": `${plural(r.certificates, "certificate")}: ${FLOW_WORDS[r.flow].toLowerCase()} ${r.period} ${r.partner} ${r.hs_code}` }))));
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: 6 }, `No KP certificate counted for ${code} in ${periodWords(quarter)}.`)));
  $("stats-trade-caption").textContent = plain(`Trade of ${stats.trade.participant.name} by partner and HS code, ${periodWords(quarter)}` +
    ` (certificates counted by ${stats.trade.basis === "issue" ? "issue date" : "border crossing date"})`);

  const prows = stats.production.rows.filter((r) => !quarter || r.period.endsWith(quarterHalf(quarter)));
  const pbody = clear($("stats-production-rows"));
  for (const r of prows) {
    pbody.append(h("tr", { "data-hs": r.hs_code },
      h("td", {}, r.period), h("th", { scope: "row" }, hsName(r.hs_code)), h("td", { class: "num" }, ct(r.carats)),
      h("td", { class: "num" }, drillButton(String(r.parcels), { kind: "production", half: r.period.slice(-2), hs: r.hs_code },
        { "aria-label": `${plural(r.parcels, "parcel")} registered ${r.period}, HS ${r.hs_code}` }))));
  }
  if (!prows.length) pbody.append(h("tr", {}, h("td", { colspan: 4 }, `No parcel registered at origin in ${code}.`)));
  $("stats-basis-note").textContent = plain(stats.trade.basis_note);
}

function quarterHalf(quarter) {
  return Number(quarter.slice(1)) <= 2 ? "H1" : "H2";
}

function certificateRow(c, hs) {
  const lots = c.parcel_ids.flatMap((id, i) => [i ? ", " : "",
    h("a", { href: `#/lot/${id}`, "data-parcel": id }, `parcel ${id}`)]);
  return h("tr", { "data-number": c.number },
    h("th", { scope: "row" }, h("a", { href: `#/certificate/${encodeURIComponent(c.number)}` }, c.number)),
    h("td", {}, `${c.exporter} → ${c.importer}`),
    h("td", {}, day(c.crossed_at)),
    h("td", { class: "num" }, ct(hs ? c.carats_by_hs[hs] : c.carats)),
    h("td", {}, Object.keys(c.carats_by_hs).join(", ")),
    h("td", {}, c.status),
    h("td", {}, h("a", { href: `#/lot/${c.consignment_id}`, "data-consignment": c.consignment_id },
      `Consignment ${c.consignment_id}`), ": ", ...lots));
}

function certificateTable(certs, hs) {
  const head = ["Certificate", "Route", "Crossed", "Carats", "HS codes", "Status", "Lots"];
  return h("table", { id: "stats-detail-table", class: "stats-table" },
    h("caption", { class: "visually-hidden" }, "Certificates behind the figure"),
    h("thead", {}, h("tr", {}, ...head.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, ...certs.map((c) => certificateRow(c, hs))));
}

function drill(selection) {
  const detail = clear($("stats-detail"));
  if (selection.kind === "production") {
    const rows = stats.production.rows.filter((r) => (!selection.half || r.period.endsWith(selection.half))
      && (!selection.hs || r.hs_code === selection.hs));
    const ids = rows.flatMap((r) => r.parcel_ids);
    const points = rows.reduce((sum, r) => sum + centi(r.carats), 0n);
    const what = `Production of ${stats.production.participant.code}, ${selection.half ? `${stats.production.year}-${selection.half}` : stats.production.year}${selection.hs ? `, HS ${selection.hs}` : ""}`;
    detail.append(h("h3", { id: "stats-detail-heading", tabindex: "-1" }, `${what}: ${ct(fromCenti(points))} in ${plural(ids.length, "parcel")}`),
      h("p", { class: "hint" }, "The parcels registered at origin that make up this figure. Open one to see its provenance."),
      h("ul", { id: "stats-detail-parcels", class: "link-list" }, ...ids.map((id) =>
        h("li", {}, h("a", { href: `#/lot/${id}`, "data-parcel": id }, `Parcel ${id}`)))));
  } else {
    const certs = stats.trade.certificates.filter((c) => c.flow === selection.flow
      && (!selection.quarter || c.period.endsWith(selection.quarter))
      && (!selection.partner || c.partner === selection.partner)
      && (!selection.hs || selection.hs in c.carats_by_hs));
    const carats = certs.reduce((sum, c) => sum + centi(selection.hs ? c.carats_by_hs[selection.hs] : c.carats), 0n);
    const where = [selection.quarter ? `${stats.trade.year}-${selection.quarter}` : String(stats.trade.year),
      selection.partner ? `${selection.flow === "export" ? "to" : "from"} ${selection.partner}` : "",
      selection.hs ? `HS ${selection.hs}` : ""].filter(Boolean).join(", ");
    detail.append(
      h("h3", { id: "stats-detail-heading", tabindex: "-1" },
        `${FLOW_WORDS[selection.flow]} of ${stats.trade.participant.code}, ${where}: ${ct(fromCenti(carats))} on ${plural(certs.length, "certificate")}`),
      h("p", { class: "hint" }, "The KP certificates that make up this figure, with their consignment and parcels."),
      h("div", { class: "table-scroll", role: "region", "aria-label": "Certificates behind the figure", tabindex: "0" },
        certificateTable(certs, selection.hs)));
  }
  $("stats-detail-heading").focus();
}

// ------------------------------------------------------------------ charts

async function renderCharts() {
  const Chart = await chartLibrary();
  for (const chart of stats.charts) chart.destroy();
  stats.charts = [];
  const labels = stats.trade.periods.map((p) => p.period.slice(-2));
  const byFlow = (flow) => stats.trade.periods.map((p) => {
    const t = stats.trade.totals.find((x) => x.period === p.period && x.flow === flow);
    return t ? Number(t.carats) : 0;
  });
  const tradeCanvas = $("stats-trade-chart");
  const datasets = ["export", "import"].map((flow) => ({ label: `${FLOW_WORDS[flow]} (ct)`, data: byFlow(flow),
    backgroundColor: COLOURS[flow], flow }));
  const options = (title, onPick) => ({
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { title: { display: true, text: title, color: "#1a1d23" }, legend: { labels: { color: "#1a1d23" } } },
    scales: { x: { ticks: { color: "#1a1d23" } }, y: { beginAtZero: true, ticks: { color: "#1a1d23" },
      title: { display: true, text: "carats", color: "#1a1d23" } } },
    onClick: (event, elements, chart) => {
      const [hit] = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, true);
      if (hit) onPick(hit.datasetIndex, hit.index);
    },
  });
  stats.charts.push(new Chart(tradeCanvas, { type: "bar", data: { labels, datasets },
    options: options(`${stats.trade.participant.code} trade by quarter, ${stats.trade.year}`,
      (d, i) => drill({ kind: "trade", flow: datasets[d].flow, quarter: labels[i] })) }));
  tradeCanvas.setAttribute("aria-label", plain(`Bar chart of ${stats.trade.participant.name}'s exports and imports in carats by quarter of ${stats.trade.year}: ` +
    labels.map((q, i) => `${q} exports ${datasets[0].data[i]} ct, imports ${datasets[1].data[i]} ct`).join("; ") +
    ". The same figures are in the table below."));
  tradeCanvas.dataset.rendered = JSON.stringify(datasets.map((d) => d.data));

  const halves = stats.production.periods.map((p) => p.period.slice(-2));
  const codes = [...new Set(stats.production.rows.map((r) => r.hs_code))].sort();
  const pdata = codes.map((hs) => ({ label: hsName(hs), hs, backgroundColor: COLOURS[hs] || "#374151",
    data: stats.production.periods.map((p) => Number((stats.production.rows.find((r) => r.period === p.period && r.hs_code === hs) || { carats: 0 }).carats)) }));
  const productionCanvas = $("stats-production-chart");
  stats.charts.push(new Chart(productionCanvas, { type: "bar", data: { labels: halves, datasets: pdata },
    options: { ...options(`${stats.production.participant.code} production by half-year, ${stats.production.year}`,
      (d, i) => drill({ kind: "production", half: halves[i], hs: pdata[d].hs })),
    scales: { x: { stacked: true, ticks: { color: "#1a1d23" } }, y: { stacked: true, beginAtZero: true, ticks: { color: "#1a1d23" },
      title: { display: true, text: "carats", color: "#1a1d23" } } } } }));
  productionCanvas.setAttribute("aria-label", plain(`Bar chart of the carats registered at origin in ${stats.production.participant.name} by half-year of ${stats.production.year}: ` +
    (pdata.length ? pdata.map((d) => `${d.label}: ${halves.map((hh, i) => `${hh} ${d.data[i]} ct`).join(", ")}`).join("; ") : "none") +
    ". The same figures are in the table below."));
  productionCanvas.dataset.rendered = JSON.stringify(pdata.map((d) => d.data));
}

// ------------------------------------------------------------------ downloads

function renderDownloads(code, year, quarter, basis) {
  const list = clear($("stats-downloads"));
  const q = quarter ? { quarter: quarter.slice(1) } : {};
  const half = quarter ? { half: quarterHalf(quarter).slice(1) } : {};
  const links = [
    ["Trade (CSV)", "stats-download-trade-csv", api.statisticsUrl(`participants/${code}/trade`, { year, ...q, basis, format: "csv" })],
    ["Trade (JSON)", "stats-download-trade-json", api.statisticsUrl(`participants/${code}/trade`, { year, ...q, basis, format: "json" })],
    ["Production (CSV)", "stats-download-production-csv", api.statisticsUrl(`participants/${code}/production`, { year, ...half, format: "csv" })],
    ["Production (JSON)", "stats-download-production-json", api.statisticsUrl(`participants/${code}/production`, { year, ...half, format: "json" })],
    [`All participants, ${year} (CSV)`, "stats-download-summary-csv", api.statisticsUrl("summary", { year, basis, format: "csv" })],
  ];
  for (const [text, id, href] of links) list.append(h("li", {}, h("a", { id, href, download: "" }, text)));
  $("stats-api-note").textContent = `From the ledger API at ${apiBase()}.`;
}

export function setupStatistics() {
  $("stats-form").addEventListener("submit", controlsChanged);
  for (const id of ["stats-participant", "stats-year", "stats-quarter", "stats-basis"]) {
    $(id).addEventListener("change", () => controlsChanged());
  }
}
