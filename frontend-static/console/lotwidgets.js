// Form widgets that choose from the account's inbox (lots, pending offers, certificates) or derive a value from
// another field (a certificate's weight from its consignment, expiry from issue), and the split into parts.
import { request } from "../api.js";
import { clear, h, nameEl, plain } from "../util.js";
import { locale, t } from "./i18n.js";
import { InputError, SEAL_LABEL_MAX, formatCarats, parseAddress, parseUint, sealId } from "./units.js";
import { WIDGETS, frame, inputEl, selectEl, selectWidget, textWidget, uid } from "./widgets.js";
import {
  accountWords, certificateWords, countryWords, fmtTime, hsWords, lotWords, offerWords, partyText, seal, sealText,
} from "./words.js";

// who may receive a lot at home: any licensed operator (the ledger refuses an authority or a stranger)
const OPERATOR_ROLES = ["producer", "exporter", "importer", "trader", "manufacturer"];

const DAY = 86_400;

/** How a lot of a source reads in a list: a pending offer with its other party, an exporter's consignment with
 * its seal (the label the ledger knows, which the certificate's document must state) and its holder, anything else
 * by its facts. */
function lotLabel(source) {
  if (source === "offersToMe") return (it) => offerWords(it, "from");
  if (source === "myOffers") return (it) => offerWords(it, "to");
  if (source === "needingCertificate") {
    return (it) => `${lotWords(it)} · ${t("inbox.underSeal", { seal: sealText(it.seal_label, it.seal_id) })} · `
      + `${t("inbox.heldBy")} ${partyText(it.holder_name, it.holder)}`;
  }
  return lotWords;
}

