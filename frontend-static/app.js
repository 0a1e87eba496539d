// KP Ledger viewer: looks a lot up through the read API and shows its provenance, certificates, a
// document check and a direct check against the chain. No framework, no build step. This module routes
// (#/lot/N, #/certificate/..., #/statistics), loads the lot and starts the page; each view has its module.
import { api, apiBase, ApiError, ignoredApi, pinnedApi } from "./api.js";
import { hideCertificate, isCertificateRoute, setupCertificate, showCertificate } from "./certificate.js";
import { savedNode } from "./chain.js";
import { checkChain } from "./chaincheck.js";
import { setupDocumentCheck } from "./documentcheck.js";
import { drawRoute, render } from "./lotview.js";
import { $, announce, clearError, ensureParticipants, hideResults, showError, state } from "./page.js";
import { h } from "./util.js";
import { hideStatistics, isStatisticsRoute, setupStatistics, showStatistics } from "./statistics.js";

const MAX_LOT = 2 ** 40;

// ------------------------------------------------------------------ routing

function lotFromLocation() {
  const match = location.hash.match(/^#\/lot\/([^/?#]*)/);
  if (match) return decodeURIComponent(match[1]);
  return new URLSearchParams(location.search).get("lot");
}

function parseLot(text) {
  const value = String(text || "").trim().replace(/^#/, "");
  if (!/^\d{1,13}$/.test(value)) return null;
  const id = Number(value);
  return id >= 1 && id <= MAX_LOT ? id : null;
}

function route() {
  if (isStatisticsRoute()) {
    hideResults();
    clearError();
    announce("");
    showStatistics();
    return;
  }
  hideStatistics();
  if (isCertificateRoute()) {
    hideResults();
    clearError();
    ensureParticipants().then(() => showCertificate({ countryName: (code) => state.countryNames.get(code) || code }));
    return;
  }
  hideCertificate();
  const raw = lotFromLocation();
  if (raw === null || raw === "") {
    hideResults();
    announce("");
    return;
  }
  $("lot-input").value = raw;
  const id = parseLot(raw);
  if (id === null) {
    hideResults();
    showError(new ApiError("InvalidLotNumber", `“${raw}” is not a lot number: use digits only (1 to ${MAX_LOT}).`),
      "Check the number");
    return;
  }
  load(id);
}

// ------------------------------------------------------------------ loading

function explain(error, id) {
  if (error instanceof ApiError && /NotFound$/.test(error.code)) {
    return `No parcel or consignment ${id} on this ledger`;
  }
  if (error instanceof ApiError && error.code === "NetworkError") return "The ledger API cannot be reached";
  if (error instanceof ApiError && error.code === "InvalidRequest") return `“${id}” is not a valid lot number`;
  return `Could not load lot ${id}`;
}

async function load(id) {
  const token = ++state.loadToken;
  clearError();
  announce(`Loading lot ${id}…`);
  $("main").setAttribute("aria-busy", "true");
  try {
    const [lot] = await Promise.all([api.lot(id), ensureParticipants()]);
    let view;
    if (lot.kind === "consignment") {
      const parcels = await Promise.all(lot.parcel_ids.map((pid) => api.parcel(pid)));
      let steps = [];
      if (lot.parcel_ids.length) {
        const prov = await api.provenance(lot.parcel_ids[0]).catch(() => null);
        if (prov) steps = prov.timeline.filter((st) => st.lot_id === lot.id);
      }
      view = { kind: "consignment", id, lot, parcels, steps, certificates: lot.certificate ? [lot.certificate] : [] };
    } else {
      const provenance = await api.provenance(id);
      view = { kind: "parcel", id, lot: provenance.parcel, provenance, certificates: provenance.certificates,
        parcels: provenance.lineage.nodes };
    }
    if (token !== state.loadToken) return;
    state.view = view;
    render(view);
    const verdict = view.provenance ? ` Verdict: ${view.provenance.verdict.status === "ok" ? "complete" : "incomplete"}.` : "";
    announce(`${view.kind === "parcel" ? "Parcel" : "Consignment"} ${id} loaded.${verdict}`);
    // move focus to the result after a lookup the user asked for (screen readers then read it)
    if (state.focusAfterLoad) $(view.kind === "parcel" ? "verdict-heading" : "lot-heading").focus();
    state.focusAfterLoad = false;
  } catch (error) {
    if (token !== state.loadToken) return;
    state.focusAfterLoad = false;
    hideResults();
    announce("");
    showError(error, explain(error, id));
  } finally {
    if (token === state.loadToken) $("main").removeAttribute("aria-busy");
  }
}

// ------------------------------------------------------------------ start

async function showApiInfo() {
  $("api-base").textContent = apiBase();
  try {
    const health = await api.health();
    $("api-health").textContent = `· chain ${health.chain_id} · indexed block ${health.indexed_block}` +
      (health.status !== "ok" ? ` (index ${health.lag} blocks behind)` : "");
  } catch (error) {
    $("api-health").textContent = `· not reachable (${error.code || "error"})`;
  }
}

/** A link naming an API the deployment does not list: said at the top of the page, in words, and not followed. */
function showIgnoredApi() {
  const ignored = ignoredApi();
  if (!ignored) return;
  const box = $("api-ignored");
  box.append(h("strong", {}, "This link names another server: "), h("code", {}, ignored), ". ",
    "It is not part of this ledger, so it was ignored: everything on this page comes from the ledger at ",
    h("code", {}, pinnedApi()), ". A certificate or label whose QR code names another server is suspect.");
  box.hidden = false;
}

function start() {
  showIgnoredApi();
  $("rpc-url").value = savedNode();
  $("lookup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = $("lot-input").value.trim();
    const id = parseLot(raw);
    if (id === null) {
      hideResults();
      announce("");
      showError(new ApiError("InvalidLotNumber", raw ? `“${raw}” is not a lot number: use digits only.`
        : "Enter the number of a parcel or consignment."), "Check the number");
      $("lot-input").setAttribute("aria-invalid", "true");
      $("lot-input").focus();
      return;
    }
    $("lot-input").removeAttribute("aria-invalid");
    state.focusAfterLoad = true;
    if (location.hash === `#/lot/${id}`) load(id);
    else location.hash = `#/lot/${id}`;
  });
  $("chain-form").addEventListener("submit", checkChain);
  setupDocumentCheck();
  setupStatistics();
  setupCertificate();
  window.addEventListener("hashchange", route);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (state.view && state.view.kind === "parcel" && state.routeModel) drawRoute(state.routeModel);
    }, 150);
  });
  showApiInfo();
  route();
}

start();