// KP Ledger viewer: looks a lot up through the read API and shows its provenance, certificates, a
// document check and a direct check against the chain. No framework, no build step.
import { api, apiBase, ApiError } from "./api.js";
import {
  certificateStatus, discrepancyWords, hideCertificate, isCertificateRoute, setupCertificate, showCertificate,
} from "./certificate.js";
import { CERTIFICATE_STATUS, CONSIGNMENT_STATUS, PARCEL_STATUS, Rpc, originCodes } from "./chain.js";
import { lineageSvg, routeModel, routeSvg } from "./graphs.js";
import { lotQr } from "./qr.js";
import { sha256 } from "./sha256.js";
import { hideStatistics, isStatisticsRoute, setupStatistics, showStatistics } from "./statistics.js";
import {
  clear, fmtCarats, fmtTime, h, hsWords, isoTime, originWords, party, reasonWords, shortAddr, shortHash,
} from "./util.js";

const $ = (id) => document.getElementById(id);
const MAX_LOT = 2 ** 40;

const state = {
  view: null, // {kind: "parcel"|"consignment", id, lot, provenance?, certificates: [], parcels: []}
  participants: null, // [{code, name, index, status}]
  countryNames: new Map(),
  config: null,
  loadToken: 0,
};

// ------------------------------------------------------------------ status and errors

function announce(text) {
  $("status").textContent = text;
}

function showError(error, context = "") {
  const box = $("error");
  clear(box);
  const code = error instanceof ApiError ? error.code : "Error";
  box.append(
    h("p", { class: "error-title" }, context || "Something went wrong"),
    h("p", {}, h("code", { class: "error-code" }, code), " ", error.message || String(error)),
  );
  box.hidden = false;
}

function clearError() {
  clear($("error")).hidden = true;
}

function explain(error, id) {
  if (error instanceof ApiError && /NotFound$/.test(error.code)) {
    return `No parcel or consignment ${id} on this ledger`;
  }
  if (error instanceof ApiError && error.code === "NetworkError") return "The ledger API cannot be reached";
  if (error instanceof ApiError && error.code === "InvalidRequest") return `“${id}” is not a valid lot number`;
  return `Could not load lot ${id}`;
}

// ------------------------------------------------------------------ routing

