// What the person checks before signing (every typed field in words and as signed, the EIP-712 type, the contract,
// chain, signer and digest) and what the ledger recorded after (its results in words, links to the viewer). app.js
// draws them.
import { clear, h, nameEl, plainJson } from "../util.js";
import { has, t } from "./i18n.js";
import { fieldSpecs } from "./forms.js";
import { viewerLink } from "./views.js";
import { countryWords, fmtTime, party } from "./words.js";

const $ = (id) => document.getElementById(id);

export function drawConfirm({ pending, form, inbox, account }) {
  const { action, typed, payload } = pending;
  $("confirm-heading").textContent = t("confirm.heading", { action: t(`action.${action.action}`) });
  const rows = clear($("confirm-rows"));
  const specs = fieldSpecs(action);
  for (const field of action.types[action.primary_type]) {
    const value = typed.message[field.name];
    const spec = specs.find((s) => s.name === field.name);
    const label = spec ? t(spec.labelKey) : t(`field.${field.name}`);
    const words = spec ? form.built.describe(field.name, value)
      : field.name === "deadline" ? fmtTime(value)
        : field.name === "signer" && inbox && inbox.name ? `${inbox.name} (${value})` : String(value);
    rows.append(h("tr", { "data-field": field.name },
      h("th", { scope: "row" }, label, h("br"), h("code", { class: "muted" }, `${field.name} (${field.type})`)),
      h("td", {}, words),
      h("td", {}, h("code", { class: "hash-full" }, signedText(payload.message[field.name])))));
  }
  const domain = clear($("confirm-domain"));
  domain.append(
    h("dt", {}, t("confirm.type")), h("dd", {}, h("code", { id: "confirm-type" }, typed.primaryType)),
    h("dt", {}, t("confirm.contract")), h("dd", { id: "confirm-contract" }, `${typed.domain.name} `,
      h("code", { class: "hash-full" }, typed.domain.verifyingContract)),
    h("dt", {}, t("confirm.chain")), h("dd", {}, String(typed.domain.chainId)),
    h("dt", {}, t("confirm.signer")), h("dd", { id: "confirm-signer" }, inbox && inbox.name
      ? [h("strong", {}, nameEl(inbox.name)), " "] : "", h("code", { class: "hash-full" }, account)),
    h("dt", {}, t("confirm.digest")), h("dd", {}, h("code", { class: "hash-full", id: "confirm-digest" }, pending.digest)));
  $("confirm-json").textContent = plainJson(payload, 2);
  clear($("confirm-extra")).append(...form.built.confirmExtras()); // a certificate's document, composed or checked
}

function signedText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function drawResult(action, message, answer, { inbox, accounts }) {
  const out = clear($("progress-result"));
  const result = answer.result || {};
  const lots = new Set(); // ids as text: the answer's numbers and the message's BigInts name the same lots
  for (const key of ["parcel_id", "consignment_id", "lot_id"]) if (result[key] !== undefined) lots.add(String(result[key]));
  for (const id of result.child_ids || []) lots.add(String(id));
  for (const key of ["lotId", "consignmentId", "parcelId"]) if (message[key] !== undefined) lots.add(String(message[key]));
  const cert = action.action.includes("Certificate") || message.number !== undefined
    ? (inbox.certificates_to_confirm || []).concat(inbox.certificates_issued_open || [])
      .find((c) => c.number === message.number) : null;
  if (cert) lots.add(String(cert.consignment_id));
  const facts = [];
  for (const [key, value] of Object.entries(result)) {
    if (key === "certificate_key") continue; // a key means nothing to a person: the certificate's number says it
    facts.push(h("dt", {}, t(has(`result.${key}`) ? `result.${key}` : "result.other", { key })),
      h("dd", { "data-result": key }, resultWords(key, value, message, accounts)));
  }
  out.append(h("p", { class: "result-ok", id: "write-done" }, h("strong", {}, t("progress.done"))));
  if (result.transferred === false) out.append(h("p", { class: "note warn", id: "seal-mismatch" }, t("progress.sealMismatch")));
  if (facts.length) out.append(h("dl", { class: "facts" }, ...facts));
  if (lots.size) {
    out.append(h("p", {}, t("progress.viewer")),
      h("ul", { class: "viewer-links" }, ...[...lots].map((id) => h("li", {}, viewerLink(String(id))))));
  }
}

/** A result of a write in words: an account by name (the name just signed, or the one the form looked up), a
 * participant with its name, anything else as the ledger answered it. */
function resultWords(key, value, message, accounts) {
  if (key === "account" && value) {
    const known = accounts.get(String(value).toLowerCase());
    return party(message.name || (known && known.name) || null, value, known ? known.participant : message.participant);
  }
  if (key === "participant" && value) return countryWords(value);
  if (key === "certificate_number") return value || t("result.domestic");
  return Array.isArray(value) ? value.join(", ") : String(value);
}