export const LOT_WIDGETS = {
  lot(spec, ctx) {
    const items = lotSource(spec.source, ctx);
    const prefill = ctx.prefill[spec.name];
    if (!items.length && prefill === undefined) {
      const widget = WIDGETS.uint({ ...spec, hint: `hint.${spec.source}.none` }, ctx);
      widget.selected = () => null;
      return widget;
    }
    const words = lotLabel(spec.source);
    const options = items.map((it) => ({ value: String(it.id), label: words(it) }));
    if (prefill !== undefined && !items.some((it) => String(it.id) === String(prefill))) {
      options.push({ value: String(prefill), label: t("lot.numbered", { id: prefill }) });
    }
    const select = selectEl(options, t("select.choose"));
    if (prefill !== undefined) select.value = String(prefill);
    else if (items.length === 1) select.value = String(items[0].id);
    const widget = selectWidget(spec, ctx, select, {
      parse: (v) => parseUint(v, 256),
      describe: (v) => {
        const it = items.find((x) => String(x.id) === String(v));
        return it ? words(it) : t("lot.numbered", { id: String(v) });
      },
    });
    widget.selected = () => items.find((it) => String(it.id) === select.value) || null;
    return widget;
  },

  lots(spec, ctx) {
    const items = lotSource(spec.source, ctx);
    const wanted = new Set(String(ctx.prefill[spec.name] || "").split(",").filter(Boolean));
    const boxes = items.map((it) => {
      const id = `f-${spec.name}-${it.id}-${uid()}`;
      return h("div", { class: "check" }, h("input", { type: "checkbox", id, value: String(it.id), checked: wanted.has(String(it.id)) }),
        h("label", { for: id }, lotWords(it)));
    });
    const group = h("div", { class: "check-group" }, ...boxes);
    if (!items.length) group.append(h("p", { class: "muted" }, t(`hint.${spec.source}.none`)));
    const f = frame(spec, group, { group: true });
    group.addEventListener("change", () => ctx.changed());
    const chosen = () => items.filter((it) => group.querySelector(`input[value="${it.id}"]`)?.checked);
    const read = () => {
      const ids = chosen().map((it) => BigInt(it.id));
      if (ids.length < (spec.min || 1)) throw new InputError("err.chooseAtLeast", { count: spec.min || 1 });
      return ids;
    };
    return {
      el: f.el, focus: f.focus, read,
      selected: chosen,
      describe: (ids) => ids.map((id) => lotWords(items.find((it) => String(it.id) === String(id)) || { id })).join("; "),
      update() {
        const picked = chosen();
        const total = picked.reduce((sum, it) => sum + BigInt(it.points), 0n);
        f.readback(picked.length ? t("readback.lots", { count: picked.length, carats: formatCarats(total, locale()) }) : "");
      },
    };
  },

  certificate(spec, ctx) {
    const items = certificateSource(spec.source, ctx);
    const prefill = ctx.prefill[spec.name];
    if (!items.length && prefill === undefined) return WIDGETS.text({ ...spec, hint: `hint.${spec.source}.none` }, ctx);
    const options = items.map((c) => ({ value: c.number, label: certificateWords(c) }));
    if (prefill !== undefined && !items.some((c) => c.number === prefill)) options.push({ value: prefill, label: prefill });
    const select = selectEl(options, t("select.choose"));
    if (prefill !== undefined) select.value = prefill;
    else if (items.length === 1) select.value = items[0].number;
    const widget = selectWidget(spec, ctx, select, {
      parse: (v) => v,
      describe: (v) => {
        const c = items.find((x) => x.number === v);
        return c ? certificateWords(c) : v;
      },
    });
    widget.selected = () => items.find((c) => c.number === select.value) || null;
    return widget;
  },

  certificateNumber(spec, ctx) {
    const own = ctx.inbox && ctx.inbox.participant ? ctx.inbox.participant.code : "";
    return WIDGETS.text({
      ...spec, upper: true, maxLength: 32, initial: ctx.prefill[spec.name] ?? own,
      pattern: own ? new RegExp(`^${own}[A-Z0-9\\-/.]{1,30}$`) : /^[A-Z]{2}[A-Z0-9\-/.]{1,30}$/,
      patternError: "err.certificateNumber",
      hintText: t("hint.certificateNumber", { code: own || "XX" }),
    }, ctx);
  },

  /** A value taken from the lot chosen in another field (e.g. a certificate's points from its consignment). */
  fromLot(spec, ctx) {
    const output = h("output", { class: "derived" });
    const f = frame(spec, output);
    const value = () => {
      const lot = ctx.form.selected(spec.from);
      if (!lot) throw new InputError("err.chooseFirst", { field: ctx.form.label(spec.from) });
      return spec.take(lot);
    };
    const words = (v) => spec.words(v, ctx);
    return {
      el: f.el, focus: () => ctx.form.focus(spec.from), read: value, describe: words,
      update() {
        try {
          output.textContent = plain(words(value()));
        } catch {
          output.textContent = "—";
        }
      },
    };
  },

  /** The seal a person reads on the container: its label, read back as the bytes32 seal id and checked against
   * `expect` (the consignment's seal, the seal the sender declared: {id, label}). The label travels beside the signed
   * id (`extra()`: the write's `seal_label`), so that the ledger shows it; a pasted 0x id has no label. */
  seal(spec, ctx) {
    let label = null; // the label typed, for the id read last (null: an id was pasted)
    const expectedText = (expected) => (expected.label ? `${expected.label} (${expected.id})` : expected.id);
    const widget = textWidget(spec, ctx, {
      attrs: { autocapitalize: "characters", maxlength: SEAL_LABEL_MAX },
      parse(raw) {
        const text = raw.trim();
        const id = sealId(text);
        if (id !== text.toLowerCase() && (text.length > SEAL_LABEL_MAX || /\p{Cc}/u.test(text))) {
          throw new InputError("err.sealLabel", { max: SEAL_LABEL_MAX });
        }
        label = id === text.toLowerCase() ? null : text;
        return id;
      },
      describe(value) {
        const expected = spec.expect ? spec.expect(ctx) : null;
        const same = expected && expected.id.toLowerCase() === value.toLowerCase();
        return h("span", {}, seal(label, value, { anchored: Boolean(same) }),
          label ? h("span", { class: "hint seal-sent" }, " ", t("seal.sentBeside")) : null,
          expected ? h("span", { class: same ? "seal-expected seal-ok" : "seal-expected seal-bad",
            "data-expected": same ? "same" : "differs" }, " ",
          t(same ? spec.matchKey : spec.mismatchKey, { id: label || value, expected: expectedText(expected) })) : null);
      },
      back(value) {
        const expected = spec.expect ? spec.expect(ctx) : null;
        const shown = label ? t("readback.sealLabel", { label, id: value }) : t("readback.seal", { id: value });
        if (!expected) return shown;
        const same = expected.id.toLowerCase() === value.toLowerCase();
        return [t(same ? spec.matchKey : spec.mismatchKey, { id: shown, expected: expectedText(expected) }),
          same ? "ok" : "warn"];
      },
    });
    widget.extra = () => (label ? { seal_label: label } : {});
    return widget;
  },

  /**
   * The recipient of a hand-off, picked by company name: the directory of a participant (the certificate's importing
   * participant for a crossing, one's own at home) searched by name or licence number among the operators holding
   * the role the hand-off needs (an importer across a border), each shown with its address small; pasting an
   * address still works, and reads back the name the ledger has for it.
   */
  recipient(spec, ctx) {
    const own = ctx.inbox && ctx.inbox.participant ? ctx.inbox.participant.code : "";
    const lotCertificate = () => {
      const lot = spec.from ? ctx.form.selected(spec.from) : null;
      const cert = lot && lot.kind === "consignment" ? lot.certificate : null;
      return cert && typeof cert === "object" && ["issued"].includes(cert.status) ? cert : null;
    };
    const n = uid();
    const where = selectEl((ctx.participants || []).filter((p) => p.status === "active")
      .map((p) => ({ value: p.code, label: countryWords(p.code) })), null);
    where.id = `f-${spec.name}-where-${n}`;
    where.value = own;
    const search = inputEl({ type: "search", class: "recipient-search", placeholder: t("recipient.searchPlaceholder"),
      "aria-controls": `f-${spec.name}-picks-${n}` });
    search.id = `f-${spec.name}-search-${n}`;
    const picks = h("ul", { class: "recipient-picks", id: `f-${spec.name}-picks-${n}`, "aria-live": "polite" });
    const address = inputEl({ placeholder: "0x…", class: "recipient-address" });
    address.id = `f-${spec.name}-address-${n}`;
    if (ctx.prefill[spec.name] !== undefined) address.value = ctx.prefill[spec.name];
    const group = h("div", { class: "recipient" },
      h("label", { for: where.id, class: "sublabel" }, t("recipient.participant")), where,
      h("label", { for: search.id, class: "sublabel" }, t("recipient.search")), search, picks,
      h("label", { for: address.id, class: "sublabel" }, t("recipient.address")), address);
    const f = frame(spec, group, { group: true });
    let asked = 0;
    let chosenWhere = null; // the participant the person chose (else the lot decides)
    const roles = () => (lotCertificate() ? ["importer"] : OPERATOR_ROLES);
    const find = async () => {
      const query = search.value.trim();
      const code = where.value;
      const mine = ++asked;
      clear(picks);
      if (!query || !code) return;
      picks.append(h("li", { class: "muted" }, t("recipient.searching")));
      const params = new URLSearchParams({ q: query, limit: "10" });
      for (const role of roles()) params.append("role", role);
      let found;
      try {
        found = await request(`/v1/participants/${encodeURIComponent(code)}/members?${params}`);
      } catch (error) {
        found = { data: [], count: 0, error };
      }
      if (mine !== asked) return; // a later search is under way
      clear(picks);
      if (found.error) picks.append(h("li", { class: "field-error" }, t("recipient.failed")));
      else if (!found.data.length) picks.append(h("li", { class: "muted" }, t("recipient.none", { query, where: countryWords(code) })));
      for (const m of found.data) {
        const pick = h("button", { type: "button", class: "recipient-pick", "data-address": m.address },
          h("span", { class: "party-name" }, nameEl(m.name || t("party.unnamed"))),
          m.licence_number ? h("span", { class: "muted" }, ` · ${t("recipient.licence", { number: m.licence_number })}`) : null,
          h("span", { class: "muted" }, ` · ${m.roles.map((r) => t(`role.${r}`)).join(", ")} · `),
          h("code", { class: "addr-small" }, m.address));
        pick.addEventListener("click", () => {
          address.value = m.address;
          clear(picks);
          ctx.changed();
          address.focus();
        });
        picks.append(h("li", {}, pick));
      }
      if (found.count > found.data.length) picks.append(h("li", { class: "hint" }, t("recipient.more", { count: found.count })));
    };
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(find, 200);
    });
    where.addEventListener("change", () => {
      chosenWhere = where.value;
      find();
    });
    address.addEventListener("input", () => ctx.changed());
    return {
      el: f.el, focus: () => search.focus(),
      read: () => parseAddress(address.value),
      describe: (value) => accountWords(ctx.accountInfo(value), value),
      update() {
        const cert = lotCertificate();
        const wanted = chosenWhere || (cert ? cert.importer : own);
        if (wanted && where.value !== wanted) where.value = wanted;
        if (cert && !address.value && cert.importer_account) address.value = cert.importer_account;
        if (!address.value.trim()) return f.readback(cert ? t("recipient.crossing", { where: countryWords(cert.importer) }) : "");
        try {
          const value = parseAddress(address.value);
          const info = ctx.accountInfo(value, () => ctx.changed());
          f.readback(accountWords(info, value), info && info.member === false ? "warn" : "");
        } catch (error) {
          f.readback(error instanceof InputError ? t(error.key, error.params) : error.message, "bad");
        }
      },
    };
  },

  /** issuedAt: the time of review (a minute back, for the node's clock). */
  now(spec) {
    const output = h("output", { class: "derived" }, t("value.atSigning"));
    const f = frame(spec, output);
    let frozen = null;
    return {
      el: f.el, focus: () => {},
      read: () => (frozen ??= BigInt(Math.floor(Date.now() / 1000) - 60)),
      reset: () => { frozen = null; },
      describe: (v) => fmtTime(v),
      update() {},
    };
  },

  /** expiresAt from a number of days after issuedAt. */
  validFor(spec, ctx) {
    const widget = textWidget({ ...spec, initial: spec.initial ?? "30" }, ctx, {
      attrs: { inputmode: "numeric" },
      parse(raw) {
        const days = parseUint(raw, 16);
        if (days < 1n) throw new InputError("err.days");
        return BigInt(ctx.form.value(spec.from)) + days * BigInt(DAY);
      },
      back: (v) => t("readback.expires", { when: fmtTime(v) }),
      describe: (v) => fmtTime(v),
    });
    return widget;
  },

  /** The parts of a split: weights that must add up to the parent's, with the live remainder. */
  splitParts(spec, ctx) {
    const rows = h("ol", { class: "parts" });
    const remainder = h("p", { class: "remainder", "aria-live": "polite" });
    const add = h("button", { type: "button", class: "secondary" }, t("button.addPart"));
    const group = h("div", {}, rows, remainder, add);
    const f = frame(spec, group, { group: true });
    const parts = [];
    const parent = () => ctx.form.selected(spec.from);
    const addPart = () => {
      const n = parts.length + 1;
      const sub = (name, label) => ({ name: `${spec.name}.${n}.${name}`, type: name === "points" ? "uint48" : "uint32",
        labelText: t(label, { n }), hint: `hint.part.${name}` });
      const inner = { ...ctx, prefill: {} };
      const widgets = {
        points: WIDGETS.carats(sub("points", "label.partWeight"), inner),
        stones: WIDGETS.count(sub("stones", "label.partStones"), inner),
        hsCode: WIDGETS.hs({ ...sub("hsCode", "label.partHs"), initial: () => parent()?.hs_code }, inner),
        documentHash: WIDGETS.document({ ...sub("documentHash", "label.partDocument"), optional: true }, inner),
      };
      const remove = h("button", { type: "button", class: "secondary" }, t("button.removePart", { n }));
      const li = h("li", { class: "part" }, ...Object.values(widgets).map((w) => w.el), remove);
      const part = { li, widgets };
      remove.addEventListener("click", () => {
        parts.splice(parts.indexOf(part), 1);
        li.remove();
        ctx.changed();
      });
      parts.push(part);
      rows.append(li);
    };
    add.addEventListener("click", () => {
      addPart();
      ctx.changed();
      parts[parts.length - 1].widgets.points.focus();
    });
    addPart();
    addPart();
    const sum = () => parts.reduce((total, p) => {
      try {
        return total + p.widgets.points.read();
      } catch {
        return total;
      }
    }, 0n);
    const read = () => {
      const whole = parent();
      if (!whole) throw new InputError("err.chooseFirst", { field: ctx.form.label(spec.from) });
      if (parts.length < 1) throw new InputError("err.partsNone");
      const children = parts.map((p) => Object.fromEntries(Object.entries(p.widgets).map(([k, w]) => [k, w.read()])));
      const left = BigInt(whole.points) - sum();
      if (left !== 0n) throw new InputError("err.partsSum", { left: formatCarats(left, locale()) });
      return children;
    };
    return {
      el: f.el, focus: () => parts[0]?.widgets.points.focus(), read,
      describe: (children) => children.map((c, i) => t("value.part", {
        n: i + 1, carats: formatCarats(c.points, locale()), hs: hsWords(Number(c.hsCode)), stones: String(c.stones),
      })).join("; "),
      update() {
        for (const p of parts) for (const w of Object.values(p.widgets)) w.update();
        const whole = parent();
        if (!whole) {
          remainder.textContent = t("readback.partsNoParent");
          remainder.dataset.tone = "";
          return;
        }
        const total = sum();
        const left = BigInt(whole.points) - total;
        remainder.textContent = t("readback.parts", {
          sum: formatCarats(total, locale()), whole: formatCarats(whole.points, locale()),
          left: formatCarats(left, locale()),
        });
        remainder.dataset.tone = left === 0n ? "ok" : "warn";
      },
      subErrors() {
        return parts.flatMap((p) => Object.values(p.widgets));
      },
    };
  },
};

