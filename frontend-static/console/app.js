// KP Ledger participant console: connect a wallet, see what waits for the account, fill a form, check what
// will be signed, sign it in the wallet (EIP-712) and follow the write until the ledger shows it. This module holds
// the flow and its state; views.js draws the account and inbox, review.js the check before signing and the result,
// papers.js a certificate's document, print and slip once it is issued.
// What it signs is its own (actions.js) and for the deployment's contracts (deployment.js): an API that says
// otherwise is refused before the wallet is asked anything. A wallet on another chain is said so on every screen
// and cannot be asked to sign until it switches; what the wallet says is said as the wallet's words.
import { ApiError, apiBase, apiUrl, request, useApi } from "../api.js";
import { clear, h, plain } from "../util.js";
import { ROLES } from "./actions.js";
import {
  ApiRefused, CONTRACTS, checkDeployment, checkListing, confirm, confirmedFor, deploymentChanges, foreignApi,
  pinnedActions,
} from "./deployment.js";
import { buildForm, mayAct } from "./forms.js";
import { LANGUAGES, has, initialLanguage, language, setLanguage, t, translatePage } from "./i18n.js";
import { drawPapers } from "./papers.js";
import { actionPath, digest, recoverSigner, typedData, walletPayload, writeBody } from "./typed.js";
import { sameAddress } from "./units.js";
import { drawConfirm, drawResult } from "./review.js";
import { actLink, drawAccount, drawInbox, viewerUrl } from "./views.js";
import * as wallet from "./wallet.js";
import { WalletError } from "./wallet.js";
import { fmtTime, setParticipants } from "./words.js";

const $ = (id) => document.getElementById(id);
const TTL = 3600; // seconds a signed intent stays valid
const SECTIONS = ["foreign-section", "connect-section", "account-section", "inbox-section", "actions-section",
  "form-section", "confirm-section", "progress-section", "papers-section"];

const state = {
  phase: "loading", // loading | foreign (the person checks an API's contracts) | refused | ready
  actions: new Map(), // name -> action: the console's pinned table, each with the deployment's EIP-712 domain
  deployment: null, // {chain_id, contracts}: what every signature is bound to
  foreign: null, // {api, config, before}: an API the console is not deployed with, while the person checks it
  chainId: null,
  roleBits: {},
  participants: [],
  account: null,
  walletChain: null,
  inbox: null,
  accounts: new Map(), // address -> null | {member, participant, roles} (address read-backs)
  form: null, // {action, built}
  pending: null, // {action, typed, payload, digest}
  documents: new Map(), // certificate number -> its document composed or checked here, to file once issued
  busy: false,
};

const api = {
  actions: () => request("/v1/actions"),
  config: () => request("/v1/config"),
  participants: () => request("/v1/participants"),
  inbox: (address) => request(`/v1/accounts/${address}/inbox`),
  account: (address) => request(`/v1/accounts/${address}`),
  nonces: (address) => request(`/v1/accounts/${address}/nonces`),
  health: () => request("/healthz"),
  write: (path, body) => request(path, {
    method: "POST", body, headers: { Accept: "application/json", "Content-Type": "application/json" },
  }),
};

// ------------------------------------------------------------------ messages

function announce(text) {
  $("status").textContent = plain(text);
}