function lotFromLocation() {
  const match = location.hash.match(/^#\/lot\/([^/?#]*)/);
  if (match) return decodeURIComponent(match[1]);
  return new URLSearchParams(location.search).get("lot");
}

function parseLot(text) {
  const value = String(text || "").trim().replace(/^#/, "");
  if (!/^\d{1,13}$/.test(value)) return null;
  const id = Number(value);
  return id >= 1 && id <= MAX_LOT ? id : null;
}

function route() {
  if (isStatisticsRoute()) {
    hideResults();
    clearError();
    announce("");
    showStatistics();
    return;
  }
  hideStatistics();
  if (isCertificateRoute()) {
    hideResults();
    clearError();
    ensureParticipants().then(() => showCertificate({ countryName: (code) => state.countryNames.get(code) || code }));
    return;
  }
  hideCertificate();
  const raw = lotFromLocation();
  if (raw === null || raw === "") {
    hideResults();
    announce("");
    return;
  }
  $("lot-input").value = raw;
  const id = parseLot(raw);
  if (id === null) {
    hideResults();
    showError(new ApiError("InvalidLotNumber", `“${raw}” is not a lot number: use digits only (1 to ${MAX_LOT}).`),
      "Check the number");
    return;
  }
  load(id);
}

function hideResults() {
  for (const section of document.querySelectorAll("main > section")) section.hidden = true;
  state.view = null;
}

// ------------------------------------------------------------------ loading

async function load(id) {
  const token = ++state.loadToken;
  clearError();
  announce(`Loading lot ${id}…`);
  $("main").setAttribute("aria-busy", "true");
  try {
    const [lot] = await Promise.all([api.lot(id), ensureParticipants()]);
    let view;
    if (lot.kind === "consignment") {
      const parcels = await Promise.all(lot.parcel_ids.map((pid) => api.parcel(pid)));
      let steps = [];
      if (lot.parcel_ids.length) {
        const prov = await api.provenance(lot.parcel_ids[0]).catch(() => null);
        if (prov) steps = prov.timeline.filter((st) => st.lot_id === lot.id);
      }
      view = { kind: "consignment", id, lot, parcels, steps, certificates: lot.certificate ? [lot.certificate] : [] };
    } else {
      const provenance = await api.provenance(id);
      view = { kind: "parcel", id, lot: provenance.parcel, provenance, certificates: provenance.certificates,
        parcels: provenance.lineage.nodes };
    }
    if (token !== state.loadToken) return;
    state.view = view;
    render(view);
    const verdict = view.provenance ? ` Verdict: ${view.provenance.verdict.status === "ok" ? "complete" : "incomplete"}.` : "";
    announce(`${view.kind === "parcel" ? "Parcel" : "Consignment"} ${id} loaded.${verdict}`);
    // move focus to the result after a lookup the user asked for (screen readers then read it)
    if (state.focusAfterLoad) $(view.kind === "parcel" ? "verdict-heading" : "lot-heading").focus();
    state.focusAfterLoad = false;
  } catch (error) {
    if (token !== state.loadToken) return;
    state.focusAfterLoad = false;
    hideResults();
    announce("");
    showError(error, explain(error, id));
  } finally {
    if (token === state.loadToken) $("main").removeAttribute("aria-busy");
  }
}

async function ensureParticipants() {
  if (state.participants) return;
  try {
    const listing = await api.participants();
    state.participants = listing.data;
    state.countryNames = new Map(listing.data.map((p) => [p.code, p.name]));
  } catch {
    state.participants = null; // names are a nicety; codes are shown anyway
  }
}

function country(code) {
  if (!code) return "—";
  const name = state.countryNames.get(code);
  return name ? `${code} (${name})` : code;
}

// ------------------------------------------------------------------ rendering

function render(view) {
  hideResults();
  state.view = view;
  renderLot(view);
  if (view.kind === "parcel") {
    renderVerdict(view.provenance.verdict);
    renderTimeline(view.provenance.timeline, new Set(view.provenance.lineage.nodes.map((n) => n.id)),
      view.certificates, view.provenance.lineage.edges);
    renderLineage(view.provenance.lineage, view.id);
    renderRoute(view.provenance, view.certificates);
  } else {
    renderConsignmentParcels(view.parcels);
    if (view.steps.length) renderTimeline(view.steps, new Set(view.lot.parcel_ids), view.certificates);
  }
  renderCertificates(view.certificates);
  renderQrGrid(view);
  $("document-section").hidden = false;
  $("doc-file").value = "";
  clear($("doc-result"));
  $("chain-section").hidden = false;
  clear($("chain-result"));
}

function fact(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}


function lotLink(id, kind) {
  return h("a", { href: `#/lot/${id}` }, `${kind} ${id}`);
}

function renderLot(view) {
  const lot = view.lot;
  const facts = clear($("lot-facts"));
  $("lot-heading").textContent = `${view.kind === "parcel" ? "Parcel" : "Consignment"} ${lot.id}`;
  if (view.kind === "parcel") {
    const holderCountry = lastCountryOf(lot.holder, view.provenance.timeline);
    facts.append(
      ...fact("Weight", `${fmtCarats(lot.carats)} · ${lot.stones} stones`),
      ...fact("Origin", lot.mixed_origin ? `mixed origin: ${lot.origins.map(country).join(", ")}` : country(lot.origins[0])),
      ...fact("HS code", hsWords(lot.hs_code)),
      ...fact("Status", lot.status === "live" ? "live" : "closed (split or merged into other parcels)"),
      ...fact("Holder", party(lot.holder_name, lot.holder, lot.holder_participant || holderCountry)),
      ...fact("Consignment", lot.sealed && lot.consignment_id ? ["sealed in ", lotLink(lot.consignment_id, "consignment")]
        : "not sealed"),
      ...fact("Recorded", `${lot.created_by} · ${fmtTime(lot.created_at)} · block ${lot.created_block}`),
      ...fact("Document hash", h("code", { class: "hash", title: lot.document_hash }, shortHash(lot.document_hash))),
    );
  } else {
    facts.append(
      ...fact("Status", lot.status === "compromised" ? "compromised (a seal mismatch was recorded)" : lot.status),
      ...fact("Weight", fmtCarats(lot.carats)),
      ...fact("Parcels", String(lot.parcel_ids.length)),
      ...fact("Origin", lot.origins.length > 1 ? `mixed origin: ${lot.origins.map(country).join(", ")}`
        : lot.origins.map(country).join(", ") || "—"),
      ...fact("HS codes", lot.hs_codes.map(hsWords).join(", ") || "—"),
      ...fact("Holder", party(lot.holder_name, lot.holder, lot.holder_participant)),
      ...fact("Seal id", h("code", { class: "hash", title: lot.seal_id }, shortHash(lot.seal_id))),
      ...fact("Sealed", `${fmtTime(lot.created_at)} · block ${lot.created_block}`),
      ...fact("Certificate", lot.certificate ? `${lot.certificate.number} (${lot.certificate.status})` : "none"),
    );
  }
  if (lot.offer) {
    facts.append(...fact("Pending offer", ["to ", party(lot.offer.to_name, lot.offer.to)]));
  }
  clear($("lot-qr")).append(lotQr(view.kind, lot.id, 148));
  $("lot-section").hidden = false;
}

function lastCountryOf(address, steps) {
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i].to === address && steps[i].to_country) return steps[i].to_country;
    if (steps[i].from === address && steps[i].from_country) return steps[i].from_country;
  }
  return null;
}