function lotSource(source, ctx) {
  const inbox = ctx.inbox || {};
  const parcels = (inbox.parcels || []).map((p) => ({ ...p, kind: "parcel", parcel_count: 1, hs_codes: [p.hs_code] }));
  const consignments = (inbox.consignments || []).map((c) => ({ ...c, kind: "consignment", parcel_count: c.parcel_ids.length }));
  switch (source) {
    case "parcels": return parcels.filter((p) => !p.offered);
    case "sealedConsignments": return consignments.filter((c) => c.status === "sealed" && !c.offered);
    case "openableConsignments": return consignments.filter((c) => !c.offered);
    case "heldLots": return [...parcels.filter((p) => !p.offered), ...consignments.filter((c) => c.status === "sealed" && !c.offered)];
    case "offersToMe": return (inbox.offers_to_me || []).map((o) => ({ ...o, id: o.lot_id }));
    case "myOffers": return (inbox.my_offers || []).map((o) => ({ ...o, id: o.lot_id }));
    case "needingCertificate": return (inbox.exporters_consignments_needing_certificate || [])
      .map((c) => ({ ...c, id: c.consignment_id, kind: "consignment" }));
    default: return [];
  }
}

function certificateSource(source, ctx) {
  const inbox = ctx.inbox || {};
  if (source === "toConfirm") return inbox.certificates_to_confirm || [];
  if (source === "issuedOpen") return inbox.certificates_issued_open || [];
  return [];
}
