// THE form definitions of the console, keyed by action and field name: which widget fills each typed field
// of an action's EIP-712 message, with its options and label. The types themselves come from the console's action
// table (actions.js, generated from the backend's); a field listed here by name only needs a widget, and a field
// not listed gets the generic widget of its type (FALLBACK). Labels are text keys: `field.<name>` unless `label`
// says otherwise.
//
// To add an action or a field: add a line below and its texts in lang/*.js.
// Widget options: `label` / `hint` (text keys), `optional` (text, document: empty is allowed), `source` (lists
// from the inbox), `filter` (participants), `from` / `take` / `words` (values taken from a chosen lot).
import { plain } from "../util.js";
import { CERT_WIDGETS } from "./certdoc.js";
import { locale, t } from "./i18n.js";
import { businessFields } from "./typed.js";
import { formatCarats } from "./units.js";
import { LOT_WIDGETS } from "./lotwidgets.js";
import { WIDGETS } from "./widgets.js";
import { countryWords, hsWords } from "./words.js";

const ALL_WIDGETS = { ...WIDGETS, ...LOT_WIDGETS, ...CERT_WIDGETS };

const doc = { widget: "document" };
const fromConsignment = (take, words) => ({ widget: "fromLot", from: "consignmentId", take, words,
  hint: "hint.fromConsignment" });
const list = (values) => values.join(", ");
const profile = {
  name: { widget: "text", maxLength: 120, label: "field.legalName" },
  licenceNumber: { widget: "text", maxLength: 64 },
  registryRef: { widget: "text", maxLength: 64, optional: true },
};
const carats = (points) => formatCarats(points, locale());

