// The direct check against the chain: the lot shown, its parcels and certificates read through a JSON-RPC node the
// user names from the contracts of the pinned deployment (never addresses from the API being checked), and compared
// field by field with what the API said.
import { ApiError, pinnedConfig } from "./api.js";
import { CERTIFICATE_STATUS, CONSIGNMENT_STATUS, PARCEL_STATUS, Rpc, originCodes, saveNode } from "./chain.js";
import { $, state } from "./page.js";
import { clear, fmtTime, h, shortAddr, shortHash } from "./util.js";

function sameAddress(a, b) {
  return Boolean(a && b) && a.toLowerCase() === b.toLowerCase();
}

export async function checkChain(event) {
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
  saveNode(url);
  const button = $("chain-check");
  button.disabled = true;
  out.setAttribute("aria-busy", "true");
  out.append(h("p", {}, `Reading the contracts from ${url}…`));
  const rows = [];
  const row = (subject, field, apiValue, chainValue, match, note = "") =>
    rows.push({ subject, field, apiValue: String(apiValue), chainValue: String(chainValue), match, note });
  try {
    const config = await pinnedConfig();
    const ledger = config.contracts.KPLedger;
    const rpc = new Rpc(url);
    const [chainId, block] = await Promise.all([rpc.chainId(), rpc.blockNumber()]);
    row("network", "chain id", config.chain_id, chainId, chainId === config.chain_id);
    const certificatesAddress = await rpc.certificatesAddress(ledger);
    row("KPLedger", "certificates contract", shortAddr(config.contracts.KPCertificates), shortAddr(certificatesAddress),
      sameAddress(certificatesAddress, config.contracts.KPCertificates));
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
