// Form widgets: each renders one message field, reads the person's input into the value the ledger records
// (throwing InputError with a text key), reads it back in words, and says it in the confirmation screen.
// Which widget a field gets is decided in forms.js.
import { sha256 } from "../sha256.js";
import { h } from "../util.js";
import { has, locale, t } from "./i18n.js";
import {
  InputError, ZERO32, formatCarats, formatInteger, parseAddress, parseBytes32, parseCarats, parseUint, sameAddress,
  sealId, textBytes32,
} from "./units.js";

export const HS_CODES = [710210, 710221, 710231];
export const REASONS = [1, 2, 3, 4, 5, 6, 7];
const DAY = 86_400;

let serial = 0;

/** The labelled frame of a field: label, control, hint, read-back and error lines, wired for screen readers. */
function frame(spec, control, { group = false } = {}) {
  const id = control.id || `f-${spec.name}-${++serial}`;
  const ids = { hint: `${id}-hint`, back: `${id}-back`, error: `${id}-error` };
  const hintKey = spec.hint ?? `hint.${spec.name}`;
  const hint = spec.hintText ?? (has(hintKey) ? t(hintKey) : null);
  const back = h("p", { id: ids.back, class: "readback", "aria-live": "polite" });
  const error = h("p", { id: ids.error, class: "field-error", hidden: true });
  const described = [hint ? ids.hint : null, ids.back, ids.error].filter(Boolean).join(" ");
  let el;
  if (group) {
    control.setAttribute("aria-describedby", described);
    el = h("fieldset", { class: "field", "data-field": spec.name },
      h("legend", {}, spec.labelText), control, hint ? h("p", { id: ids.hint, class: "hint" }, hint) : null, back, error);
  } else {
    control.id = id;
    control.setAttribute("aria-describedby", described);
    el = h("div", { class: "field", "data-field": spec.name },
      h("label", { for: id }, spec.labelText), control, hint ? h("p", { id: ids.hint, class: "hint" }, hint) : null,
      back, error);
  }
  const focusable = group ? () => control.querySelector("input, select, button") : () => control;
  return {
    el,
    focus: () => focusable()?.focus(),
    readback(text, tone = "") {
      back.textContent = text || "";
      back.dataset.tone = tone;
    },
    error(text) {
      error.textContent = text || "";
      error.hidden = !text;
      for (const c of group ? control.querySelectorAll("input, select") : [control]) {
        if (text) c.setAttribute("aria-invalid", "true");
        else c.removeAttribute("aria-invalid");
      }
    },
  };
}

function inputEl(attrs = {}) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
}

function selectEl(options, placeholder) {
  return h("select", {},
    placeholder ? h("option", { value: "" }, placeholder) : null,
    ...options.map((o) => h("option", { value: o.value }, o.label)));
}

/** A widget whose value is parsed from one text input. */
function textWidget(spec, ctx, { attrs = {}, parse, back, describe }) {
  const input = inputEl(attrs);
  if (ctx.prefill[spec.name] !== undefined) input.value = ctx.prefill[spec.name];
  else if (spec.initial !== undefined) input.value = typeof spec.initial === "function" ? spec.initial(ctx) : spec.initial;
  const f = frame(spec, input);
  const widget = {
    el: f.el, focus: f.focus, frame: f,
    read: () => parse(input.value),
    describe: describe || ((value) => String(value)),
    update() {
      if (!input.value) return f.readback("");
      try {
        const value = parse(input.value);
        f.readback(back ? back(value) : "");
      } catch (error) {
        f.readback(error instanceof InputError ? t(error.key, error.params) : error.message, "bad");
      }
    },
  };
  input.addEventListener("input", () => ctx.changed());
  return widget;
}

// ------------------------------------------------------------------ plain values

