// The document check: a file hashed here with SHA-256, compared with the documents anchored for the lot shown,
// then looked up through the API.
import { api } from "./api.js";
import { $, state } from "./page.js";
import { hashFile } from "./sha256.js";
import { badge, clear, h, lotLink, onFileChosen } from "./util.js";

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
  const read = await hashFile(file, out);
  if (!read) return;
  const { bytes, hash, method } = read;
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

export function setupDocumentCheck() {
  onFileChosen($("doc-file"), $("doc-drop"), checkDocument);
}
