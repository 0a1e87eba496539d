// The console's read-only views: the connected account and its inbox (what waits for it, by role), with every
// account by name, every participant code with its name and every weight in exact carats; and the links to the
// forms and to the viewer. app.js decides when they are drawn.
import { clear, h, nameEl } from "../util.js";
import { locale, t } from "./i18n.js";
import { formatCarats, formatInteger } from "./units.js";
import { certificateParties, countryWords, fmtTime, lotWords, party, seal } from "./words.js";

/** A link to a certificate's papers: its document filed, the printed certificate, the verification slip. */
export function papersLink(number) {
  return h("a", { class: "button-link secondary", href: `#/papers/${encodeURIComponent(number)}`, "data-papers": number },
    t("inbox.papers"));
}

/** A link to an action's form, prefilled with `params`. */
export function actLink(action, params, text) {
  const query = new URLSearchParams(params).toString();
  return h("a", { class: "button-link", href: `#/act/${action}${query ? `?${query}` : ""}`, "data-action": action }, text);
}

/** The viewer's page of a lot (or its home page for null), keeping ?api= and dropping ?lang=. */
export function viewerUrl(lotId) {
  const params = new URLSearchParams(location.search);
  params.delete("lang");
  const query = params.toString();
  return new URL(`../${query ? `?${query}` : ""}${lotId === null ? "" : `#/lot/${lotId}`}`, location.href).href;
}

export function viewerLink(lotId) {
  return h("a", { class: "viewer-link", href: viewerUrl(lotId) }, t("link.provenance", { id: String(lotId) }));
}

// ------------------------------------------------------------------ the account

/** The account's facts: address, its own name and licence, participant, roles; and the notes that warn (a wallet
 * on another chain is said on every screen: app.js). */
export function drawAccount(factsBox, notesBox, { inbox, account }) {
  const facts = clear(factsBox);
  const fact = (term, ...value) => facts.append(h("dt", {}, term), h("dd", {}, ...value));
  if (inbox.name) fact(t("account.name"), h("strong", { id: "account-name" }, nameEl(inbox.name)));
  fact(t("account.address"), h("code", { class: "hash-full", "data-address": account }, account));
  if (inbox.participant) {
    fact(t("account.participant"), `${inbox.participant.code} — ${inbox.participant.name} `,
      h("span", { class: `badge badge-${inbox.participant.status === "active" ? "confirmed" : "voided"}` },
        t(`participant.${inbox.participant.status}`)));
  } else {
    fact(t("account.participant"), t("account.none"));
  }
  const roles = inbox.roles.filter((r) => r !== "authority");
  fact(t("account.roles"), h("span", { id: "account-roles" },
    [inbox.governance ? t("account.governance") : null, inbox.roles.includes("authority") ? t("account.authority") : null,
      roles.length ? t("account.operator") : null]
      .filter(Boolean).join(" · ") || "—"));
  fact(t("account.licence"), h("span", { id: "account-licence" },
    roles.length ? roles.map((r) => t(`role.${r}`)).join(", ") : t("account.noLicence")));
  if (inbox.licence_number) fact(t("account.licenceNumber"), h("span", { id: "account-licence-number" }, inbox.licence_number));
  const notes = clear(notesBox);
  if (!inbox.member && !inbox.governance) notes.append(h("p", { class: "note warn" }, t("account.notMember")));
  if (inbox.participant && inbox.participant.status === "suspended") {
    notes.append(h("p", { class: "note warn" }, t("account.suspended", { code: inbox.participant.code })));
  }
}

// ------------------------------------------------------------------ the inbox

function inboxCard(id, titleKey, items, count, renderItem, emptyKey) {
  const heading = `${id}-heading`;
  return h("section", { class: "inbox-card", id, "aria-labelledby": heading, "data-count": count },
    h("h3", { id: heading }, t(titleKey), " ", h("span", { class: "count" }, String(count))),
    items.length
      ? h("ul", { class: "inbox-list" }, ...items.map((item) => h("li", {}, ...renderItem(item))))
      : h("p", { class: "muted" }, t(emptyKey)),
    count > items.length ? h("p", { class: "hint" }, t("inbox.more", { shown: items.length, count })) : null);
}

/** A certificate in the inbox: number, route with the participants' names, weight, and its parties by name. */
function certificateItem(c, ...more) {
  return h("span", { class: "item-text" },
    h("strong", {}, c.number), " · ", countryWords(c.exporter), " → ", countryWords(c.importer), " · ",
    formatCarats(c.points, locale()), " · ", t("lot.consignment", { id: String(c.consignment_id) }), ...more,
    h("span", { class: "item-parties" }, ...certificateParties(c)));
}

/** Everything that waits for the account, by role; `may(action)` says whether the account may take an action. */
export function drawInbox(box, summary, inbox, may) {
  clear(box);
  const counts = inbox.counts;
  const isAuthority = inbox.roles.includes("authority");
  const isOperator = inbox.member && inbox.roles.some((r) => r !== "authority");
  const lot = (item) => h("span", { class: "item-lot" }, lotWords(item));
  if (isOperator) {
    box.append(inboxCard("inbox-offers-to-me", "inbox.offersToMe", inbox.offers_to_me, counts.offers_to_me, (o) => [
      h("span", { class: "item-text" }, lot({ ...o, id: o.lot_id }), " · ", t("inbox.from"), " ",
        party(o.from_name, o.from, o.from_participant), " · ", seal(o.seal_label, o.seal_id),
        o.certificate ? [" · ", t("inbox.underCertificate", { number: o.certificate })] : ""),
      h("span", { class: "item-actions" },
        may("AcceptCustody") ? actLink("AcceptCustody", { lotId: o.lot_id }, t("inbox.accept")) : null,
        may("RejectCustody") ? actLink("RejectCustody", { lotId: o.lot_id }, t("inbox.reject")) : null)], "inbox.none"));
    box.append(inboxCard("inbox-my-offers", "inbox.myOffers", inbox.my_offers, counts.my_offers, (o) => [
      h("span", { class: "item-text" }, lot({ ...o, id: o.lot_id }), " · ", t("inbox.to"), " ",
        party(o.to_name, o.to, o.to_participant), " · ", seal(o.seal_label, o.seal_id)),
      h("span", { class: "item-actions" },
        may("WithdrawOffer") ? actLink("WithdrawOffer", { lotId: o.lot_id }, t("inbox.withdraw")) : null)], "inbox.none"));
    box.append(inboxCard("inbox-my-needing", "inbox.myNeedingCertificate", inbox.my_consignments_needing_certificate,
      counts.my_consignments_needing_certificate, (c) => [
        lot({ ...c, id: c.consignment_id, kind: "consignment" }),
        h("span", { class: "muted" }, t("inbox.waitsForAuthority"))], "inbox.none"));
  }
  if (isAuthority) {
    box.append(inboxCard("inbox-to-confirm", "inbox.toConfirm", inbox.certificates_to_confirm,
      counts.certificates_to_confirm, (c) => [
        certificateItem(c),
        h("span", { class: "item-actions" },
          may("ConfirmImport") ? actLink("ConfirmImport", { number: c.number }, t("inbox.confirm")) : null,
          may("RecordDiscrepancy") ? actLink("RecordDiscrepancy", { number: c.number }, t("inbox.discrepancy")) : null)],
      "inbox.none"));
    box.append(inboxCard("inbox-exporters-needing", "inbox.exportersNeedingCertificate",
      inbox.exporters_consignments_needing_certificate, counts.exporters_consignments_needing_certificate, (c) => [
        h("span", { class: "item-text" }, lot({ ...c, id: c.consignment_id, kind: "consignment" }), " · ",
          seal(c.seal_label, c.seal_id), " · ", t("inbox.heldBy"), " ", party(c.holder_name, c.holder, c.holder_participant)),
        h("span", { class: "item-actions" }, may("IssueCertificate")
          ? actLink("IssueCertificate", { consignmentId: c.consignment_id }, t("inbox.issue")) : null)], "inbox.none"));
    box.append(inboxCard("inbox-issued-open", "inbox.issuedOpen", inbox.certificates_issued_open,
      counts.certificates_issued_open, (c) => [
        certificateItem(c, " · ", t("inbox.expires", { when: fmtTime(c.expires_at) })),
        h("span", { class: "item-actions" }, papersLink(c.number),
          may("VoidCertificate") ? actLink("VoidCertificate", { number: c.number }, t("inbox.void")) : null)], "inbox.none"));
  }
  if (isOperator) {
    box.append(inboxCard("inbox-parcels", "inbox.parcels", inbox.parcels, counts.parcels, (p) => [
      h("span", { class: "item-text" }, lot({ ...p, kind: "parcel", hs_codes: [p.hs_code] }),
        p.stones ? [" · ", t("lot.stones", { count: formatInteger(p.stones, locale()) })] : "",
        p.offered ? [" · ", t("inbox.offered")] : ""),
      h("span", { class: "item-actions" }, p.offered ? null : [
        may("SplitParcel") ? actLink("SplitParcel", { parcelId: p.id }, t("inbox.split")) : null,
        may("SealConsignment") ? actLink("SealConsignment", { parcelIds: p.id }, t("inbox.seal")) : null,
        may("OfferCustody") ? actLink("OfferCustody", { lotId: p.id }, t("inbox.offer")) : null]),
      viewerLink(p.id)], "inbox.noneHeld"));
    box.append(inboxCard("inbox-consignments", "inbox.consignments", inbox.consignments, counts.consignments, (c) => [
      h("span", { class: "item-text" }, lot({ ...c, kind: "consignment", parcel_count: c.parcel_ids.length }),
        " · ", seal(c.seal_label, c.seal_id),
        c.status === "compromised" ? [" · ", h("strong", {}, t("inbox.compromised"))] : "",
        c.certificate ? [" · ", t("inbox.underCertificate", { number: c.certificate.number })] : "",
        c.offered ? [" · ", t("inbox.offered")] : ""),
      h("span", { class: "item-actions" }, c.offered ? null : [
        c.status === "sealed" && may("OfferCustody") ? actLink("OfferCustody", { lotId: c.id }, t("inbox.offer")) : null,
        may("OpenConsignment") ? actLink("OpenConsignment", { consignmentId: c.id }, t("inbox.open")) : null]),
      viewerLink(c.id)], "inbox.noneHeld"));
  }
  if (!box.childElementCount) box.append(h("p", { class: "muted" }, t("inbox.nothingForRole")));
  const waiting = counts.offers_to_me + counts.certificates_to_confirm
    + (isAuthority ? counts.exporters_consignments_needing_certificate : 0);
  summary.textContent = t("inbox.summary", { count: waiting });
}