export const FORMS = {
  // governance (the KP Chair / Secretariat)
  AdmitParticipant: { fields: { code: { widget: "isoCode" }, name: { widget: "text", maxLength: 200, label: "field.participantName" } } },
  SuspendParticipant: { fields: { code: { widget: "participant", filter: "active" }, reason: { widget: "reasonText", label: "field.suspendReason" } } },
  ReinstateParticipant: { fields: { code: { widget: "participant", filter: "suspended" } } },
  AppointAuthority: { fields: { participant: { widget: "participant" }, account: { widget: "address" }, name: { widget: "text", maxLength: 120, label: "field.authorityName" } } },
  DismissAuthority: { fields: { participant: { widget: "participant" }, account: { widget: "address" } } },
  SetMaxCertificateValidity: { fields: { maxValidity: { widget: "days", label: "field.maxValidity" } } },

  // authorities: licences, under the operator's legal name
  LicenseOperator: { fields: { account: { widget: "address" }, roles: { widget: "roles" }, ...profile } },
  UpdateOperatorProfile: { fields: { account: { widget: "address" }, ...profile } },
  RevokeOperator: { fields: { account: { widget: "address" }, roles: { widget: "roles", label: "field.rolesRevoked" } } },

  // licensed operators: parcels, consignments, custody
  RegisterParcel: {
    fields: {
      points: { widget: "carats" }, stones: { widget: "count" }, hsCode: { widget: "hs" },
      origin: { widget: "ownParticipant" }, documentHash: doc,
    },
  },
  SplitParcel: { fields: { parcelId: { widget: "lot", source: "parcels" }, children: { widget: "splitParts", from: "parcelId" } } },
  MergeParcels: { fields: { parcelIds: { widget: "lots", source: "parcels", min: 2 }, documentHash: doc } },
  SealConsignment: { fields: { parcelIds: { widget: "lots", source: "parcels" }, sealId: { widget: "seal", label: "field.sealNew" } } },
  OpenConsignment: { fields: { consignmentId: { widget: "lot", source: "openableConsignments" } } },
  OfferCustody: {
    fields: {
      lotId: { widget: "lot", source: "heldLots" },
      recipient: { widget: "recipient", from: "lotId" },
      sealId: {
        widget: "seal", label: "field.sealOffer", matchKey: "readback.sealMatchesConsignment",
        mismatchKey: "readback.sealDiffersConsignment",
        expect: (ctx) => {
          const lot = ctx.form.selected("lotId");
          return lot && lot.kind === "consignment" ? { id: lot.seal_id, label: lot.seal_label } : null;
        },
      },
    },
  },
  WithdrawOffer: { fields: { lotId: { widget: "lot", source: "myOffers" } } },
  AcceptCustody: {
    fields: {
      lotId: { widget: "lot", source: "offersToMe" },
      sealId: {
        widget: "seal", label: "field.sealReceived", matchKey: "readback.sealMatchesOffer",
        mismatchKey: "readback.sealDiffersOffer",
        expect: (ctx) => {
          const offer = ctx.form.selected("lotId");
          return offer ? { id: offer.seal_id, label: offer.seal_label } : null;
        },
      },
    },
  },
  RejectCustody: { fields: { lotId: { widget: "lot", source: "offersToMe" }, reason: { widget: "reason", codes: [1, 2, 3, 4, 5] } } },

  // authorities: certificates
  IssueCertificate: {
    fields: {
      number: { widget: "certificateNumber" },
      importer: { widget: "participant", filter: "otherActive" },
      importerAccount: { widget: "address", label: "field.importerAccount", hint: "hint.importerAccount" },
      consignmentId: { widget: "lot", source: "needingCertificate" },
      points: fromConsignment((lot) => BigInt(lot.points), carats),
      parcelCount: fromConsignment((lot) => BigInt(lot.parcel_count), (v) => String(v)),
      hsCodes: fromConsignment((lot) => lot.hs_codes.map(BigInt), (v) => list(v.map((c) => hsWords(Number(c))))),
      origins: fromConsignment((lot) => [...lot.origins], (v) => list(v.map(countryWords))),
      issuedAt: { widget: "now" },
      expiresAt: { widget: "validFor", from: "issuedAt", label: "field.validFor" },
      documentHash: { widget: "certificateDocument", label: "field.certificateDocument" },
      replaces: { widget: "text", upper: true, maxLength: 32, optional: true, label: "field.replaces", hint: "hint.replaces" },
    },
  },
  ConfirmImport: { fields: { number: { widget: "certificate", source: "toConfirm" } } },
  RecordDiscrepancy: {
    fields: {
      number: { widget: "certificate", source: "toConfirm" },
      reason: { widget: "reason", codes: [1, 2, 3, 4] },
      evidenceHash: { widget: "document", label: "field.evidence" },
    },
  },
  VoidCertificate: { fields: { number: { widget: "certificate", source: "issuedOpen" }, reason: { widget: "reason", codes: [6, 7, 1] } } },
};

/** The generic widget of an EIP-712 type, for fields this module does not name. */
export function fallback(type) {
  if (type === "string") return { widget: "text" };
  if (type === "address") return { widget: "address" };
  if (type === "bool") return { widget: "bool" };
  if (/^uint\d*$/.test(type)) return { widget: "uint" };
  if (type === "bytes32") return { widget: "hash" };
  if (/^(uint\d*|address|bytes32|string)\[\]$/.test(type)) return { widget: "list" };
  return { widget: "json" };
}

/** How each field of an action is filled: its definition here, or the fallback of its type. */
export function fieldSpecs(action) {
  const defs = (FORMS[action.action] || {}).fields || {};
  return businessFields(action).map((f) => {
    const def = defs[f.name] || fallback(f.type);
    const labelKey = def.label || `field.${f.name}`;
    return { ...def, name: f.name, type: f.type, labelKey, explicit: Boolean(defs[f.name]) };
  });
}

/** Whether the account may take the action: who signs it and the roles it needs, from the action table. */
export function mayAct(action, inbox) {
  if (!inbox) return false;
  if (action.signers === "governance") return Boolean(inbox.governance);
  if (!inbox.member) return false;
  return action.signer_roles.some((r) => inbox.roles.includes(r));
}