function renderVerdict(verdict) {
  const box = $("verdict");
  box.dataset.status = verdict.status;
  $("verdict-heading").textContent = `Verdict for parcel ${state.view.id}`;
  const ok = verdict.status === "ok";
  clear($("verdict-summary")).append(
    h("span", { class: "verdict-badge" }, ok ? "✓ Provenance complete" : "⚠ Provenance incomplete"),
    h("span", { class: "verdict-text" }, verdict.summary),
  );
  const problems = clear($("verdict-problems"));
  verdict.problems.forEach((p) => problems.append(h("li", {}, p)));
  // a single problem is the summary itself: list the problems only when they add something
  $("verdict-problems-block").hidden = verdict.problems.length === 0
    || (verdict.problems.length === 1 && verdict.problems[0] === verdict.summary);
  const notes = clear($("verdict-notes"));
  verdict.notes.forEach((n) => notes.append(h("li", {}, n)));
  $("verdict-notes-block").hidden = verdict.notes.length === 0;
  $("verdict-section").hidden = false;
}

const STEP_WORDS = {
  registered: "Registered at the mine",
  split: "Split off a parent parcel",
  merged: "Merged from several parcels",
  sealed: "Sealed into a consignment",
  opened: "Consignment opened",
  offered: "Offered for hand-off",
  withdrawn: "Offer withdrawn",
  rejected: "Hand-off refused by the recipient",
  seal_mismatch: "Seal check failed at hand-off",
  transferred: "Handed over",
};

function stepTitle(step, parentsOf) {
  if (step.kind === "transferred" && step.from_country && step.to_country && step.from_country !== step.to_country) {
    return `Crossed the border ${step.from_country} → ${step.to_country}`;
  }
  const parents = parentsOf.get(step.lot_id) || [];
  if (step.kind === "split" && parents.length) return `Split from parcel ${parents.join(", ")}`;
  if (step.kind === "merged" && parents.length) return `Merged from parcels ${parents.join(" + ")}`;
  if (step.kind === "sealed") return `Sealed into consignment ${step.lot_id}`;
  if (step.kind === "opened") return `Consignment ${step.lot_id} opened`;
  return STEP_WORDS[step.kind] || step.kind.replace(/_/g, " ");
}