/** An error in words: the API's stable code, its explanation in the current language, and the API's message. */
function errorBlock(error, title) {
  if (error instanceof ApiRefused) {
    return [
      h("p", { class: "error-title" }, title),
      h("p", {}, h("code", { class: "error-code", "data-code": error.code }, error.code), " ", t(`code.${error.code}`)),
      h("ul", { class: "error-detail" }, ...error.differences.map((d) => h("li", {}, t("refused.difference", d)))),
    ];
  }
  const code = error instanceof ApiError || error instanceof WalletError ? error.code : "Error";
  if (error instanceof WalletError) { // the wallet's words, never the ledger's
    const words = error.key === "wallet.wrongChain"
      ? t("wallet.wrongChain", { wallet: error.detail, ledger: String(state.chainId) }) : t(error.key);
    return [
      h("p", { class: "error-title" }, title),
      h("p", {}, h("code", { class: "error-code", "data-code": code }, code), " ", words),
      error.detail && error.key !== "wallet.wrongChain"
        ? h("p", { class: "error-detail" }, t("error.walletSays"), " ", h("q", {}, error.detail)) : null,
    ];
  }
  const words = error instanceof ApiError && has(`code.${code}`) ? t(`code.${code}`) : null;
  const detail = error.message;
  return [
    h("p", { class: "error-title" }, title),
    h("p", {}, h("code", { class: "error-code", "data-code": code }, code), " ", words || detail || ""),
    words && detail && detail !== words && error instanceof ApiError
      ? h("p", { class: "error-detail" }, t("error.ledgerSays"), " ", h("q", {}, detail)) : null,
  ];
}

function showError(error, title) {
  const box = clear($("error"));
  box.append(...errorBlock(error, title));
  box.hidden = false;
}

function clearError() {
  clear($("error")).hidden = true;
}

// ------------------------------------------------------------------ views

function show(...ids) {
  for (const id of SECTIONS) $(id).hidden = !ids.includes(id);
  renderChain();
}

// ------------------------------------------------------------------ the wallet's chain

/** Whether the connected wallet is known to be on another chain than the ledger's. */
function wrongChain() {
  return Boolean(state.account) && state.walletChain !== null && state.walletChain !== state.chainId;
}

function chainNote(id) {
  const button = h("button", { type: "button", class: "secondary", id: `${id}-switch` },
    t("button.switchChain", { chain: String(state.chainId) }));
  button.addEventListener("click", switchChain);
  return h("p", { class: "note warn" }, t("wallet.wrongChain", { wallet: String(state.walletChain),
    ledger: String(state.chainId) }), " ", button);
}

/** The wallet's chain on every screen: a note with the switch when it is not the ledger's, on the confirmation
 * beside the sign button, which stays disabled until the chain is right. */
function renderChain() {
  const wrong = wrongChain();
  const confirming = !$("confirm-section").hidden;
  const top = clear($("chain-note"));
  top.hidden = !wrong || confirming;
  if (wrong && !confirming) top.append(chainNote("chain"));
  const there = clear($("confirm-chain"));
  there.hidden = !wrong;
  if (wrong) there.append(chainNote("confirm"));
  $("sign").disabled = wrong || state.busy;
}

function focusHeading(id) {
  const el = $(id);
  if (el) el.focus();
}

