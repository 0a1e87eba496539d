// The viewer's shared page state: the lot shown, the participants' names, the status line and the error box.
import { api, ApiError } from "./api.js";
import { clear, countryWords, h, plain } from "./util.js";

export const $ = (id) => document.getElementById(id);

export const state = {
  view: null, // {kind: "parcel"|"consignment", id, lot, provenance?, certificates: [], parcels: []}
  participants: null, // [{code, name, index, status}]
  countryNames: new Map(),
  loadToken: 0,
};

export function announce(text) {
  $("status").textContent = plain(text);
}

export function showError(error, context = "") {
  const box = $("error");
  clear(box);
  const code = error instanceof ApiError ? error.code : "Error";
  box.append(
    h("p", { class: "error-title" }, context || "Something went wrong"),
    h("p", {}, h("code", { class: "error-code" }, code), " ", error.message || String(error)),
  );
  box.hidden = false;
}

export function clearError() {
  clear($("error")).hidden = true;
}

export function hideResults() {
  for (const section of document.querySelectorAll("main > section")) section.hidden = true;
  state.view = null;
}

export async function ensureParticipants() {
  if (state.participants) return;
  try {
    const listing = await api.participants();
    state.participants = listing.data;
    state.countryNames = new Map(listing.data.map((p) => [p.code, p.name]));
  } catch {
    state.participants = null; // names are a nicety; codes are shown anyway
  }
}

/** "Botswana (BW)", as the certificate page, the CLI and the print write a participant. */
export function country(code) {
  return countryWords(code, state.countryNames.get(code));
}