function renderTimeline(steps, parcelIds, certificates, edges = []) {
  const byKey = new Map(certificates.map((c) => [c.key, c]));
  const parentsOf = new Map();
  for (const e of edges) parentsOf.set(e.to, [...(parentsOf.get(e.to) || []), e.from].sort((a, b) => a - b));
  const list = clear($("timeline"));
  const offeredSeal = new Map(); // lot -> seal id of its latest offer (what the recipient should have found)
  for (const step of steps) {
    if (step.kind === "offered") offeredSeal.set(step.lot_id, step.seal_id);
    const kind = parcelIds.has(step.lot_id) ? "Parcel" : "Consignment";
    const sameParty = step.from && step.from === step.to;
    const parties = step.kind === "registered"
      ? ["by ", party(step.to_name, step.to, step.to_country)]
      : sameParty ? ["by ", party(step.from_name, step.from, step.from_country)]
        : ["from ", party(step.from_name, step.from, step.from_country), " to ",
          party(step.to_name, step.to, step.to_country)];
    let seal = null;
    if (step.kind === "transferred" && step.seal_id) {
      seal = h("p", { class: "seal seal-ok" }, "Seal ", h("code", { title: step.seal_id }, shortHash(step.seal_id)),
        " — ", h("strong", {}, "✓ seal verified"));
    } else if (step.kind === "seal_mismatch") {
      const expected = offeredSeal.get(step.lot_id);
      seal = h("p", { class: "seal seal-bad" }, h("strong", {}, "✗ SEAL MISMATCH — transfer refused"),
        expected ? [" · sent under seal ", h("code", { title: expected }, shortHash(expected))] : "",
        step.seal_id ? [" · recipient attested ", h("code", { title: step.seal_id }, shortHash(step.seal_id))] : "");
    } else if (step.seal_id) {
      seal = h("p", { class: "seal" }, "Seal ", h("code", { title: step.seal_id }, shortHash(step.seal_id)));
    }
    const cert = step.certificate_key ? byKey.get(step.certificate_key) : null;
    list.append(h("li", { class: `timeline-item step-${step.kind}`, "data-kind": step.kind, "data-lot": step.lot_id },
      h("div", { class: "step-head" },
        h("h3", { class: "step-title" }, stepTitle(step, parentsOf)),
        h("span", { class: "step-lot" }, lotLink(step.lot_id, kind))),
      h("p", { class: "step-parties" }, ...parties),
      seal,
      step.reason !== null && step.reason !== undefined ? h("p", {}, `Reason: ${reasonWords(step.reason)}`) : null,
      step.certificate_key ? h("p", { class: "step-cert" }, "Under KP certificate ",
        cert ? [h("a", { href: `#/certificate/${encodeURIComponent(cert.number)}` }, h("strong", {}, cert.number)), " ",
          badge(certificateStatus(cert))]
          : h("code", { title: step.certificate_key }, shortHash(step.certificate_key))) : null,
      cert && cert.discrepancy ? h("p", { class: "step-discrepancy", "data-resolved": String(Boolean(cert.resolution)) },
        `Discrepancy at import: ${discrepancyWords(cert)}.`) : null,
      h("p", { class: "step-meta" }, h("time", { datetime: isoTime(step.timestamp) }, fmtTime(step.timestamp)),
        " · tx ", h("code", { title: step.tx_hash }, shortHash(step.tx_hash)), ` · block ${step.block}`)));
  }
  $("timeline-section").hidden = false;
}

function renderLineage(lineage, id) {
  const box = clear($("lineage-container"));
  box.append(lineageSvg(lineage, id));
  $("lineage-section").hidden = false;
}

function renderRoute(provenance, certificates) {
  const byKey = new Map(certificates.map((c) => [c.key, c]));
  const model = routeModel(provenance, byKey);
  $("route-path").textContent = provenance.country_path.length
    ? `Countries on the way: ${provenance.country_path.map(country).join(" → ")}` : "No countries recorded.";
  $("route-section").hidden = false;
  drawRoute(model);
  state.routeModel = model;
  const list = clear($("crossing-list"));
  if (!model.legs.length) list.append(h("li", {}, "No border crossing: the goods stayed in their country of origin."));
  for (const leg of model.legs) {
    list.append(h("li", { "data-status": leg.cert ? leg.cert.status : "missing" },
      h("strong", {}, `${leg.from.code} → ${leg.to.code}`), " under ",
      leg.cert ? [leg.cert.number, " ", badge(leg.cert.status)] : badge("missing", "no certificate"),
      " · ", h("time", { datetime: isoTime(leg.crossing.timestamp) }, fmtTime(leg.crossing.timestamp))));
  }
}

