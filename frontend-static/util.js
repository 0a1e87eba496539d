// Small DOM and formatting helpers shared by the viewer's and the console's modules. Everything that comes from the
// API or the chain is inserted as text (never as HTML), with its bidi controls shown (plain), and names isolated
// (<bdi>), so that no name can reorder the text around it.

import { ignoredApi } from "./api.js";
import { labelMatches } from "./keccak.js";

const SVG_NS = "http://www.w3.org/2000/svg";

// Unicode's bidi controls: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), the marks LRM, RLM
// and ALM. A ledger name carrying U+202E (RIGHT-TO-LEFT OVERRIDE) would draw the rest of its line backwards. No text
// of the pages needs one (en/fr; Intl's output in these locales carries none), so each is shown as "[U+202E]".
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const hex4 = (c) => c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");

/** Text with its bidi control characters shown ("[U+202E]") instead of obeyed. */
export function plain(text) {
  return String(text).replace(BIDI_CONTROLS, (c) => `[U+${hex4(c)}]`);
}

/** JSON with the bidi controls in its strings escaped (\u202e): the same value, drawn as written. */
export function plainJson(value, space = 0) {
  return JSON.stringify(value, null, space).replace(BIDI_CONTROLS, (c) => `\\u${hex4(c)}`);
}

/** A name from the ledger: isolated from the text around it (<bdi>), its bidi controls shown. */
export function nameEl(name, attrs = {}) {
  return h("bdi", attrs, name);
}

/** h("p", {class: "x"}, "text", child, [more]) -> HTMLElement; attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Same as h() for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : key === "value" ? String(value) : plain(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : plain(child));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 -> 0x15d3…6A65 */
export function shortAddr(address) {
  if (!address) return "—";
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** A 32-byte hash shortened for display: 0x3db257…f034b */
export function shortHash(hash) {
  if (!hash) return "—";
  return hash.length > 16 ? `${hash.slice(0, 8)}…${hash.slice(-6)}` : hash;
}

// How a person reads the ledger's values: weights, HS codes, countries and times. The CLI and the printed certificate
// write them the same way (backend/kpledger/core/words.py; tests/pages/test_viewer.py compares both on the same
// values).

/** Unix seconds -> "2026-11-28 14:04 UTC" (the same in every browser and locale, as the CLI and the verdict write it) */
export function fmtTime(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** ISO timestamp for <time datetime> */
export function isoTime(seconds) {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** "12345.6" -> "12,345.60 ct": exact (the API sends carats as decimal strings; no float arithmetic). */
export function fmtCarats(carats) {
  const [whole, frac = ""] = String(carats).split(".");
  const negative = whole.startsWith("-");
  const grouped = BigInt(negative ? whole.slice(1) : whole).toLocaleString("en-GB");
  return `${negative ? "-" : ""}${grouped}.${(frac + "00").slice(0, 2)} ct`;
}

const HS = { 710210: "unsorted", 710221: "industrial", 710231: "non-industrial (gem)" };

/** 710231 -> "7102.31": an HS code as the KP certificate writes it. */
export function hsText(code) {
  return `${String(code).slice(0, 4)}.${String(code).slice(4)}`;
}

/** 710231 -> "7102.31 non-industrial (gem)": an HS code with its words. */
export function hsWords(code) {
  return HS[code] ? `${hsText(code)} ${HS[code]}` : String(code);
}

/** ("BW", "Botswana") -> "Botswana (BW)": a participant by its name on the ledger, the code alone without one. */
export function countryWords(code, name) {
  if (!code) return "—";
  return name && name !== code ? `${name} (${code})` : String(code);
}

/** Origins as words: "BW" or "mixed: BW, CA" */
export function originWords(origins) {
  if (!origins || origins.length === 0) return "—";
  return origins.length > 1 ? `mixed: ${origins.join(", ")}` : origins[0];
}

// Reason codes used in rejectOffer, recordDiscrepancy and voidCertificate (an off-chain convention, docs/pages/model.md).
const REASONS = {
  1: "documents missing or wrong", 2: "weight differs", 3: "contents differ", 4: "seal or container damaged",
  5: "recipient not expecting the goods", 6: "issued in error", 7: "superseded by a corrected certificate",
};

export function reasonWords(code) {
  return REASONS[code] ? `${REASONS[code]} (code ${code})` : `code ${code}`;
}

/** The viewer URL of a lot (what its QR code carries): keeps an ?api= the page follows, drops ?lot= and ?rpc=. */
export function lotUrl(id) {
  const params = new URLSearchParams(location.search);
  params.delete("lot");
  params.delete("rpc");
  if (ignoredApi()) params.delete("api");
  const query = params.toString();
  return `${location.origin}${location.pathname}${query ? `?${query}` : ""}#/lot/${id}`;
}

/**
 * An account as a person reads it: the company's or authority's name first, the address one click away (a small
 * "0x12…34" button that copies the full address, which is also its title). `country` is its participant's code.
 */
export function party(name, address, country = null) {
  if (!address) return h("span", { class: "party muted" }, "—");
  const copy = h("button", {
    type: "button", class: "addr", title: address, "data-address": address,
    "aria-label": `${shortAddr(address)}: copy the full address ${address}${name ? ` of ${name}` : ""}`,
  }, shortAddr(address));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(address);
      copy.dataset.copied = "true";
      copy.textContent = "copied";
      setTimeout(() => { copy.textContent = shortAddr(address); delete copy.dataset.copied; }, 1500);
    } catch {
      window.prompt("Copy the address:", address); // clipboard refused (plain http): the address in a field
    }
  });
  return h("span", { class: "party", "data-address": address },
    name ? nameEl(name, { class: "party-name" }) : h("span", { class: "party-name muted" }, "unnamed account"),
    " ", copy, country ? h("span", { class: "party-country" }, ` ${country}`) : null);
}

