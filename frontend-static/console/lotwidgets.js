// Form widgets that choose from the account's inbox (lots, pending offers, certificates) or derive a value from
// another field (a certificate's weight from its consignment, expiry from issue), and the split into parts.
import { h, plain } from "../util.js";
import { locale, t } from "./i18n.js";
import { InputError, formatCarats, parseUint, sealId } from "./units.js";
import { WIDGETS, frame, selectEl, selectWidget, textWidget, uid } from "./widgets.js";
import { certificateWords, fmtTime, hsWords, lotWords, offerWords, partyText } from "./words.js";

const DAY = 86_400;

/** How a lot of a source reads in a list: a pending offer with its other party, an exporter's consignment with
 * its holder, anything else by its facts. */
function lotLabel(source) {
  if (source === "offersToMe") return (it) => offerWords(it, "from");
  if (source === "myOffers") return (it) => offerWords(it, "to");
  if (source === "needingCertificate") {
    return (it) => `${lotWords(it)} · ${t("inbox.heldBy")} ${partyText(it.holder_name, it.holder)}`;
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

  /** The seal a person reads on the container, read back as the bytes32 seal id and checked against `expect`. */
  seal(spec, ctx) {
    return textWidget(spec, ctx, {
      attrs: { autocapitalize: "characters" },
      parse: (raw) => sealId(raw.trim()),
      describe: (value) => value,
      back(value) {
        const expected = spec.expect ? spec.expect(ctx) : null;
        if (!expected) return t("readback.seal", { id: value });
        const same = expected.toLowerCase() === value.toLowerCase();
        return [t(same ? spec.matchKey : spec.mismatchKey, { id: value, expected }), same ? "ok" : "warn"];
      },
    });
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