function drawRoute(model) {
  const box = clear($("route-container"));
  const width = box.clientWidth || document.documentElement.clientWidth - 48;
  box.append(routeSvg(model, state.countryNames, width));
}

const BADGE_TEXT = {
  issued: "Issued", delivered: "Delivered — import not confirmed", confirmed: "✓ Confirmed", disputed: "⚠ Disputed",
  voided: "✗ Voided", expired: "✗ Expired", missing: "✗ Missing", superseded: "✗ Superseded",
};

function badge(status, text) {
  return h("span", { class: `badge badge-${status}`, "data-status": status }, text || BADGE_TEXT[status] || status);
}

function renderCertificates(certificates) {
  const grid = clear($("certificates"));
  if (!certificates.length) grid.append(h("p", {}, "No KP certificate: these goods have not crossed a border."));
  for (const c of certificates) {
    grid.append(h("article", { class: "cert-card", "data-number": c.number, "data-status": c.status },
      h("div", { class: "cert-head" }, h("h3", {}, h("a", { href: `#/certificate/${encodeURIComponent(c.number)}` },
        c.number)), badge(certificateStatus(c))),
      h("dl", { class: "facts" },
        ...fact("Route", `${country(c.exporter)} → ${country(c.importer)}`),
        ...fact("Exporter", party(c.exporter_name, c.exporter_account, c.exporter)),
        ...fact("Importer", party(c.importer_name, c.importer_account, c.importer)),
        ...fact("Issued by", party(c.issued_by_name, c.issued_by, c.exporter)),
        ...fact("Weight", fmtCarats(c.carats)),
        ...fact("Parcels", String(c.parcel_count)),
        ...fact("Origin", c.mixed_origin ? `mixed: ${c.origins.join(", ")}` : originWords(c.origins)),
        ...fact("HS codes", c.hs_codes.map(hsWords).join(", ")),
        ...fact("Issued", h("time", { datetime: isoTime(c.issued_at) }, fmtTime(c.issued_at))),
        ...fact("Expires", h("time", { datetime: isoTime(c.expires_at) }, fmtTime(c.expires_at))),
        ...fact("Consignment", lotLink(c.consignment_id, "consignment")),
        ...fact("Document hash", h("code", { class: "hash", title: c.document_hash }, shortHash(c.document_hash))),
        c.replaces ? fact("Replaces", h("a", { href: `#/certificate/${encodeURIComponent(c.replaces)}` }, c.replaces))
          : null,
        c.superseded_by ? fact("Replaced by", h("a", { href: `#/certificate/${encodeURIComponent(c.superseded_by)}` },
          c.superseded_by)) : null,
        c.discrepancy ? fact("Discrepancy", discrepancyWords(c)) : null,
      ),
      h("p", {}, h("a", { href: `#/certificate/${encodeURIComponent(c.number)}` }, `Verify certificate ${c.number}`))));
  }
  $("certificates-section").hidden = false;
}

function renderConsignmentParcels(parcels) {
  const list = clear($("consignment-parcels"));
  for (const p of parcels) {
    list.append(h("li", { class: "parcel-card", "data-parcel": p.id },
      h("div", {},
        h("h3", {}, lotLink(p.id, "Parcel")),
        h("p", {}, `${fmtCarats(p.carats)} · ${p.stones} stones · HS ${p.hs_code}`),
        h("p", {}, `Origin ${originWords(p.origins)} · ${p.status}`)),
      lotQr("parcel", p.id, 96)));
  }
  if (!parcels.length) list.append(h("li", {}, "This consignment holds no parcels."));
  $("parcels-section").hidden = false;
}

function renderQrGrid(view) {
  const grid = clear($("qr-grid"));
  const seen = new Set();
  const add = (kind, id) => {
    if (seen.has(id)) return;
    seen.add(id);
    grid.append(lotQr(kind, id, 112));
  };
  add(view.kind, view.id);
  if (view.kind === "parcel") {
    view.provenance.lineage.nodes.forEach((n) => add("parcel", n.id));
    const parcelIds = new Set(view.provenance.lineage.nodes.map((n) => n.id));
    view.provenance.timeline.filter((st) => !parcelIds.has(st.lot_id)).forEach((st) => add("consignment", st.lot_id));
  } else {
    view.parcels.forEach((p) => add("parcel", p.id));
  }
  $("qr-section").hidden = false;
}

