// A lot's history as a timeline: one step per ledger event, in words, with its parties, seal and certificate.
import { certificateStatus, discrepancyWords } from "./certificate.js";
import { $ } from "./page.js";
import { badge, clear, fmtTime, h, isoTime, lotLink, party, reasonWords, sealEl, shortHash } from "./util.js";

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

export function renderTimeline(steps, parcelIds, certificates, edges = []) {
  const byKey = new Map(certificates.map((c) => [c.key, c]));
  const parentsOf = new Map();
  for (const e of edges) parentsOf.set(e.to, [...(parentsOf.get(e.to) || []), e.from].sort((a, b) => a - b));
  const list = clear($("timeline"));
  const offeredSeal = new Map(); // lot -> the seal of its latest offer (what the recipient should have found)
  for (const step of steps) {
    if (step.kind === "offered") offeredSeal.set(step.lot_id, { id: step.seal_id, label: step.seal_label });
    const kind = parcelIds.has(step.lot_id) ? "Parcel" : "Consignment";
    const sameParty = step.from && step.from === step.to;
    const parties = step.kind === "registered"
      ? ["by ", party(step.to_name, step.to, step.to_country)]
      : sameParty ? ["by ", party(step.from_name, step.from, step.from_country)]
        : ["from ", party(step.from_name, step.from, step.from_country), " to ",
          party(step.to_name, step.to, step.to_country)];
    let seal = null;
    if (step.kind === "transferred" && step.seal_id) {
      seal = h("p", { class: "seal" }, "Seal ", sealEl(step.seal_label, step.seal_id),
        " — ", h("strong", { class: "seal-ok" }, "✓ seal verified (the seal received is the seal offered)"));
    } else if (step.kind === "seal_mismatch") {
      const expected = offeredSeal.get(step.lot_id);
      seal = h("p", { class: "seal seal-bad" }, h("strong", {}, "✗ SEAL MISMATCH — transfer refused"),
        expected && expected.id ? [" · sent under seal ", sealEl(expected.label, expected.id)] : "",
        step.seal_id ? [" · recipient attested ", sealEl(step.seal_label, step.seal_id)] : "");
    } else if (step.seal_id) {
      seal = h("p", { class: "seal" }, "Seal ", sealEl(step.seal_label, step.seal_id));
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
