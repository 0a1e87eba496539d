// A file checked against the ledger, on a lot's page and on a certificate's page: hashed here (SHA-256; nothing is
// uploaded), the hash alone sent to the API (GET /v1/verify/{sha256}), and the API's verdict shown in its own words:
// genuine or not, whose it is, and that record's status now (backend/kpledger/queries/verdicts.py). `kp` and the API
// say the same words for the same file.
import { api } from "./api.js";
import { hashFile } from "./sha256.js";
import { clear, h } from "./util.js";

const TONE = { ok: "result-ok", warn: "result-warn", bad: "result-bad" };

function recordLink(record) {
  return record.kind === "certificate"
    ? h("a", { href: `#/certificate/${encodeURIComponent(record.reference)}` }, `certificate ${record.reference}`)
    : h("a", { href: `#/lot/${encodeURIComponent(record.reference)}` }, `parcel ${record.reference}`);
}

/** The verdict as a paragraph: its words (the headline in bold), its code and tone as data attributes. */
export function verdictEl(answer, id) {
  const v = answer.verdict;
  return h("p", {
    id, class: TONE[v.tone] || "result-bad", "data-code": v.code, "data-tone": v.tone, "data-good": String(v.good),
    "data-match": String(answer.matches), "data-kind": answer.matches && v.record ? v.record.match : null,
  }, h("strong", {}, `${v.headline}.`), ` ${v.file_words}`, v.status_words ? ` ${v.status_words}` : "");
}

/** Hashes `file`, asks the API for its verdict for what the page shows (`context`: {certificate} or {lot}) and shows
 * it in `out` as element `id`; the answer, or null (the reason shown). A file chosen later replaces it. */
export async function checkFile(file, out, { id, context }) {
  const token = String(Number(out.dataset.token || 0) + 1);
  out.dataset.token = token;
  clear(out);
  const read = await hashFile(file, out);
  if (!read || out.dataset.token !== token) return null;
  const { bytes, hash, method } = read;
  const hashLine = h("p", { class: "doc-hash" }, `${file.name} (${bytes.byteLength.toLocaleString("en-GB")} bytes), `
    + "SHA-256 ", h("code", { class: "hash-full" }, hash), ` via ${method}.`);
  out.setAttribute("aria-busy", "true");
  try {
    const answer = await api.verdict(hash, context);
    if (out.dataset.token !== token) return null;
    const v = answer.verdict;
    clear(out).append(verdictEl(answer, id), hashLine);
    if (v.code === "other-record" && v.record) out.append(h("p", {}, "Open ", recordLink(v.record), "."));
    return answer;
  } catch (error) {
    if (out.dataset.token !== token) return null;
    clear(out).append(h("p", { id, class: "result-bad", "data-code": "error" },
      h("strong", {}, "The ledger could not be asked about this file: "), h("code", {}, error.code || "Error"), " ",
      error.message), hashLine);
    return null;
  } finally {
    if (out.dataset.token === token) out.removeAttribute("aria-busy");
  }
}