// ------------------------------------------------------------------ document check

function documentTargets(view) {
  const targets = [];
  if (view.kind === "parcel") {
    targets.push({ label: `parcel ${view.id} (this parcel)`, hash: view.lot.document_hash });
    for (const n of view.provenance.lineage.nodes) {
      if (n.id !== view.id) targets.push({ label: `parcel ${n.id} (in its lineage)`, hash: n.document_hash });
    }
  } else {
    for (const p of view.parcels) targets.push({ label: `parcel ${p.id}`, hash: p.document_hash });
  }
  for (const c of view.certificates) targets.push({ label: `certificate ${c.number}`, hash: c.document_hash });
  return targets;
}

async function checkDocument(file) {
  const out = clear($("doc-result"));
  if (!file) return;
  if (!state.view) {
    out.append(h("p", { class: "result-bad" }, "Look up a parcel or consignment first."));
    return;
  }
  out.append(h("p", {}, `Hashing ${file.name}…`));
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (error) {
    clear(out).append(h("p", { class: "result-bad" }, `Could not read ${file.name}: ${error.message}`));
    return;
  }
  const { hash, method } = await sha256(bytes);
  const matches = documentTargets(state.view).filter((t) => t.hash && t.hash.toLowerCase() === hash);
  const certShown = state.view.certificates.map((c) => c.number).join(", ");
  clear(out).append(
    h("p", { class: "doc-hash" }, `${file.name} (${bytes.byteLength.toLocaleString("en-GB")} bytes) SHA-256 `,
      h("code", { class: "hash-full" }, hash), ` via ${method}`),
    matches.length
      ? h("p", { id: "doc-local-result", class: "result-ok", "data-match": "true" },
        h("strong", {}, "✓ Matches "), `the document anchored for ${matches.map((m) => m.label).join(", ")}.`)
      : h("p", { id: "doc-local-result", class: "result-bad", "data-match": "false" },
        h("strong", {}, "✗ No match: "),
        `this file is not the document anchored for ${state.view.kind} ${state.view.id}` +
        (certShown ? ` nor for certificate ${certShown}` : "") + "."),
  );
  const server = h("div", { id: "doc-server-result", "aria-busy": "true" }, h("p", {}, "Asking the ledger API…"));
  out.append(server);
  try {
    const result = await api.verify(bytes);
    clear(server).removeAttribute("aria-busy");
    if (result.sha256.toLowerCase() !== hash) {
      server.append(h("p", { class: "result-bad" }, `The API computed a different hash (${result.sha256}).`));
    }
    if (!result.found.length) {
      server.append(h("p", { "data-match": "false" }, "The ledger API knows no certificate or parcel anchored with this document."));
    } else {
      server.append(h("p", { "data-match": "true" }, "The ledger API lists this document as anchored for:"),
        h("ul", { class: "found-list" }, ...result.found.map((f) => h("li", { "data-kind": f.kind, "data-reference": f.reference },
          f.kind === "parcel" ? lotLink(f.reference, "parcel") : `certificate ${f.reference}`,
          f.status ? [" ", f.kind === "certificate" ? badge(f.status) : `(${f.status})`] : ""))));
    }
  } catch (error) {
    clear(server).removeAttribute("aria-busy");
    server.append(h("p", { class: "result-bad" }, "The API check failed: ",
      h("code", {}, error.code || "Error"), " ", error.message));
  }
}

function setupDocumentCheck() {
  const input = $("doc-file");
  const zone = $("doc-drop");
  input.addEventListener("change", () => checkDocument(input.files[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) checkDocument(file);
  });
}

// ------------------------------------------------------------------ chain check

function sameAddress(a, b) {
  return Boolean(a && b) && a.toLowerCase() === b.toLowerCase();
}

