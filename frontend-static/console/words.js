// How the ledger's values read to a person: accounts by name (the address one click away), participants by name
// and code, lots, certificates, HS codes, seals and reasons in words, weights in exact carats, times in UTC. The names
// of accounts come with the API's answers (`from_name`, `holder_name`, ...); participant names from the one
// participant list the console loads at start (`setParticipants`).
//
// Countries, HS codes and times are written as the viewer, `kp` and the printed certificate write them (util.js
// `countryWords`, `hsText`, `fmtTime`; kpledger/core/words.py): "Botswana (BW)", "7102.31 non-industrial (gem)",
// "2026-12-06 02:40 UTC", in every language (a time in UTC reads the same everywhere; an HS code's words are
// translated). Weights keep the language's number format: "3,500.00 ct", "3 500,00 ct" in French.
import {
  countryWords as countryOf, fmtTime as utcTime, h, hsText, nameEl, sealEl, shortAddr, shortHash,
} from "../util.js";
import { locale, t } from "./i18n.js";
import { formatCarats } from "./units.js";

let participantNames = new Map(); // ISO code -> name

/** The participants the ledger lists (GET /v1/participants), for their names beside their codes. */
export function setParticipants(list) {
  participantNames = new Map((list || []).map((p) => [p.code, p.name]));
}

/** "Botswana (BW)": a participant by its name on the ledger with its code, or the code alone without one. */
export function countryWords(code) {
  return countryOf(code, participantNames.get(code));
}

export function originWords(origins) {
  if (!origins || !origins.length) return "—";
  const named = origins.map(countryWords).join(", ");
  return origins.length > 1 ? t("value.mixedOrigin", { codes: named }) : named;
}

/** "7102.31 non-industrial (gem)" (its words in the console's language). */
export function hsWords(code) {
  return `${hsText(code)} ${t(`hs.${code}`)}`;
}

/** The notes of a seal's read-back in the console's language (util.js `sealEl`). */
export function sealWords() {
  return { matches: t("seal.matches"), differs: t("seal.differs"), unknown: t("seal.unknown") };
}

/** A seal as on the container: its label, the id small beside it, the label checked against the id. A seal not
 * anchored yet (`anchored: false`: the one being sealed or offered) says only that its id is the label's hash. */
export function seal(label, sealId, { anchored = true, ...options } = {}) {
  const words = sealWords();
  if (!anchored) words.matches = t("seal.hashesTo");
  return sealEl(label, sealId, { ...options, words });
}

/** "BAG-0901 (0x39f9d2…a828ea)": a seal in plain text (select options), its id alone when the label is unknown. */
export function sealText(label, sealId) {
  if (!sealId) return "—";
  return label ? `${label} (${shortHash(sealId)})` : shortHash(sealId);
}

export function reasonWords(code) {
  return t("value.reason", { code, words: t(`reason.${code}`) });
}

/** "Gaborone Diamond Exporters (Pty) Ltd (0x9965…A4dc)": an account in plain text (select options, read-backs). */
export function partyText(name, address) {
  if (!address) return "—";
  return name ? `${name} (${shortAddr(address)})` : t("party.unnamedText", { address: shortAddr(address) });
}

/**
 * An account as a person reads it: its name first, then a small button with the short address that copies the
 * full one (also its title and accessible name), then its participant's code.
 */
export function party(name, address, participant = null) {
  if (!address) return h("span", { class: "party muted" }, "—");
  const short = shortAddr(address);
  const copy = h("button", {
    type: "button", class: "addr", title: address, "data-address": address,
    "aria-label": t("party.copy", { short, address, name: name || t("party.unnamed") }),
  }, short);
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(address);
      copy.dataset.copied = "true";
      copy.textContent = t("party.copied");
      setTimeout(() => { copy.textContent = short; delete copy.dataset.copied; }, 1500);
    } catch {
      window.prompt(t("party.copyPrompt"), address); // clipboard refused (plain http): the address in a field
    }
  });
  return h("span", { class: "party", "data-address": address },
    name ? nameEl(name, { class: "party-name" }) : h("span", { class: "party-name muted" }, t("party.unnamed")), " ", copy,
    participant ? h("span", { class: "party-country", title: countryWords(participant) }, ` ${participant}`) : null);
}

export function lotWords(it) {
  const kind = it.kind === "consignment" ? "lot.consignment" : "lot.parcel";
  const bits = [t(kind, { id: String(it.id) })];
  if (it.points !== undefined) bits.push(formatCarats(it.points, locale()));
  if (it.kind === "consignment" && it.parcel_count !== undefined) bits.push(t("lot.parcels", { count: it.parcel_count }));
  if (it.hs_codes && it.hs_codes.length) bits.push(it.hs_codes.map(hsText).join(", "));
  if (it.origins) bits.push(originWords(it.origins));
  return bits.join(" · ");
}

/** A pending offer as an option: the lot, and who offered it (to me) or to whom (mine). */
export function offerWords(it, side) {
  const [key, name, address] = side === "from" ? ["inbox.from", it.from_name, it.from] : ["inbox.to", it.to_name, it.to];
  return `${lotWords(it)} · ${t(key)} ${partyText(name, address)} · ${t("inbox.underSeal", { seal: sealText(it.seal_label, it.seal_id) })}`;
}

/** A certificate in one line: number, route with the participants' names, weight, consignment, and the exporter
 * and importer by name when the API gave them. */
export function certificateWords(c) {
  const summary = t("cert.summary", {
    number: c.number, from: countryWords(c.exporter), to: countryWords(c.importer),
    carats: formatCarats(c.points, locale()), consignment: String(c.consignment_id),
  });
  if (!c.exporter_account && !c.importer_account) return summary;
  return `${summary} · ${t("cert.partiesText", {
    exporter: partyText(c.exporter_name, c.exporter_account), importer: partyText(c.importer_name, c.importer_account),
  })}`;
}

/** A certificate's parties by name, one line each: exporter, importer, issuing authority (for the inbox). */
export function certificateParties(c) {
  const line = (key, name, address, code) => h("span", { class: "item-party" }, t(key), " ", party(name, address, code));
  return [line("cert.exporter", c.exporter_name, c.exporter_account, c.exporter),
    line("cert.importer", c.importer_name, c.importer_account, c.importer),
    line("cert.issuedBy", c.issued_by_name, c.issued_by, c.exporter)];
}

export function roleList(bits, roleBits) {
  return Object.entries(roleBits).filter(([, bit]) => BigInt(bits) & BigInt(bit)).map(([name]) => t(`role.${name}`)).join(", ");
}

/** An address typed in a form, read back with what the ledger says about it (`info` from GET /v1/accounts). */
export function accountWords(info, address) {
  if (info === undefined) return t("readback.addressChecking", { address });
  if (info === null) return t("readback.address", { address });
  if (!info.member) return t("readback.addressNotMember", { address });
  const roles = info.roles.map((r) => t(`role.${r}`)).join(", ");
  const participant = countryWords(info.participant);
  if (info.name) return t("readback.addressNamed", { name: info.name, address, participant, roles });
  return t("readback.addressMember", { address, participant, roles });
}

/** "2026-12-06 02:40 UTC": a chain time, as the viewer, kp and the print write it. */
export const fmtTime = utcTime;
