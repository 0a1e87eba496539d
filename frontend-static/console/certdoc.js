// The certificate's document in the IssueCertificate form: the kp-certificate/1 document whose SHA-256 the
// authority signs. Either composed by the ledger's API from the terms typed once plus the authority's particulars
// (POST /v1/documents/compose/certificate: the function `kp certificate compose` runs), or a document the
// authority uploads, checked against the terms field by field (POST /v1/documents/check/certificate: what `kp
// certificate issue` runs) before the wallet is asked anything: a document the ledger would refuse to file is
// refused here, with the filing's words. The composed or checked document is kept in the page, byte for byte, to be
// filed once the certificate is issued (papers.js).
import { ApiError, request } from "../api.js";
import { sha256 } from "../sha256.js";
import { clear, h, nameEl, plain } from "../util.js";
import { has, locale, t } from "./i18n.js";
import { toJson } from "./typed.js";
import { keccak256Text } from "../keccak.js";
import { InputError, SEAL_LABEL_MAX } from "./units.js";
import { frame, textWidget, uid } from "./widgets.js";
import { countryWords, hsWords, seal } from "./words.js";

/** The particulars the authority adds (CertificateParticulars of the API): field name -> sub-widget options. */
const PARTICULARS = [
  ["seal_label", { maxLength: SEAL_LABEL_MAX }], ["value_usd", { inputmode: "decimal" }],
  ["authority_address", { maxLength: 400 }], ["exporter_address", { maxLength: 400 }],
  ["importer_address", { maxLength: 400 }], ["officer", { maxLength: 200 }], ["place", { maxLength: 200 }],
];

/**
 * "41300000.00" from an amount typed in US dollars: digits, a dot or a comma before at most 2 decimals, spaces
 * grouping thousands (as weights are typed). Exact: text in, text out, never a float.
 */
export function parseUsd(text) {
  const raw = String(text ?? "").replace(/[\s\u00a0\u202f]/g, "");
  if (!raw) throw new InputError("err.required");
  const match = raw.match(/^(\d+)(?:[.,](\d{0,2}))?$/);
  if (!match) throw new InputError("err.usd");
  const whole = match[1].replace(/^0+(?=\d)/, "");
  if (whole.length > 15) throw new InputError("err.usd");
  return `${whole}.${((match[2] ?? "") + "00").slice(0, 2)}`;
}

/** "USD 41,300,000.00" (or "41 300 000,00 USD" in French), from the exact decimal text. */
export function formatUsd(value) {
  const [whole, cents] = String(value).split(".");
  const grouped = new Intl.NumberFormat(locale()).format(BigInt(whole));
  const decimal = new Intl.NumberFormat(locale(), { minimumFractionDigits: 1 }).formatToParts(1.5)
    .find((part) => part.type === "decimal")?.value ?? ".";
  return t("value.usd", { amount: `${grouped}${decimal}${cents}` });
}

/** The document's text as it will be anchored: UTF-8, refused when the bytes are not (their hash would differ). */
function utf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InputError("err.documentNotText");
  }
}