async function checkChain(event) {
  event.preventDefault();
  const out = clear($("chain-result"));
  const view = state.view;
  const url = $("rpc-url").value.trim();
  if (!view) return;
  if (!/^https?:\/\/\S+$/i.test(url)) {
    out.append(h("p", { id: "chain-summary", class: "result-bad", "data-result": "error" },
      "Enter the JSON-RPC URL of a node, for example http://127.0.0.1:8545."));
    $("rpc-url").focus();
    return;
  }
  const button = $("chain-check");
  button.disabled = true;
  out.setAttribute("aria-busy", "true");
  out.append(h("p", {}, `Reading the contracts from ${url}…`));
  const rows = [];
  const row = (subject, field, apiValue, chainValue, match, note = "") =>
    rows.push({ subject, field, apiValue: String(apiValue), chainValue: String(chainValue), match, note });
  try {
    state.config ||= await api.config();
    const ledger = state.config.contracts.KPLedger;
    const rpc = new Rpc(url);
    const [chainId, block] = await Promise.all([rpc.chainId(), rpc.blockNumber()]);
    row("network", "chain id", state.config.chain_id, chainId, chainId === state.config.chain_id);
    const certificatesAddress = await rpc.certificatesAddress(ledger);
    row("KPLedger", "certificates contract", shortAddr(state.config.contracts.KPCertificates), shortAddr(certificatesAddress),
      sameAddress(certificatesAddress, state.config.contracts.KPCertificates));
    const parcels = view.kind === "parcel" ? [view.lot, ...view.provenance.lineage.nodes.filter((n) => n.id !== view.id)]
      : view.parcels;
    if (view.kind === "consignment") {
      const c = await rpc.consignment(ledger, view.id);
      const lot = view.lot;
      const subject = `consignment ${view.id}`;
      row(subject, "holder", shortAddr(lot.holder), shortAddr(c.holder), sameAddress(lot.holder, c.holder));
      row(subject, "status", lot.status, CONSIGNMENT_STATUS[c.status] || c.status, CONSIGNMENT_STATUS[c.status] === lot.status);
      row(subject, "points", lot.points, c.points, c.points === lot.points);
      row(subject, "seal id", shortHash(lot.seal_id), shortHash(c.sealId), c.sealId.toLowerCase() === lot.seal_id.toLowerCase());
      row(subject, "parcel count", lot.parcel_ids.length, c.parcelCount, c.parcelCount === lot.parcel_ids.length);
    }
    for (const p of parcels) {
      const c = await rpc.parcel(ledger, p.id);
      const subject = `parcel ${p.id}`;
      row(subject, "holder", shortAddr(p.holder), shortAddr(c.holder), sameAddress(p.holder, c.holder));
      row(subject, "points", p.points, c.points, c.points === p.points);
      row(subject, "status", p.status, PARCEL_STATUS[c.status] || c.status, PARCEL_STATUS[c.status] === p.status);
      row(subject, "HS code", p.hs_code, c.hsCode, c.hsCode === p.hs_code);
      if (state.participants) {
        const codes = originCodes(c.origins, state.participants);
        const api = [...p.origins].sort();
        row(subject, "origins", api.join(", "), codes.join(", "), codes.join() === api.join());
      }
      row(subject, "sealed", p.sealed ? `yes (consignment ${p.consignment_id})` : "no",
        c.sealed ? `yes (consignment ${c.consignmentId})` : "no",
        c.sealed === p.sealed && (!p.sealed || c.consignmentId === p.consignment_id));
    }
    for (const cert of view.certificates) {
      const c = await rpc.certificate(certificatesAddress, cert.number);
      const subject = `certificate ${cert.number}`;
      if (c.status === 0) {
        row(subject, "exists", "yes", "no such certificate", false);
        continue;
      }
      const chainStatus = CERTIFICATE_STATUS[c.status] || String(c.status);
      // "expired" is the API's word for an unused certificate past its expiry: on chain it is still "issued"
      const statusMatch = chainStatus === cert.status || (cert.status === "expired" && chainStatus === "issued");
      row(subject, "status", cert.status, chainStatus, statusMatch,
        cert.status === "expired" ? "issued, past its expiry" : "");
      row(subject, "document hash", shortHash(cert.document_hash), shortHash(c.documentHash),
        c.documentHash.toLowerCase() === cert.document_hash.toLowerCase());
      row(subject, "route", `${cert.exporter} → ${cert.importer}`, `${c.exporter} → ${c.importer}`,
        c.exporter === cert.exporter && c.importer === cert.importer);
      row(subject, "consignment", cert.consignment_id, c.consignmentId, c.consignmentId === cert.consignment_id);
      row(subject, "expires", fmtTime(cert.expires_at), fmtTime(c.expiresAt), c.expiresAt === cert.expires_at);
    }
    const bad = rows.filter((r) => !r.match);
    clear(out).removeAttribute("aria-busy");
    out.append(bad.length
      ? h("p", { id: "chain-summary", class: "result-bad", "data-result": "mismatch" },
        h("strong", {}, `✗ ${bad.length} of ${rows.length} fields differ`),
        ` between the API and the chain (block ${block}). A recent change may not be indexed yet; otherwise do not trust the data above.`)
      : h("p", { id: "chain-summary", class: "result-ok", "data-result": "match" },
        h("strong", {}, `✓ All ${rows.length} fields match`), ` the chain at block ${block} (ledger ${shortAddr(ledger)}).`),
    chainTable(rows));
  } catch (error) {
    clear(out).removeAttribute("aria-busy");
    out.append(h("p", { id: "chain-summary", class: "result-bad", "data-result": "error" },
      h("strong", {}, "The chain check failed: "), error instanceof ApiError ? [h("code", {}, error.code), " "] : "",
      error.message), rows.length ? chainTable(rows) : null);
  } finally {
    button.disabled = false;
  }
}

