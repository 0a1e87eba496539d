// A KP certificate's public verification page (#/certificate/NUMBER: what the certificate's QR code opens). For a
// border officer on a phone: the certificate's status in words and colour, the facts to compare with the paper and
// the container (route, parties, carats, parcels, HS codes, origins, dates, seal), the corrections (supersede
// links, a discrepancy and its resolution), a file check (the document or the ledger's printed PDF, hashed here
// with SHA-256: the ledger's verdict, filecheck.js) and a direct check against the chain (eth_call of
// certificate(number)).
import { api, apiBase, ApiError, pinnedConfig } from "./api.js";
import { CERTIFICATE_STATUS, Rpc, savedNode, saveNode } from "./chain.js";
import { checkFile } from "./filecheck.js";
import {
  clear, fact, fmtCarats, fmtTime, h, hsWords, isoTime, onFileChosen, party, reasonWords, sealEl, shortAddr, shortHash,
} from "./util.js";

const $ = (id) => document.getElementById(id);
const NUMBER = /^[A-Z]{2}[A-Z0-9-]{1,30}$/;

const page = { certificate: null, token: 0, countryName: (code) => code };

/** What a person reads as the status: a voided certificate that a correction replaced is "superseded". */
export function certificateStatus(c) {
  return c.status === "voided" && c.superseded_by ? "superseded" : c.status;
}

// the status in words: a headline (with a symbol, so colour is never the only cue) and what it means at a border
const STATUS = {
  issued: ["✓ Valid", "Issued and not yet used: it covers one border crossing of this consignment until it expires."],
  delivered: ["● Used — import not yet confirmed",
    "The consignment crossed the border under this certificate; the importing authority has not confirmed the import yet. It cannot be used again."],
  confirmed: ["✓ Import confirmed", "The consignment crossed under this certificate and the importing authority confirmed the import. It cannot be used again."],
  disputed: ["⚠ Disputed", "The importing authority recorded a discrepancy at import that is not resolved."],
  voided: ["✗ Voided", "Withdrawn by the issuing authority: it authorises nothing."],
  expired: ["✗ Expired", "Not used before its expiry date: it authorises nothing."],
  superseded: ["✗ Superseded", "Voided and replaced by a corrected certificate: only the replacement counts."],
};

export function statusWords(status) {
  return STATUS[status] || [status, ""];
}

/** "weight differs (code 2), recorded on …; resolved by the importing authority's confirmation on …" */
export function discrepancyWords(c) {
  const d = c.discrepancy;
  if (!d) return "";
  const recorded = `${d.reason_text} (code ${d.reason}), recorded on ${fmtTime(d.timestamp)}`;
  return c.resolution ? `${recorded}; resolved by the importing authority's confirmation on ${fmtTime(c.resolution.timestamp)}`
    : `${recorded}; not resolved`;
}

export function isCertificateRoute() {
  return /^#\/certificate(\/|$)/.test(location.hash);
}