export const WIDGETS = {
  text(spec, ctx) {
    return textWidget(spec, ctx, {
      attrs: spec.maxLength ? { maxlength: spec.maxLength } : {},
      parse(raw) {
        const value = spec.upper ? raw.trim().toUpperCase() : raw.trim();
        if (!value && spec.optional) return "";
        if (!value) throw new InputError("err.required");
        if (spec.pattern && !spec.pattern.test(value)) throw new InputError(spec.patternError || "err.format");
        return value;
      },
    });
  },

  isoCode(spec, ctx) {
    return WIDGETS.text({ ...spec, upper: true, maxLength: 2, pattern: /^[A-Z]{2}$/, patternError: "err.isoCode" }, ctx);
  },

  uint(spec, ctx) {
    const bits = Number((spec.type.match(/^uint(\d+)$/) || [0, 256])[1]);
    return textWidget(spec, ctx, {
      attrs: { inputmode: "numeric" },
      parse: (raw) => parseUint(raw, bits),
      back: (value) => formatInteger(value, locale()),
      describe: (value) => formatInteger(value, locale()),
    });
  },

  count(spec, ctx) {
    return textWidget({ ...spec, initial: spec.initial ?? "0" }, ctx, {
      attrs: { inputmode: "numeric" },
      parse: (raw) => parseUint(raw, Number((spec.type.match(/^uint(\d+)$/) || [0, 32])[1])),
      describe: (value) => formatInteger(value, locale()),
    });
  },

  carats(spec, ctx) {
    const bits = Number((spec.type.match(/^uint(\d+)$/) || [0, 48])[1]);
    return textWidget(spec, ctx, {
      attrs: { inputmode: "decimal" },
      parse(raw) {
        const points = parseCarats(raw);
        if (points >= 1n << BigInt(bits)) throw new InputError("err.tooLarge", { bits });
        return points;
      },
      back: (points) => t("readback.carats", { carats: formatCarats(points, locale()), points: formatInteger(points, locale()) }),
      describe: (points) => t("readback.carats", { carats: formatCarats(points, locale()), points: formatInteger(points, locale()) }),
    });
  },

  hash(spec, ctx) {
    return textWidget(spec, ctx, { attrs: { placeholder: "0x…" }, parse: parseBytes32 });
  },

  reasonText(spec, ctx) {
    return textWidget(spec, ctx, {
      attrs: { maxlength: 32 },
      parse(raw) {
        if (!raw.trim()) throw new InputError("err.required");
        return textBytes32(raw.trim());
      },
      back: (value) => t("readback.bytes32", { value }),
      describe: (value) => `${decodeText(value)} (${value})`,
    });
  },

  address(spec, ctx) {
    const widget = textWidget(spec, ctx, {
      attrs: { placeholder: "0x…", inputmode: "text" },
      parse: parseAddress,
      describe: (value) => accountWords(ctx.accountInfo(value), value),
    });
    const plain = widget.update;
    widget.update = () => {
      plain();
      let value;
      try {
        value = widget.read();
      } catch {
        return;
      }
      const info = ctx.accountInfo(value, () => ctx.changed());
      widget.frame.readback(accountWords(info, value), info && info.member === false ? "warn" : "");
    };
    return widget;
  },

  bool(spec, ctx) {
    const input = h("input", { type: "checkbox" });
    if (ctx.prefill[spec.name] !== undefined) input.checked = ctx.prefill[spec.name] === "true";
    input.addEventListener("change", () => ctx.changed());
    const box = h("div", { class: "check" }, input, h("label", {}, spec.labelText));
    input.id = `f-${spec.name}-${++serial}`;
    box.lastChild.setAttribute("for", input.id);
    return {
      el: h("div", { class: "field", "data-field": spec.name }, box), focus: () => input.focus(),
      read: () => input.checked, describe: (v) => t(v ? "value.yes" : "value.no"), update() {},
    };
  },

  /** A duration typed in whole days, sent in seconds (the longest certificate validity). */
  days(spec, ctx) {
    return textWidget({ ...spec, initial: spec.initial ?? "180" }, ctx, {
      attrs: { inputmode: "numeric" },
      parse(raw) {
        const days = parseUint(raw, 16);
        if (days < 1n) throw new InputError("err.days");
        return days * BigInt(DAY);
      },
      describe: (v) => t("value.days", { days: String(v / BigInt(DAY)) }),
    });
  },

  hs(spec, ctx) {
    const select = selectEl(HS_CODES.map((code) => ({ value: String(code), label: hsWords(code) })), t("select.choose"));
    const initial = ctx.prefill[spec.name] ?? (spec.initial ? String(spec.initial(ctx) ?? "") : "");
    select.value = initial;
    return selectWidget(spec, ctx, select, { parse: (v) => BigInt(v), describe: (v) => hsWords(Number(v)) });
  },

  reason(spec, ctx) {
    const codes = spec.codes || REASONS;
    const select = selectEl(codes.map((code) => ({ value: String(code), label: reasonWords(code) })), t("select.choose"));
    if (ctx.prefill[spec.name]) select.value = ctx.prefill[spec.name];
    return selectWidget(spec, ctx, select, { parse: (v) => BigInt(v), describe: (v) => reasonWords(Number(v)) });
  },

  participant(spec, ctx) {
    const list = (ctx.participants || []).filter((p) => participantFilter(spec.filter, p, ctx));
    const select = selectEl(list.map((p) => ({ value: p.code, label: `${p.code} — ${p.name}` })), t("select.choose"));
    if (ctx.prefill[spec.name]) select.value = ctx.prefill[spec.name];
    return selectWidget(spec, ctx, select, {
      parse: (v) => v,
      describe: (code) => participantWords(code, ctx),
    });
  },

  ownParticipant(spec, ctx) {
    const own = ctx.inbox && ctx.inbox.participant;
    if (!own) return WIDGETS.isoCode(spec, ctx);
    const input = inputEl({ readonly: true, value: own.code });
    input.value = own.code;
    const f = frame({ ...spec, hintText: t("hint.ownParticipant", { name: own.name }) }, input);
    return { el: f.el, focus: f.focus, read: () => own.code, describe: (code) => participantWords(code, ctx), update() {} };
  },

  roles(spec, ctx) {
    const names = Object.keys(ctx.roleBits).filter((r) => r !== "authority");
    const wanted = new Set(String(ctx.prefill[spec.name] || "").split(",").filter(Boolean));
    const boxes = names.map((r) => {
      const id = `f-${spec.name}-${r}-${++serial}`;
      return h("div", { class: "check" }, h("input", { type: "checkbox", id, value: r, checked: wanted.has(r) }),
        h("label", { for: id }, t(`role.${r}`)));
    });
    const group = h("div", { class: "check-group" }, ...boxes);
    const f = frame(spec, group, { group: true });
    group.addEventListener("change", () => ctx.changed());
    const read = () => {
      let bits = 0n;
      for (const box of group.querySelectorAll("input:checked")) bits |= BigInt(ctx.roleBits[box.value]);
      if (bits === 0n) throw new InputError("err.rolesNone");
      return bits;
    };
    return {
      el: f.el, focus: f.focus, read,
      describe: (bits) => roleList(bits, ctx),
      update() {
        try {
          f.readback(t("readback.roles", { bits: String(read()) }));
        } catch {
          f.readback("");
        }
      },
    };
  },

  list(spec, ctx) {
    const item = spec.type.slice(0, -2);
    const parseItem = item.startsWith("uint") ? (v) => parseUint(v, Number(item.slice(4)) || 256)
      : item === "address" ? parseAddress : item === "bytes32" ? parseBytes32 : (v) => v;
    return textWidget(spec, ctx, {
      attrs: { placeholder: t("hint.commaList") },
      parse(raw) {
        const items = raw.split(",").map((v) => v.trim()).filter(Boolean);
        if (!items.length) throw new InputError("err.required");
        return items.map(parseItem);
      },
      describe: (values) => values.map(String).join(", "),
    });
  },

  json(spec, ctx) {
    const area = h("textarea", { rows: 4, spellcheck: "false" });
    if (ctx.prefill[spec.name]) area.value = ctx.prefill[spec.name];
    const f = frame({ ...spec, hintText: t("hint.json", { type: spec.type }) }, area);
    area.addEventListener("input", () => ctx.changed());
    return {
      el: f.el, focus: f.focus,
      read() {
        try {
          return JSON.parse(area.value);
        } catch {
          throw new InputError("err.json");
        }
      },
      describe: (v) => JSON.stringify(v),
      update() {},
    };
  },

  // ------------------------------------------------------------------ documents (SHA-256 in the browser)

  document(spec, ctx) {
    const file = h("input", { type: "file" });
    const pasted = inputEl({ placeholder: "0x…" });
    const pasteId = `f-${spec.name}-paste-${++serial}`;
    pasted.id = pasteId;
    const group = h("div", { class: "doc-inputs" }, file,
      h("label", { for: pasteId, class: "sublabel" }, t("label.pasteHash")), pasted);
    file.setAttribute("aria-label", spec.labelText);
    const f = frame({ ...spec, hint: spec.optional ? "hint.documentOptional" : "hint.document" }, group, { group: true });
    let hashed = null; // {name, hash}
    file.addEventListener("change", async () => {
      hashed = null;
      const chosen = file.files[0];
      if (chosen) {
        f.readback(t("readback.hashing", { name: chosen.name }));
        const { hash } = await sha256(await chosen.arrayBuffer());
        hashed = { name: chosen.name, hash };
      }
      ctx.changed();
    });
    pasted.addEventListener("input", () => ctx.changed());
    const read = () => {
      if (hashed) return hashed.hash;
      if (pasted.value.trim()) return parseBytes32(pasted.value);
      if (spec.optional) return ZERO32;
      throw new InputError(file.files[0] ? "err.hashing" : "err.document");
    };
    return {
      el: f.el, focus: f.focus, read,
      describe: (value) => (value === ZERO32 ? t("value.noDocument") : hashed && hashed.hash === value
        ? t("readback.document", { name: hashed.name, hash: value }) : value),
      update() {
        if (hashed) f.readback(t("readback.document", { name: hashed.name, hash: hashed.hash }));
        else if (pasted.value.trim()) {
          try {
            f.readback(t("readback.hash", { hash: parseBytes32(pasted.value) }));
          } catch (error) {
            f.readback(t(error.key), "bad");
          }
        } else f.readback("");
      },
    };
  },

  // ------------------------------------------------------------------ lots, offers and certificates from the inbox

  lot(spec, ctx) {
    const items = lotSource(spec.source, ctx);
    const prefill = ctx.prefill[spec.name];
    if (!items.length && prefill === undefined) {
      const widget = WIDGETS.uint({ ...spec, hint: `hint.${spec.source}.none` }, ctx);
      widget.selected = () => null;
      return widget;
    }
    const options = items.map((it) => ({ value: String(it.id), label: lotWords(it) }));
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
        return it ? lotWords(it) : t("lot.numbered", { id: String(v) });
      },
    });
    widget.selected = () => items.find((it) => String(it.id) === select.value) || null;
    return widget;
  },

  lots(spec, ctx) {
    const items = lotSource(spec.source, ctx);
    const wanted = new Set(String(ctx.prefill[spec.name] || "").split(",").filter(Boolean));
    const boxes = items.map((it) => {
      const id = `f-${spec.name}-${it.id}-${++serial}`;
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
          output.textContent = words(value());
        } catch {
          output.textContent = "—";
        }
      },
    };
  },

  /** The seal a person reads on the container, read back as the bytes32 seal id and checked against `expect`. */
  seal(spec, ctx) {
    const widget = textWidget(spec, ctx, {
      attrs: { autocapitalize: "characters" },
      parse: (raw) => sealId(raw.trim()),
      describe: (value) => value,
    });
    const plain = widget.update;
    widget.update = () => {
      plain();
      let value;
      try {
        value = widget.read();
      } catch {
        return;
      }
      const expected = spec.expect ? spec.expect(ctx) : null;
      if (!expected) return widget.frame.readback(t("readback.seal", { id: value }));
      const same = expected.toLowerCase() === value.toLowerCase();
      widget.frame.readback(t(same ? spec.matchKey : spec.mismatchKey, { id: value, expected }), same ? "ok" : "warn");
    };
    return widget;
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

function selectWidget(spec, ctx, select, { parse, describe }) {
  const f = frame(spec, select);
  select.addEventListener("change", () => ctx.changed());
  return {
    el: f.el, focus: f.focus, frame: f,
    read() {
      if (!select.value) throw new InputError("err.choose");
      return parse(select.value);
    },
    describe,
    update() {},
  };
}

// ------------------------------------------------------------------ sources and words

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

function participantFilter(filter, p, ctx) {
  const own = ctx.inbox && ctx.inbox.participant ? ctx.inbox.participant.code : null;
  if (filter === "active") return p.status === "active";
  if (filter === "suspended") return p.status === "suspended";
  if (filter === "otherActive") return p.status === "active" && p.code !== own;
  return true;
}

export function hsWords(code) {
  const dotted = `${String(code).slice(0, 4)}.${String(code).slice(4)}`;
  return `${dotted} ${t(`hs.${code}`)}`;
}

export function reasonWords(code) {
  return t("value.reason", { code, words: t(`reason.${code}`) });
}

function participantWords(code, ctx) {
  const p = (ctx.participants || []).find((x) => x.code === code);
  return p ? `${code} — ${p.name}` : code;
}

function originWords(origins) {
  if (!origins || !origins.length) return "—";
  return origins.length > 1 ? t("value.mixedOrigin", { codes: origins.join(", ") }) : origins[0];
}

export function lotWords(it) {
  const kind = it.kind === "consignment" ? "lot.consignment" : "lot.parcel";
  const bits = [t(kind, { id: String(it.id) })];
  if (it.points !== undefined) bits.push(formatCarats(it.points, locale()));
  if (it.kind === "consignment" && it.parcel_count !== undefined) bits.push(t("lot.parcels", { count: it.parcel_count }));
  if (it.hs_codes && it.hs_codes.length) bits.push(it.hs_codes.map((c) => `${String(c).slice(0, 4)}.${String(c).slice(4)}`).join(", "));
  if (it.origins) bits.push(originWords(it.origins));
  return bits.join(" · ");
}

function certificateWords(c) {
  return t("cert.summary", {
    number: c.number, from: c.exporter, to: c.importer, carats: formatCarats(c.points, locale()),
    consignment: String(c.consignment_id),
  });
}

function roleList(bits, ctx) {
  return Object.entries(ctx.roleBits).filter(([, bit]) => BigInt(bits) & BigInt(bit)).map(([name]) => t(`role.${name}`)).join(", ");
}

function accountWords(info, address) {
  if (info === undefined) return t("readback.addressChecking", { address });
  if (info === null) return t("readback.address", { address });
  if (!info.member) return t("readback.addressNotMember", { address });
  const roles = info.roles.map((r) => t(`role.${r}`)).join(", ");
  if (info.name) {
    return t("readback.addressNamed", { name: info.name, address, participant: info.participant, roles });
  }
  return t("readback.addressMember", { address, participant: info.participant, roles });
}

function decodeText(hex) {
  const bytes = hex.slice(2).match(/../g).map((b) => parseInt(b, 16)).filter((b) => b !== 0);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return hex;
  }
}

export function fmtTime(seconds) {
  const date = new Date(Number(seconds) * 1000);
  return `${new Intl.DateTimeFormat(locale(), {
    year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: "UTC",
  }).format(date)} UTC`;
}