function chainTable(rows) {
  return h("div", { class: "table-scroll" }, h("table", { id: "chain-table", class: "chain-table" },
    h("caption", { class: "visually-hidden" }, "Field by field comparison of the API and the chain"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "What"), h("th", { scope: "col" }, "Field"),
      h("th", { scope: "col" }, "API says"), h("th", { scope: "col" }, "Chain says"), h("th", { scope: "col" }, "Result"))),
    h("tbody", {}, ...rows.map((r) => h("tr", { "data-match": String(r.match), class: r.match ? "row-ok" : "row-bad" },
      h("th", { scope: "row" }, r.subject), h("td", {}, r.field), h("td", {}, r.apiValue),
      h("td", {}, r.chainValue, r.note ? h("span", { class: "muted" }, ` (${r.note})`) : ""),
      h("td", { class: "match-cell" }, r.match ? "✓ match" : "✗ MISMATCH"))))));
}

// ------------------------------------------------------------------ start

async function showApiInfo() {
  $("api-base").textContent = apiBase();
  try {
    const health = await api.health();
    $("api-health").textContent = `· chain ${health.chain_id} · indexed block ${health.indexed_block}` +
      (health.status !== "ok" ? ` (index ${health.lag} blocks behind)` : "");
  } catch (error) {
    $("api-health").textContent = `· not reachable (${error.code || "error"})`;
  }
}

function start() {
  const params = new URLSearchParams(location.search);
  if (params.get("rpc")) $("rpc-url").value = params.get("rpc");
  $("lookup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = $("lot-input").value.trim();
    const id = parseLot(raw);
    if (id === null) {
      hideResults();
      announce("");
      showError(new ApiError("InvalidLotNumber", raw ? `“${raw}” is not a lot number: use digits only.`
        : "Enter the number of a parcel or consignment."), "Check the number");
      $("lot-input").setAttribute("aria-invalid", "true");
      $("lot-input").focus();
      return;
    }
    $("lot-input").removeAttribute("aria-invalid");
    state.focusAfterLoad = true;
    if (location.hash === `#/lot/${id}`) load(id);
    else location.hash = `#/lot/${id}`;
  });
  $("chain-form").addEventListener("submit", checkChain);
  setupDocumentCheck();
  setupStatistics();
  setupCertificate();
  window.addEventListener("hashchange", route);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (state.view && state.view.kind === "parcel" && state.routeModel) drawRoute(state.routeModel);
    }, 150);
  });
  showApiInfo();
  route();
}

start();
