// The lot's page: its facts, its lineage and route graphs, its certificates and parcels, and the QR codes;
// the verdict and the timeline come from their own modules.
import { certificateStatus, discrepancyWords } from "./certificate.js";
import { fitLineage, lineageSvg, routeModel, routeSvg } from "./graphs.js";
import { $, country, hideResults, state } from "./page.js";
import { lotQr } from "./qr.js";
import { renderTimeline } from "./timeline.js";
import {
  badge, clear, fact, fmtCarats, fmtTime, h, hsText, hsWords, isoTime, lotLink, originWords, party, sealEl, shortHash,
} from "./util.js";
import { renderVerdict } from "./verdict.js";

export function render(view) {
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
      ...fact("Seal", sealEl(lot.seal_label, lot.seal_id)),
      ...fact("Sealed", `${fmtTime(lot.created_at)} · block ${lot.created_block}`),
      ...fact("Certificate", lot.certificate ? `${lot.certificate.number} (${lot.certificate.status})` : "none"),
    );
  }
  if (lot.offer) {
    facts.append(...fact("Pending offer", ["to ", party(lot.offer.to_name, lot.offer.to), " under seal ",
      sealEl(lot.offer.seal_label, lot.offer.seal_id)]));
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

function renderLineage(lineage, id) {
  const box = clear($("lineage-container"));
  const svg = lineageSvg(lineage, id);
  box.append(svg);
  $("lineage-section").hidden = false;
  fitLineage(svg); // measured once laid out
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

export function drawRoute(model) {
  const box = clear($("route-container"));
  const width = box.clientWidth || document.documentElement.clientWidth - 48;
  box.append(routeSvg(model, state.countryNames, width));
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
        h("p", {}, `${fmtCarats(p.carats)} · ${p.stones} stones · HS ${hsText(p.hs_code)}`),
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