function route() {
  if (state.phase !== "ready") return;
  clearError();
  const match = location.hash.match(/^#\/act\/(\w+)(?:\?(.*))?$/);
  if (match) return openForm(match[1], Object.fromEntries(new URLSearchParams(match[2] || "")));
  const papers = location.hash.match(/^#\/papers\/([A-Za-z0-9-]{1,40})$/);
  if (papers) return openPapers(papers[1].toUpperCase());
  state.form = null;
  state.pending = null;
  if (!state.account) {
    show("connect-section");
    return;
  }
  show("account-section", "inbox-section", "actions-section");
  renderAccount();
  renderInbox();
  renderActions();
}

// ------------------------------------------------------------------ wallet and account

async function connect() {
  clearError();
  $("connect").disabled = true;
  announce(t("status.connecting"));
  try {
    state.account = await wallet.connect();
    await refreshAccount();
    announce(state.inbox.name ? t("status.connectedNamed", { name: state.inbox.name, address: state.account })
      : t("status.connected", { address: state.account }));
    if (!location.hash.startsWith("#/act/")) location.hash = "#/";
    route();
    focusHeading("account-heading");
  } catch (error) {
    announce("");
    showError(error, t("error.connect"));
  } finally {
    $("connect").disabled = false;
  }
}

async function refreshAccount() {
  const [inbox, chain] = await Promise.all([api.inbox(state.account), wallet.chainId().catch(() => null)]);
  state.inbox = inbox;
  state.walletChain = chain;
  renderChain();
}

async function walletChanged() {
  const account = await wallet.currentAccount().catch(() => null);
  state.account = account;
  if (account) await refreshAccount().catch((error) => showError(error, t("error.inbox")));
  if (!state.busy) route();
}

/** The wallet switched chains: said at once, without leaving the screen (a confirmation keeps what it shows). */
function chainChanged(id) {
  state.walletChain = id;
  renderChain();
  if (state.account && !wrongChain()) announce(t("status.chainRight", { chain: String(state.chainId) }));
}

function renderAccount() {
  drawAccount($("account-facts"), $("account-notes"), { inbox: state.inbox, account: state.account });
}

async function switchChain() {
  clearError();
  try {
    await wallet.switchChain(state.chainId);
    chainChanged(await wallet.chainId());
  } catch (error) {
    showError(error, t("error.switchChain"));
  }
}

// ------------------------------------------------------------------ inbox

function renderInbox() {
  const may = (name) => state.actions.has(name) && mayAct(state.actions.get(name), state.inbox);
  drawInbox($("inbox"), $("inbox-summary"), state.inbox, may);
}

// ------------------------------------------------------------------ actions

const GROUPS = [
  ["operator", "actions.operator"], ["authority", "actions.authority"], ["governance", "actions.governance"],
];

function renderActions() {
  const box = clear($("actions"));
  let shown = 0;
  for (const [signers, titleKey] of GROUPS) {
    const allowed = [...state.actions.values()].filter((a) => a.signers === signers && mayAct(a, state.inbox));
    if (!allowed.length) continue;
    shown += allowed.length;
    box.append(h("div", { class: "action-group" }, h("h3", {}, t(titleKey)),
      h("ul", { class: "action-list" }, ...allowed.map((a) => h("li", {},
        actLink(a.action, {}, t(`action.${a.action}`)),
        has(`action.${a.action}.help`) ? h("span", { class: "hint" }, t(`action.${a.action}.help`)) : null)))));
  }
  if (!shown) box.append(h("p", { class: "muted", id: "no-actions" }, t("actions.none")));
}

// ------------------------------------------------------------------ form

function accountInfo(address, onLoaded) {
  const key = address.toLowerCase();
  if (state.accounts.has(key)) return state.accounts.get(key);
  state.accounts.set(key, undefined);
  api.account(address)
    .then((member) => ({
      member: member.roles.length > 0, participant: member.participant, roles: member.roles, name: member.name,
      licence: member.licence_number,
    }))
    .catch((error) => (error instanceof ApiError && error.code === "AccountNotFound" ? { member: false } : null))
    .then((info) => {
      state.accounts.set(key, info);
      if (onLoaded) onLoaded();
    });
  return undefined;
}

function openForm(name, prefill) {
  const action = state.actions.get(name);
  if (!action) {
    show(state.account ? "actions-section" : "connect-section");
    showError(new ApiError("UnknownAction", name), t("error.unknownAction"));
    return;
  }
  if (!state.account) {
    show("connect-section");
    announce(t("status.connectFirst"));
    return;
  }
  show("form-section");
  $("form-heading").textContent = t(`action.${name}`);
  $("form-help").textContent = has(`action.${name}.help`) ? t(`action.${name}.help`) : "";
  const notes = clear($("form-notes"));
  if (!mayAct(action, state.inbox)) {
    notes.append(h("p", { class: "note warn", id: "form-not-allowed" }, t(`form.notAllowed.${action.signers}`)));
  }
  const built = buildForm(action, {
    inbox: state.inbox, participants: state.participants, roleBits: state.roleBits, prefill,
    accountInfo, changed: () => built.update(),
  });
  state.form = { action, built, prefill };
  const fields = clear($("form-fields"));
  fields.append(...built.elements);
  built.update();
  $("review").disabled = false;
  focusHeading("form-heading");
}

async function review(event) {
  event.preventDefault();
  if (!state.form || state.busy) return;
  clearError();
  const { action, built } = state.form;
  const { fields, errors } = built.read();
  built.update();
  if (errors.length) {
    announce(t("form.errors", { count: errors.length }));
    errors[0].widget.focus();
    return;
  }
  $("review").disabled = true;
  try {
    // a certificate's document is composed or checked against these terms now, before any signature is asked
    const prepared = await built.prepare(fields);
    if (prepared.errors.length) {
      announce(t("form.errors", { count: prepared.errors.length }));
      prepared.errors[0].widget.focus();
      return;
    }
    state.walletChain = await wallet.chainId().catch(() => state.walletChain);
    const nonces = await api.nonces(state.account);
    const nonce = nonces[action.contract];
    const deadline = Math.floor(Date.now() / 1000) + TTL;
    const typed = typedData(action, fields, { signer: state.account, nonce, deadline });
    state.pending = { action, typed, fields, extras: built.extras(), payload: walletPayload(typed), digest: digest(typed) };
    renderConfirm();
    show("confirm-section");
    focusHeading("confirm-heading");
  } catch (error) {
    showError(error, t("error.prepare"));
  } finally {
    $("review").disabled = false;
  }
}

function renderConfirm() {
  drawConfirm({ pending: state.pending, form: state.form, inbox: state.inbox, account: state.account });
  renderChain();
}

// ------------------------------------------------------------------ signing and progress

const STEPS = ["signed", "relayed", "mined", "indexed"];

function step(name, status, ...detail) {
  const li = $(`step-${name}`);
  li.dataset.status = status;
  clear(li.querySelector(".step-state")).append(t(`progress.state.${status}`));
  const more = clear(li.querySelector(".step-detail"));
  more.append(...detail);
}

async function sign() {
  if (!state.pending || state.busy) return;
  clearError();
  $("sign").disabled = true;
  // the wallet's chain, asked now: a wallet on another chain is not asked to sign (it would refuse, in its words)
  state.walletChain = await wallet.chainId().catch(() => state.walletChain);
  if (wrongChain()) {
    renderChain();
    announce(t("wallet.wrongChain", { wallet: String(state.walletChain), ledger: String(state.chainId) }));
    $("confirm-switch").focus();
    return;
  }
  state.busy = true;
  const { action, typed, payload } = state.pending;
  show("progress-section");
  $("progress-heading").textContent = t("progress.heading", { action: t(`action.${action.action}`) });
  for (const name of STEPS) step(name, "waiting");
  clear($("progress-result"));
  $("progress-edit").hidden = true;
  focusHeading("progress-heading");
  let current = "signed";
  try {
    step("signed", "active", t("progress.askWallet"));
    const signature = await wallet.signTypedData(state.account, payload);
    const recovered = recoverSigner(typed, signature);
    step("signed", "done", t("progress.signedDetail", { digest: state.pending.digest }),
      sameAddress(recovered, state.account) ? "" : h("span", { class: "note warn" }, " ", t("progress.otherSigner", { recovered })));
    current = "relayed";
    step("relayed", "active", t("progress.relaying"));
    const answer = await api.write(actionPath(action, typed.message),
      writeBody(typed, state.account, signature, state.pending.extras));
    step("relayed", "done", t("progress.relayedDetail", { id: answer.request_id }),
      answer.duplicate ? ` ${t("progress.duplicate")}` : "");
    current = "mined";
    step("mined", "done", t("progress.minedDetail", { block: String(answer.block_number) }), " ",
      h("code", { class: "hash-full", id: "progress-tx" }, answer.tx_hash));
    current = "indexed";
    step("indexed", answer.indexed ? "done" : "active", t(answer.indexed ? "progress.indexedDetail" : "progress.indexing"));
    if (!answer.indexed) {
      await waitIndexed(answer.block_number);
      step("indexed", "done", t("progress.indexedDetail"));
    }
    renderResult(action, typed.message, answer);
    announce(t("status.done", { action: t(`action.${action.action}`) }));
    state.pending = null;
    state.busy = false;
    await refreshAccount().catch(() => {}); // the inbox changed: fresh when the person goes back to it
  } catch (error) {
    step(current, "failed");
    const out = clear($("progress-result"));
    out.append(h("div", { class: "error", id: "write-refused", role: "alert", "data-code": error.code || "Error" },
      ...errorBlock(error, t("error.write", { action: t(`action.${action.action}`) })),
      h("p", {}, t("progress.refused"))));
    announce(t("status.refused"));
    $("progress-edit").hidden = false; // the form keeps what was typed: correct it and sign again
  } finally {
    state.busy = false;
  }
}

async function waitIndexed(block) {
  for (let i = 0; i < 60; i++) {
    const health = await api.health().catch(() => null);
    if (health && health.indexed_block >= block) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new ApiError("NotIndexed", t("progress.notIndexed", { block: String(block) }));
}

function renderResult(action, message, answer) {
  drawResult(action, message, answer, { inbox: state.inbox, accounts: state.accounts });
  if (action.action !== "IssueCertificate") return;
  const [held] = state.form ? state.form.built.held() : [];
  if (held) state.documents.set(message.number, held);
  clear($("papers-box")); // one set of papers in the page at a time (their ids are unique)
  const box = h("section", { class: "papers", id: "issue-papers", "aria-labelledby": "papers-heading" });
  $("progress-result").append(box);
  drawPapers(box, papersContext(message.number));
}

// ------------------------------------------------------------------ a certificate's papers

function papersContext(number) {
  return { number, held: state.documents.get(number) ?? null, account: state.account, chainId: state.chainId,
    errorBlock };
}

async function openPapers(number) {
  if (!state.account) {
    show("connect-section");
    announce(t("status.connectFirst"));
    return;
  }
  show("papers-section");
  clear($("progress-result")); // one set of papers in the page at a time (their ids are unique)
  $("papers-page-heading").textContent = t("papers.pageHeading", { number });
  focusHeading("papers-page-heading");
  await drawPapers($("papers-box"), papersContext(number));
}

// ------------------------------------------------------------------ start

function renderLanguages() {
  const select = clear($("lang"));
  for (const [code, texts] of Object.entries(LANGUAGES)) {
    select.append(h("option", { value: code, lang: code }, texts["meta.name"]));
  }
  select.value = language();
}

function relabel() {
  translatePage();
  document.title = t("app.title");
  renderLanguages();
  $("api-base").textContent = apiBase();
  $("viewer-home").href = viewerUrl(null);
  if (state.chainId !== null) $("api-chain").textContent = t("footer.chain", { id: String(state.chainId) });
  if (state.phase === "foreign") renderForeign();
  renderForeignNote();
}

// ------------------------------------------------------------------ the API and the deployment

/** The chain and contracts of an API the console is not deployed with, for the person to check before signing. */
function renderForeign() {
  const { api: base, config, before } = state.foreign;
  clear($("foreign-text")).append(t("foreign.text", { api: base }));
  clear($("foreign-domain")).append(
    h("dt", {}, t("foreign.api")), h("dd", {}, h("code", { class: "hash-full" }, base)),
    h("dt", {}, t("confirm.chain")), h("dd", { id: "foreign-chain" }, String(config.chain_id)),
    ...CONTRACTS.flatMap((c) => [h("dt", {}, c),
      h("dd", {}, h("code", { class: "hash-full", "data-contract": c }, String(config.contracts[c] ?? "—")))]));
  const changed = before ? deploymentChanges(before, config) : [];
  const note = clear($("foreign-changed"));
  note.hidden = changed.length === 0;
  if (changed.length) note.append(t("foreign.changed", { when: fmtTime(before.at / 1000), what: changed.join(", ") }));
}

function renderForeignNote() {
  const note = clear($("foreign-note"));
  const confirmed = state.phase === "ready" && foreignApi() !== null ? confirmedFor(apiBase()) : null;
  note.hidden = !confirmed;
  if (confirmed) {
    note.append(t("foreign.inUse", { api: apiBase(), chain: String(confirmed.chain_id),
      when: fmtTime(confirmed.at / 1000) }));
  }
}

/** The deployment of an API the console is not deployed with: the one the person confirmed for it (asked now when
 * never confirmed, or when the API's chain or contracts changed since). */
function confirmedDeployment(config) {
  const base = apiBase();
  const before = confirmedFor(base);
  if (before && deploymentChanges(before, config).length === 0) return Promise.resolve(before);
  state.phase = "foreign";
  state.foreign = { api: base, config, before };
  renderForeign();
  show("foreign-section");
  focusHeading("foreign-heading");
  document.body.dataset.ready = "true"; // the page waits for the person
  return new Promise((resolve) => {
    $("foreign-confirm").addEventListener("click", () => {
      confirm(base, config);
      state.foreign = null;
      resolve(confirmedFor(base));
    }, { once: true });
  });
}

/** Reads the API's action list, participants and deployment; refuses an API whose actions, chain or contracts
 * differ from what the console signs; for an API the console is not deployed with, asks the person first. */
async function loadLedger() {
  const foreign = foreignApi();
  if (foreign !== null) {
    if (!apiUrl(foreign)) throw new ApiError("InvalidApi", foreign);
    useApi(foreign);
    relabel();
  }
  const [listing, config, participants] = await Promise.all([api.actions(), api.config(), api.participants()]);
  checkListing(listing, "ConsoleActionsDiffer");
  checkDeployment(config);
  const deployment = foreign === null ? config : await confirmedDeployment(config);
  checkListing(listing, "ConsoleDomainDiffers", deployment);
  state.deployment = deployment;
  state.chainId = deployment.chain_id;
  state.roleBits = ROLES;
  state.actions = pinnedActions(deployment);
  state.participants = participants.data;
  setParticipants(participants.data);
}

async function start() {
  setLanguage(initialLanguage());
  relabel();
  $("lang").addEventListener("change", (event) => {
    setLanguage(event.target.value);
    relabel();
    if (state.phase !== "ready") return;
    if (state.pending && !$("confirm-section").hidden) renderConfirm();
    else if (!state.busy) route();
  });
  $("connect").addEventListener("click", connect);
  $("action-form").addEventListener("submit", review);
  $("sign").addEventListener("click", sign);
  $("back-to-form").addEventListener("click", () => {
    state.pending = null;
    show("form-section");
    focusHeading("form-heading");
  });
  $("progress-edit").addEventListener("click", () => {
    state.pending = null;
    show("form-section");
    focusHeading("form-heading");
  });
  $("progress-home").addEventListener("click", () => {
    location.hash = "#/";
    route();
  });
  $("inbox-refresh").addEventListener("click", async () => {
    try {
      await refreshAccount();
      route();
      announce(t("status.refreshed"));
    } catch (error) {
      showError(error, t("error.inbox"));
    }
  });
  try {
    await loadLedger();
  } catch (error) {
    state.phase = "refused";
    show(); // nothing to act on: only the refusal, in words
    showError(error, t(error instanceof ApiRefused ? "error.apiRefused" : "error.api", { api: apiBase() }));
    document.body.dataset.ready = "true";
    return;
  }
  state.phase = "ready";
  relabel();
  if (!wallet.provider()) {
    $("no-wallet").hidden = false;
    $("connect").disabled = true;
  } else {
    wallet.onChange(() => walletChanged(), (id) => chainChanged(id));
    state.account = await wallet.currentAccount().catch(() => null);
    if (state.account) await refreshAccount().catch((error) => showError(error, t("error.inbox")));
  }
  window.addEventListener("hashchange", () => {
    if (!state.busy) route();
  });
  route();
  document.body.dataset.ready = "true";
}

start();