/**
 * The form of an action: its widgets in the order of the typed fields. `ctx` brings the account's inbox,
 * the participants, the role bits and prefilled values; `read()` returns the typed message fields.
 */
export function buildForm(action, ctx) {
  const specs = fieldSpecs(action);
  const widgets = new Map();
  const form = {
    selected: (name) => widgets.get(name)?.selected?.() ?? null,
    value: (name) => widgets.get(name).read(),
    label: (name) => t(specs.find((s) => s.name === name)?.labelKey ?? name),
    focus: (name) => widgets.get(name)?.focus(),
  };
  const context = { ...ctx, form };
  /** A field's outcome ({value} or {error}): the value into `fields` and the field's message cleared, or the error
   * (one with a message key) shown under the field and listed as {name, widget, text}; any other error is thrown. */
  const record = (fields, errors, spec, outcome) => {
    const widget = widgets.get(spec.name);
    if (!("error" in outcome)) {
      fields[spec.name] = outcome.value;
      fieldError(widget, "");
      return;
    }
    if (!outcome.error.key) throw outcome.error;
    const text = t(outcome.error.key, outcome.error.params);
    fieldError(widget, text);
    errors.push({ name: spec.name, widget, text });
  };
  for (const spec of specs) {
    const make = ALL_WIDGETS[spec.widget] || ALL_WIDGETS[fallback(spec.type).widget];
    widgets.set(spec.name, make({ ...spec, labelText: t(spec.labelKey) }, context));
  }
  return {
    specs,
    widgets,
    elements: [...widgets.values()].map((w) => w.el),
    update() {
      for (const w of widgets.values()) w.update();
    },
    /** Every field read, or the list of fields in error (each with its message key). */
    read() {
      const fields = {};
      const errors = [];
      for (const w of widgets.values()) w.reset?.();
      for (const spec of specs) record(fields, errors, spec, attempt(() => widgets.get(spec.name).read()));
      return { fields, errors };
    },
    /** After read(): the widgets that need the API to give their value (a certificate's document, composed or
     * checked against the terms) give it; {errors} like read(), shown under each field. */
    async prepare(fields) {
      const errors = [];
      for (const spec of specs) {
        const widget = widgets.get(spec.name);
        if (widget.prepare) record(fields, errors, spec, await attempt(async () => widget.prepare(fields)));
      }
      return { fields, errors };
    },
    /** What the confirmation shows beside the fields (a certificate's document). */
    confirmExtras() {
      return [...widgets.values()].map((w) => w.confirmExtra?.() ?? null).filter(Boolean);
    },
    /** The documents the form holds once prepared (a certificate's, to file after it is issued). */
    held() {
      return [...widgets.values()].map((w) => w.held?.() ?? null).filter(Boolean);
    },
    describe(name, value) {
      return widgets.get(name).describe(value);
    },
    /** What travels beside the signed message (a seal's label: `seal_label`), from the widgets that add any. */
    extras() {
      return Object.assign({}, ...[...widgets.values()].map((w) => (w.extra ? w.extra() : {})));
    },
  };
}

/** Shows (or clears) a field's error under it and marks its control invalid for screen readers. */
/** What `produce()` gives as {value}, or what it throws as {error}; a promise of either when it gives a promise. */
function attempt(produce) {
  try {
    const value = produce();
    return value instanceof Promise ? value.then((v) => ({ value: v }), (error) => ({ error })) : { value };
  } catch (error) {
    return { error };
  }
}

function fieldError(widget, text) {
  const line = widget.el.querySelector(":scope > .field-error");
  if (line) {
    line.textContent = plain(text || "");
    line.hidden = !text;
  }
  const control = widget.el.querySelector(":scope > input, :scope > select, :scope > textarea");
  if (control && text) control.setAttribute("aria-invalid", "true");
  else if (control) control.removeAttribute("aria-invalid");
}