const SEAL_WORDS = {
  matches: "✓ label matches the anchored seal", differs: "✗ this label does not hash to the seal id",
  unknown: "label unknown: the ledger holds the seal id only",
};

/**
 * A seal as a person compares it with the container: its label ("BAG-0901") with its id small beside it (the id in
 * full as its title, or in full when `full`), and the check of the label against the id, made here (keccak-256):
 * "label matches the anchored seal" only when it does. A seal whose label the ledger never learnt reads as its id,
 * saying so. `words` translates the notes (the console's languages).
 */
export function sealEl(label, sealId, { full = false, words = SEAL_WORDS } = {}) {
  if (!sealId) return h("span", { class: "seal-of muted" }, "—");
  const id = h("code", { class: full ? "seal-id hash-full" : "seal-id", title: sealId }, full ? sealId : shortHash(sealId));
  if (!label) {
    return h("span", { class: "seal-of", "data-seal-id": sealId, "data-label-check": "unknown" },
      id, " ", h("span", { class: "seal-check muted" }, words.unknown));
  }
  const ok = labelMatches(label, sealId);
  return h("span", { class: "seal-of", "data-seal-id": sealId, "data-label-check": ok ? "ok" : "bad" },
    h("strong", { class: "seal-label" }, nameEl(label)), " ", id, " ",
    h("span", { class: ok ? "seal-check seal-ok" : "seal-check seal-bad" }, ok ? words.matches : words.differs));
}

/** Calls `onFile` with the file chosen in `input` or dropped on `zone` (marked "dragging" while a file is over it). */
export function onFileChosen(input, zone, onFile) {
  input.addEventListener("change", () => onFile(input.files[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) onFile(file);
  });
}

/** A term and its value in a facts list (<dl>): [<dt>, <dd>]. */
export function fact(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

/** A link to a lot's page in the viewer: "parcel 8". */
export function lotLink(id, kind) {
  return h("a", { href: `#/lot/${id}` }, `${kind} ${id}`);
}

const BADGE_TEXT = {
  issued: "Issued", delivered: "Delivered — import not confirmed", confirmed: "✓ Confirmed", disputed: "⚠ Disputed",
  voided: "✗ Voided", expired: "✗ Expired", missing: "✗ Missing", superseded: "✗ Superseded",
};

/** A certificate's status (or "missing") as a coloured badge, in words. */
export function badge(status, text) {
  return h("span", { class: `badge badge-${status}`, "data-status": status }, text || BADGE_TEXT[status] || status);
}