/** What a value of a disagreement reads as: text as is, anything else as its JSON. */
function stated(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A refusal of the API, drawn where the person reads it: its code and words, each field that disagrees (as the
 * filing's 422 names them), or each schema violation, then the API's own message. */
export function refusalBlock(error, id) {
  const list = [];
  const details = error.details || {};
  for (const d of details.disagreements || []) {
    list.push(h("li", { "data-field": d.field }, h("code", {}, d.field),
      has(`docfield.${d.field}`) ? ` (${t(`docfield.${d.field}`)})` : "", ": ",
      t("document.disagreement", { document: stated(d.document), terms: stated(d.ledger) })));
  }
  for (const v of details.violations || []) list.push(h("li", {}, h("code", {}, v.path), ": ", v.message));
  return h("div", { class: "error doc-refusal", id, role: "alert", "data-code": error.code },
    h("p", {}, h("code", { class: "error-code", "data-code": error.code }, error.code), " ",
      has(`code.${error.code}`) ? t(`code.${error.code}`) : ""),
    list.length ? h("ul", { class: "disagreements" }, ...list) : null,
    error.message ? h("p", { class: "error-detail" }, t("error.ledgerSays"), " ", h("q", {}, error.message)) : null);
}

/** The document's fields in words (the confirmation and the papers show it before it is signed or filed). */
export function documentFacts(doc) {
  const label = (key) => {
    const words = t(`docfield.${key}`);
    return words.charAt(0).toUpperCase() + words.slice(1);
  };
  const row = (key, ...value) => [h("dt", {}, label(key)), h("dd", { "data-doc": key }, ...value)];
  const party = (p) => [h("strong", {}, nameEl(p.name)), h("br"), p.address, p.account ? [h("br"), h("code", { class: "hash-full" }, p.account)] : ""];
  const origins = doc.origin.countries.map(countryWords).join(", ");
  return h("dl", { class: "facts doc-facts" },
    row("number", h("strong", {}, doc.number)),
    row("route", countryWords(doc.exporting_participant.code), " → ", countryWords(doc.importing_participant.code)),
    row("origin", doc.origin.mixed ? t("value.mixedOrigin", { codes: origins }) : origins),
    row("issue_date", doc.issue_date), row("expiry_date", doc.expiry_date),
    row("issuing_authority", ...party(doc.issuing_authority)),
    row("exporter", ...party(doc.exporter)), row("importer", ...party(doc.importer)),
    row("carats", `${doc.carats} ct`), row("value_usd", formatUsd(doc.value_usd)),
    row("number_of_parcels", String(doc.number_of_parcels)),
    row("hs_codes", doc.hs_codes.map((code) => hsWords(Number(code.replace(".", "")))).join(", ")),
    row("seal", seal(doc.seal.label, doc.seal.id, { full: true })),
    row("validation", t("document.validation", { officer: doc.validation.officer, place: doc.validation.place,
      date: doc.validation.date })),
    row("replaces", doc.replaces || "—"));
}

/** A link that saves the document's exact bytes (the ones anchored and filed) as a file. */
export function saveLink(held, id) {
  const url = URL.createObjectURL(new Blob([held.bytes], { type: "application/json" }));
  return h("a", { class: "button-link secondary", href: url, download: held.filename, id },
    t("document.save", { name: held.filename }));
}

/**
 * The read-back of the seal's label typed among the particulars: the label as it will be written in the document,
 * its seal id (keccak-256 of the label, as the ledger checks the document's `seal.label`), compared with the seal of
 * the consignment chosen (its label too, when the ledger knows it). A seal id typed for a label is said not to be one:
 * the document carries the label written on the seal, whose hash is the id.
 */
function sealBack(ctx) {
  return (label) => {
    const box = ctx.form.selected("consignmentId");
    const expected = box?.seal_id;
    const id = keccak256Text(label);
    if (expected && label.toLowerCase() === expected.toLowerCase()) return [t("readback.sealIdNotLabel"), "warn"];
    const shown = t("readback.sealLabel", { label, id });
    if (!expected) return shown;
    const same = expected.toLowerCase() === id;
    const expectedText = box.seal_label ? `${box.seal_label} (${expected})` : expected;
    return [t(same ? "readback.sealMatchesConsignment" : "readback.sealDiffersCertificate",
      { id: shown, expected: expectedText }), same ? "ok" : "warn"];
  };
}

/** The terms of the IssueCertificate message the API compares a document with (all but its documentHash). */
function termsOf(fields) {
  const terms = { ...fields };
  delete terms.documentHash;
  return terms;
}

export const CERT_WIDGETS = {
  /** documentHash of IssueCertificate: the SHA-256 of a kp-certificate/1 document composed or checked here. */
  certificateDocument(spec, ctx) {
    const name = `f-${spec.name}-${uid()}`;
    const modes = ["compose", "upload"].map((mode) => {
      const input = h("input", { type: "radio", name, id: `${name}-${mode}`, value: mode, checked: mode === "compose" });
      input.addEventListener("change", () => ctx.changed());
      return h("div", { class: "radio" }, input, h("label", { for: `${name}-${mode}` }, t(`document.mode.${mode}`)));
    });
    const mode = () => (modes[1].querySelector("input").checked ? "upload" : "compose");
    const inner = { ...ctx, prefill: {} };
    const particulars = PARTICULARS.map(([key, options]) => {
      const sub = { name: `${spec.name}.${key}`, type: "string", labelText: t(`particular.${key}`),
        hint: `hint.particular.${key}` };
      const parse = key === "value_usd" ? parseUsd : (raw) => {
        const value = raw.trim();
        if (!value) throw new InputError("err.required");
        if (key === "seal_label" && /\p{Cc}/u.test(value)) {
          throw new InputError("err.sealLabel", { max: SEAL_LABEL_MAX });
        }
        return value;
      };
      const back = key === "value_usd" ? (value) => formatUsd(value) : key === "seal_label" ? sealBack(ctx) : null;
      const attrs = { ...(options.maxLength ? { maxlength: options.maxLength } : {}),
        ...(options.inputmode ? { inputmode: options.inputmode } : {}) };
      return [key, textWidget(sub, inner, { attrs, parse, back })];
    });
    const composePanel = h("div", { class: "doc-panel", "data-mode": "compose" },
      h("p", { class: "hint" }, t("document.composeHint")), ...particulars.map(([, w]) => w.el));
    const file = h("input", { type: "file", accept: "application/json,.json", id: `${name}-file` });
    const uploadPanel = h("div", { class: "doc-panel", "data-mode": "upload" },
      h("label", { for: file.id }, t("document.uploadLabel")), file, h("p", { class: "hint" }, t("document.uploadHint")));
    const outcome = h("div", { class: "doc-outcome", "aria-live": "polite" });
    const group = h("div", { class: "doc-group" }, h("div", { class: "radio-group" }, ...modes), composePanel,
      uploadPanel, outcome);
    const f = frame({ ...spec, hint: "hint.certificateDocument" }, group, { group: true });
    let chosen = null; // {name, bytes, text} of the uploaded file
    let held = null; // the document composed or checked: {text, bytes, sha256, document, filename, source}
    file.addEventListener("change", async () => {
      chosen = null;
      held = null;
      const picked = file.files[0];
      if (picked) {
        const bytes = new Uint8Array(await picked.arrayBuffer());
        chosen = { name: picked.name, bytes };
      }
      ctx.changed();
    });
    const fail = (error) => {
      clear(outcome).append(refusalBlock(error, "document-refused"));
      throw new InputError("err.documentRefused", { code: error.code });
    };
    const widget = {
      el: f.el, focus: () => (mode() === "upload" ? file : particulars[0][1]).focus(),
      read() {
        if (mode() === "upload") {
          if (!chosen) throw new InputError("err.documentFile");
          utf8(chosen.bytes);
          return null; // the hash comes from the check (prepare)
        }
        let wrong = 0;
        for (const [, w] of particulars) {
          try {
            w.read();
            w.frame.error("");
          } catch (error) {
            if (!error.key) throw error;
            w.frame.error(t(error.key, error.params));
            wrong += 1;
          }
        }
        if (wrong) throw new InputError("err.particulars", { count: wrong });
        return null;
      },
      /** Composes or checks the document for the terms about to be signed; its SHA-256 is the field's value. */
      async prepare(fields) {
        held = null;
        clear(outcome).append(h("p", { class: "hint" }, t(mode() === "upload" ? "document.checking" : "document.composing")));
        const terms = termsOf(fields);
        try {
          if (mode() === "upload") {
            const text = utf8(chosen.bytes);
            const answer = await request("/v1/documents/check/certificate", post({ terms, document: text }));
            const { hash } = await sha256(chosen.bytes);
            if (answer.sha256 !== hash) throw new InputError("err.documentNotText");
            held = { text, bytes: chosen.bytes, sha256: hash, document: JSON.parse(text), filename: chosen.name,
              source: "uploaded" };
          } else {
            const values = Object.fromEntries(particulars.map(([key, w]) => [key, w.read()]));
            const answer = await request("/v1/documents/compose/certificate", post({
              terms, particulars: values, authority: ctx.inbox.address }));
            const bytes = new TextEncoder().encode(answer.text);
            const { hash } = await sha256(bytes);
            if (answer.sha256 !== hash) throw new ApiError("DocumentMismatch", t("document.hashDiffers"));
            held = { text: answer.text, bytes, sha256: hash, document: answer.document, filename: answer.filename,
              source: "composed" };
          }
        } catch (error) {
          if (error instanceof ApiError) fail(error);
          clear(outcome);
          throw error;
        }
        clear(outcome).append(h("p", { class: "result-ok", id: "document-ready" },
          t(`document.ready.${held.source}`, { name: held.filename, hash: held.sha256 })));
        return held.sha256;
      },
      /** What the confirmation shows beside the fields: the document itself, and a copy to save. */
      confirmExtra() {
        if (!held) return null;
        return h("section", { class: "doc-preview", id: "confirm-document", "aria-labelledby": "confirm-document-heading" },
          h("h3", { id: "confirm-document-heading" }, t(`document.preview.${held.source}`, { name: held.filename })),
          h("p", { class: "hint" }, t("document.previewHint", { hash: held.sha256 })),
          documentFacts(held.document),
          h("p", {}, saveLink(held, "confirm-document-save")),
          h("details", { class: "raw" }, h("summary", {}, t("document.json")),
            h("pre", { tabindex: "0", id: "confirm-document-json" }, plain(held.text))));
      },
      /** The document held for this form (composed or checked), to file once the certificate is issued. */
      held: () => held,
      describe: (value) => (held && held.sha256 === value
        ? t(`document.describe.${held.source}`, { name: held.filename, hash: value }) : String(value)),
      update() {
        composePanel.hidden = mode() !== "compose";
        uploadPanel.hidden = mode() !== "upload";
        for (const [, w] of particulars) w.update();
        if (mode() === "upload" && chosen && !held) f.readback(t("readback.documentChosen", { name: chosen.name }));
        else f.readback("");
      },
    };
    return widget;
  },
};

/** A POST of `body` as JSON, uints (BigInt) as exact JSON numbers, as the write API takes them. */
function post(body) {
  return { method: "POST", body: toJson(body),
    headers: { Accept: "application/json", "Content-Type": "application/json" } };
}