function numberFromLocation() {
  const match = location.hash.match(/^#\/certificate\/([^/?#]*)/);
  return match ? decodeURIComponent(match[1]).trim().toUpperCase() : "";
}

function announce(text) {
  $("status").textContent = text;
}

function certLink(number) {
  return h("a", { href: `#/certificate/${encodeURIComponent(number)}` }, number);
}

function country(code) {
  const name = page.countryName(code);
  return name && name !== code ? `${name} (${code})` : code;
}

// ------------------------------------------------------------------ showing a certificate

export function hideCertificate() {
  $("certificate-section").hidden = true;
  page.certificate = null;
}

/** Shows the page for the number in the location (or the number form alone); `countryName(code)` names codes. */
export async function showCertificate({ countryName } = {}) {
  if (countryName) page.countryName = countryName;
  const number = numberFromLocation();
  const section = $("certificate-section");
  section.hidden = false;
  $("cert-number-input").value = number;
  // the heading and the file check follow the number asked for, before it is found (or not)
  $("cert-heading").textContent = NUMBER.test(number) ? `KP certificate ${number}` : "Check a KP certificate";
  page.certificate = null;
  for (const id of ["cert-body", "cert-error"]) $(id).hidden = true;
  if (!number) {
    announce("");
    return;
  }
  if (!NUMBER.test(number)) {
    showCertError(new ApiError("InvalidCertificateNumber", `“${number}” is not a KP certificate number: two letters (the issuing participant's ISO code) and up to 30 letters, digits or dashes.`));
    return;
  }
  const token = ++page.token;
  announce(`Loading certificate ${number}…`);
  section.setAttribute("aria-busy", "true");
  try {
    const certificate = await api.certificate(number);
    if (token !== page.token) return;
    page.certificate = certificate;
    render(certificate);
    announce(`Certificate ${number}: ${statusWords(certificateStatus(certificate))[0].replace(/^\W+\s*/, "")}.`);
  } catch (error) {
    if (token !== page.token) return;
    showCertError(error, /NotFound$/.test(error.code || "") ? `No KP certificate ${number} on this ledger`
      : `Could not load certificate ${number}`);
  } finally {
    if (token === page.token) section.removeAttribute("aria-busy");
  }
}

function showCertError(error, title = "Check the number") {
  page.certificate = null;
  $("cert-body").hidden = true;
  const box = clear($("cert-error"));
  box.append(h("p", { class: "error-title" }, title),
    h("p", {}, h("code", { class: "error-code" }, error.code || "Error"), " ", error.message || String(error)));
  box.hidden = false;
  announce("");
}

function render(c) {
  const status = certificateStatus(c);
  const [headline, meaning] = statusWords(status);
  $("cert-heading").textContent = `KP certificate ${c.number}`;
  const banner = $("cert-status");
  banner.dataset.status = status;
  clear(banner).append(...[
    h("p", { class: "cert-status-headline", id: "cert-status-text" }, headline),
    h("p", { class: "cert-status-meaning" }, meaning),
    status === "issued" ? h("p", {}, `Valid until ${fmtTime(c.expires_at)}.`) : null,
    c.superseded_by ? h("p", { id: "cert-replaced-by" }, "Replaced by ", certLink(c.superseded_by), ".") : null,
  ].filter(Boolean));

  const facts = clear($("cert-facts"));
  facts.append(
    ...fact("Route", `${country(c.exporter)} → ${country(c.importer)}`),
    ...fact("Exporter", party(c.exporter_name, c.exporter_account, c.exporter)),
    ...fact("Importer", party(c.importer_name, c.importer_account, c.importer)),
    ...fact("Issuing authority", party(c.issued_by_name, c.issued_by, c.exporter)),
    ...fact("Carat weight", fmtCarats(c.carats)),
    ...fact("Number of parcels", String(c.parcel_count)),
    ...fact("HS code(s)", c.hs_codes.map(hsWords).join(", ")),
    ...fact("Origin", c.mixed_origin ? `mixed origin (*): ${c.origins.map(country).join(", ")}` : country(c.origins[0])),
    ...fact("Date of issue", h("time", { datetime: isoTime(c.issued_at) }, fmtTime(c.issued_at))),
    ...fact("Date of expiry", h("time", { datetime: isoTime(c.expires_at) }, fmtTime(c.expires_at))),
    ...fact("Seal", sealEl(c.seal_label, c.seal_id, { full: true })),
    ...fact("Consignment", h("a", { href: `#/lot/${c.consignment_id}` }, `consignment ${c.consignment_id}`),
      ` (${c.parcels.map((p) => `parcel ${p.id}`).join(", ") || "no parcels"})`),
    ...fact("Anchored on chain", `block ${c.issued_block}, transaction `,
      h("code", { class: "hash", title: c.issued_tx }, shortHash(c.issued_tx))),
    ...fact("Document hash", h("code", { class: "hash-full" }, c.document_hash)),
  );

  const corrections = clear($("cert-corrections"));
  if (c.replaces) corrections.append(h("li", { id: "cert-replaces" }, "Replaces ", certLink(c.replaces),
    ", voided by the issuing authority and superseded by this corrected certificate."));
  if (c.superseded_by) corrections.append(h("li", {}, "Replaced by ", certLink(c.superseded_by),
    ": this certificate was voided and corrected; only the replacement counts."));
  if (c.discrepancy) {
    corrections.append(h("li", { id: "cert-discrepancy", "data-resolved": String(Boolean(c.resolution)) },
      h("strong", {}, "Discrepancy: "), `${c.discrepancy.reason_text} (code ${c.discrepancy.reason}), recorded by `,
      party(c.discrepancy.authority_name, c.discrepancy.authority, c.importer), ` on ${fmtTime(c.discrepancy.timestamp)}.`,
      c.resolution ? [" ", h("strong", {}, "Resolved: "),
        `the importing authority confirmed the import on ${fmtTime(c.resolution.timestamp)}.`]
        : [" ", h("strong", {}, "Not resolved.")]));
  }
  $("cert-corrections-block").hidden = corrections.childElementCount === 0;

  const history = clear($("cert-history"));
  for (const e of c.history) {
    history.append(h("li", { "data-event": e.event },
      h("strong", {}, eventWords(e, c)), " · ",
      h("time", { datetime: isoTime(e.timestamp) }, fmtTime(e.timestamp)), ` · block ${e.block} · tx `,
      h("code", { title: e.tx }, shortHash(e.tx))));
  }
  $("cert-slip").setAttribute("href", `${apiBase()}/v1/certificates/${encodeURIComponent(c.number)}/slip.pdf`);
  clear($("cert-doc-result"));
  $("cert-doc-file").value = "";
  clear($("cert-chain-result"));
  $("cert-body").hidden = false;
}

function eventWords(e, c) {
  switch (e.event) {
    case "CertificateIssued": return `Issued (${c.exporter} → ${c.importer})`;
    case "CertificateUsed": return "Used: the consignment crossed the border to the importer";
    case "ImportConfirmed": return "Import confirmed by the importing authority";
    case "ImportDiscrepancy": return `Discrepancy recorded: ${reasonWords(e.reason)}`;
    case "CertificateVoided": return `Voided: ${reasonWords(e.reason)}`;
    case "CertificateSuperseded":
      return e.by === c.number ? `Supersedes ${e.replaced}` : `Superseded by ${e.by}`;
    default: return e.event;
  }
}

// ------------------------------------------------------------------ file check

async function checkDocument(file) {
  const out = clear($("cert-doc-result"));
  const c = page.certificate;
  if (!file || !c) return;
  const answer = await checkFile(file, out, { id: "cert-doc-verdict", context: { certificate: c.number } });
  if (answer && !(c.document && c.document.printed_sha256)) {
    out.append(h("p", { class: "hint" }, "No printed PDF is on record for this certificate (its document is not filed with this ledger): only the document itself can be checked."));
  }
}

// ------------------------------------------------------------------ chain check

function same(a, b) {
  return String(a || "").toLowerCase() === String(b || "").toLowerCase();
}

const ZERO32 = `0x${"0".repeat(64)}`;

async function checkChain(event) {
  event.preventDefault();
  const c = page.certificate;
  const out = clear($("cert-chain-result"));
  if (!c) return;
  const url = $("cert-rpc-url").value.trim();
  if (!/^https?:\/\/\S+$/i.test(url)) {
    out.append(h("p", { id: "cert-chain-summary", class: "result-bad", "data-result": "error" },
      "Enter the JSON-RPC URL of a node, for example http://127.0.0.1:8545."));
    $("cert-rpc-url").focus();
    return;
  }
  saveNode(url);
  const button = $("cert-chain-check");
  button.disabled = true;
  out.setAttribute("aria-busy", "true");
  out.append(h("p", {}, `Reading certificate ${c.number} from ${url}…`));
  const rows = [];
  const row = (field, apiValue, chainValue, match) => rows.push({ field, apiValue: String(apiValue), chainValue: String(chainValue), match });
  try {
    const config = await pinnedConfig(); // the deployment's contracts, not those the API shown names
    const rpc = new Rpc(url);
    const [chainId, block] = await Promise.all([rpc.chainId(), rpc.blockNumber()]);
    row("chain id", config.chain_id, chainId, chainId === config.chain_id);
    const certificates = await rpc.certificatesAddress(config.contracts.KPLedger);
    row("certificates contract", shortAddr(config.contracts.KPCertificates), shortAddr(certificates),
      same(certificates, config.contracts.KPCertificates));
    const onChain = await rpc.certificate(certificates, c.number);
    if (onChain.status === 0) {
      row("exists", "yes", "no such certificate", false);
    } else {
      const chainStatus = CERTIFICATE_STATUS[onChain.status] || String(onChain.status);
      const apiStatus = c.status === "expired" ? "issued" : c.status; // "expired": issued, past its expiry
      row("status", c.status, chainStatus, chainStatus === apiStatus);
      row("superseded", c.superseded_by ? `yes, by ${c.superseded_by}` : "no", onChain.superseded ? "yes" : "no",
        onChain.superseded === Boolean(c.superseded_by));
      row("document hash", shortHash(c.document_hash), shortHash(onChain.documentHash), same(onChain.documentHash, c.document_hash));
      row("route", `${c.exporter} → ${c.importer}`, `${onChain.exporter} → ${onChain.importer}`,
        onChain.exporter === c.exporter && onChain.importer === c.importer);
      row("exporter account", shortAddr(c.exporter_account), shortAddr(onChain.exporterAccount), same(onChain.exporterAccount, c.exporter_account));
      row("importer account", shortAddr(c.importer_account), shortAddr(onChain.importerAccount), same(onChain.importerAccount, c.importer_account));
      row("consignment", c.consignment_id, onChain.consignmentId, onChain.consignmentId === c.consignment_id);
      row("issued", fmtTime(c.issued_at), fmtTime(onChain.issuedAt), onChain.issuedAt === c.issued_at);
      row("expires", fmtTime(c.expires_at), fmtTime(onChain.expiresAt), onChain.expiresAt === c.expires_at);
      if (c.replaces) {
        const replaced = await api.certificate(c.replaces);
        row("replaces", c.replaces, shortHash(onChain.replaces), same(onChain.replaces, replaced.key));
      } else {
        row("replaces", "nothing", onChain.replaces === ZERO32 ? "nothing" : shortHash(onChain.replaces), onChain.replaces === ZERO32);
      }
    }
    const bad = rows.filter((r) => !r.match);
    clear(out).removeAttribute("aria-busy");
    out.append(bad.length
      ? h("p", { id: "cert-chain-summary", class: "result-bad", "data-result": "mismatch" },
        h("strong", {}, `✗ ${bad.length} of ${rows.length} fields differ`), ` between this page and the chain (block ${block}).`)
      : h("p", { id: "cert-chain-summary", class: "result-ok", "data-result": "match" },
        h("strong", {}, `✓ All ${rows.length} fields match`), ` the chain at block ${block}.`),
    table(rows));
  } catch (error) {
    clear(out).removeAttribute("aria-busy");
    out.append(h("p", { id: "cert-chain-summary", class: "result-bad", "data-result": "error" },
      h("strong", {}, "The chain check failed: "), error instanceof ApiError ? [h("code", {}, error.code), " "] : "",
      error.message), rows.length ? table(rows) : null);
  } finally {
    button.disabled = false;
  }
}

function table(rows) {
  return h("div", { class: "table-scroll", role: "region", "aria-label": "Chain check", tabindex: "0" },
    h("table", { id: "cert-chain-table", class: "chain-table" },
      h("caption", { class: "visually-hidden" }, "The certificate on this page and on the chain, field by field"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "This page"),
        h("th", { scope: "col" }, "Chain"), h("th", { scope: "col" }, "Result"))),
      h("tbody", {}, ...rows.map((r) => h("tr", { "data-match": String(r.match), class: r.match ? "row-ok" : "row-bad" },
        h("th", { scope: "row" }, r.field), h("td", {}, r.apiValue), h("td", {}, r.chainValue),
        h("td", { class: "match-cell" }, r.match ? "✓ match" : "✗ MISMATCH"))))));
}

// ------------------------------------------------------------------ wiring

export function setupCertificate() {
  $("cert-number-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const number = $("cert-number-input").value.trim().toUpperCase();
    location.hash = `#/certificate/${encodeURIComponent(number)}`;
  });
  onFileChosen($("cert-doc-file"), $("cert-doc-drop"), checkDocument);
  $("cert-chain-form").addEventListener("submit", checkChain);
  $("cert-rpc-url").value = savedNode();
}
