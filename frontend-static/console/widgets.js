// Form widgets for plain values: each renders one message field, reads the person's input into the value the
// ledger records (throwing InputError with a text key), reads it back in words, and says it in the confirmation
// screen. The widgets that choose from the inbox (lots, offers, certificates) are in lotwidgets.js; which widget a
// field gets is decided in forms.js.
import { sha256 } from "../sha256.js";
import { h, plain } from "../util.js";
import { has, locale, t } from "./i18n.js";
import {
  InputError, ZERO32, formatCarats, formatInteger, parseAddress, parseBytes32, parseCarats, parseUint, textBytes32,
} from "./units.js";
import { accountWords, countryWords, hsWords, reasonWords, roleList } from "./words.js";

export const HS_CODES = [710210, 710221, 710231];
export const REASONS = [1, 2, 3, 4, 5, 6, 7];
const DAY = 86_400;

let serial = 0;

/** A number unique in the page, for the ids that tie labels to controls. */
export function uid() {
  return ++serial;
}

/** The labelled frame of a field: label, control, hint, read-back and error lines, wired for screen readers. */
export function frame(spec, control, { group = false } = {}) {
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
      back.textContent = plain(text || "");
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

export function inputEl(attrs = {}) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
}

export function selectEl(options, placeholder) {
  return h("select", {},
    placeholder ? h("option", { value: "" }, placeholder) : null,
    ...options.map((o) => h("option", { value: o.value }, o.label)));
}

/** A widget whose value is parsed from one text input. */
export function textWidget(spec, ctx, { attrs = {}, parse, back, describe }) {
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
        const said = back ? back(value) : "";
        if (Array.isArray(said)) f.readback(...said);  // [text, tone]: "ok", "warn"
        else f.readback(said);
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
    return textWidget(spec, ctx, {
      attrs: { placeholder: "0x…", inputmode: "text" },
      parse: parseAddress,
      describe: (value) => accountWords(ctx.accountInfo(value), value),
      back(value) {
        const info = ctx.accountInfo(value, () => ctx.changed());
        return [accountWords(info, value), info && info.member === false ? "warn" : ""];
      },
    });
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
      describe: (code) => countryWords(code),
    });
  },

  ownParticipant(spec, ctx) {
    const own = ctx.inbox && ctx.inbox.participant;
    if (!own) return WIDGETS.isoCode(spec, ctx);
    const input = inputEl({ readonly: true, value: own.code });
    input.value = own.code;
    const f = frame({ ...spec, hintText: t("hint.ownParticipant", { name: own.name }) }, input);
    return { el: f.el, focus: f.focus, read: () => own.code, describe: (code) => countryWords(code), update() {} };
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
      describe: (bits) => roleList(bits, ctx.roleBits),
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
};

export function selectWidget(spec, ctx, select, { parse, describe }) {
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

function participantFilter(filter, p, ctx) {
  const own = ctx.inbox && ctx.inbox.participant ? ctx.inbox.participant.code : null;
  if (filter === "active") return p.status === "active";
  if (filter === "suspended") return p.status === "suspended";
  if (filter === "otherActive") return p.status === "active" && p.code !== own;
  return true;
}

function decodeText(hex) {
  const bytes = hex.slice(2).match(/../g).map((b) => parseInt(b, 16)).filter((b) => b !== 0);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return hex;
  }
}
