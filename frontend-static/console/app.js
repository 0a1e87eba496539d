// KP Ledger participant console: connect a wallet, see what waits for the account, fill a form, check what
// will be signed, sign it in the wallet (EIP-712) and follow the write until the ledger shows it. This module holds
// the flow and its state; views.js draws the account and inbox, review.js the check before signing and the result,
// papers.js a certificate's document, print and slip once it is issued.
// What it signs is its own (actions.js) and for the deployment's contracts (deployment.js): an API that says
// otherwise is refused before the wallet is asked anything. A wallet on another chain is said so on every screen
// and cannot be asked to sign until it switches; what the wallet says is said as the wallet's words.
// When the API cannot be reached, a write is signed on a nonce lane of its own with the deadline its signer chose and
// kept on this device (outbox.js), shown and relayed when the network returns (queue.js), from what the last online
// visit read (lastvisit.js); sw.js keeps the console's own files so that it opens offline.
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
import { lastInbox, lastVisit, remember, rememberInbox } from "./lastvisit.js";
import * as outbox from "./outbox.js";
import { createQueue } from "./queue.js";

const $ = (id) => document.getElementById(id);
const TTL = 3600; // seconds a signed intent stays valid when it is relayed at once
const QUEUE_DAYS = [1, 7, 30]; // what the signer may choose for an intent kept until the network returns
const QUEUE_DEFAULT_DAYS = 7;
const SECTIONS = ["foreign-section", "connect-section", "account-section", "inbox-section", "actions-section",
  "form-section", "confirm-section", "progress-section", "papers-section", "outbox-section"];

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
  offline: false, // the API could not be reached (or the browser says it is offline): writes are kept to send later
  offlineSince: null, // when what the console shows was last read from the API (ms), while offline
};

let queue = null; // the outbox's relay (queue.js), once the deployment is known

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

// ------------------------------------------------------------------ offline

/** Whether an error says the API could not be reached (as opposed to an answer). */
function networkDown(error) {
  return error instanceof ApiError && error.code === "NetworkError";
}

function offline() {
  return state.offline || navigator.onLine === false;
}

/** The API could not be reached: what the console shows was read at `at` (ms) at the latest. */
function goOffline(at = null) {
  state.offline = true;
  if (at !== null) state.offlineSince = state.offlineSince === null ? at : Math.min(state.offlineSince, at);
  renderOffline();
}

function goOnline() {
  state.offline = false;
  state.offlineSince = null;
  renderOffline();
}

/** Said on every screen while offline: how old what the console shows is, and what becomes of a write signed now. */
function renderOffline() {
  const note = clear($("offline-note"));
  note.hidden = !offline();
  if (note.hidden) return;
  note.append(h("strong", {}, t("offline.heading")), " ", state.offlineSince === null ? t("offline.text")
    : t("offline.textSince", { when: fmtTime(state.offlineSince / 1000) }));
}

/** The choice of how long a write kept offline stays valid (its signed deadline). */
function queueChoice() {
  const select = h("select", { id: "queue-days" }, ...QUEUE_DAYS.map((days) =>
    h("option", { value: String(days) }, t("offline.days", { count: days }))));
  select.value = String(QUEUE_DEFAULT_DAYS);
  return h("div", { class: "note warn", id: "queue-note" }, h("p", {}, t("offline.formNote")),
    h("label", { for: "queue-days" }, t("offline.validFor")), " ", select);
}

// ------------------------------------------------------------------ views

function show(...ids) {
  for (const id of SECTIONS) $(id).hidden = !ids.includes(id);
  state.home = ids.includes("outbox-section");
  if (state.home && queue) queue.draw(); // shown when it holds something
  renderChain();
  renderOffline();
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
    show("connect-section", "outbox-section");
    return;
  }
  show("account-section", "inbox-section", "actions-section", "outbox-section");
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
  const [inbox, chain] = await Promise.all([readInbox(state.account), wallet.chainId().catch(() => null)]);
  state.inbox = inbox;
  state.walletChain = chain;
  renderChain();
}

/** The account's inbox from the API (kept for offline use), or, when the API cannot be reached, as last read. */
async function readInbox(account) {
  try {
    const inbox = await api.inbox(account);
    rememberInbox(apiBase(), account, inbox);
    return inbox;
  } catch (error) {
    const kept = networkDown(error) ? lastInbox(apiBase(), account) : null;
    if (!kept) throw error;
    goOffline(kept.at);
    return kept.inbox;
  }
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
  if (offline()) notes.append(queueChoice());
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
    // online: the next nonce of the sequential lane (key 0); offline: a lane of its own (outbox.js), to relay later
    const nonces = navigator.onLine === false ? null : await api.nonces(state.account).catch((error) => {
      if (networkDown(error)) return null;
      throw error;
    });
    const queued = nonces === null;
    if (queued) goOffline();
    else goOnline();
    const days = Number(($("queue-days") || {}).value || QUEUE_DEFAULT_DAYS);
    const nonce = queued ? outbox.freshNonce() : nonces[action.contract];
    const deadline = Math.floor(Date.now() / 1000) + (queued ? days * 86400 : TTL);
    const typed = typedData(action, fields, { signer: state.account, nonce, deadline });
    state.pending = { action, typed, fields, extras: built.extras(), payload: walletPayload(typed), digest: digest(typed),
      queued };
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
  if (state.pending.queued) {
    $("confirm-extra").prepend(h("p", { class: "note warn", id: "confirm-queued" }, t("offline.confirmNote", {
      when: fmtTime(Number(state.pending.typed.message.deadline)) })));
  }
  $("sign").textContent = t(state.pending.queued ? "button.signKeep" : "button.sign");
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
    if (state.pending.queued) {
      await keep(action, typed, signature);
      return;
    }
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

/** Keeps a write signed offline in the outbox, bound to the API and deployment it was signed for. */
async function keep(action, typed, signature) {
  const summary = [...document.querySelectorAll("#confirm-rows tr")]
    .filter((tr) => !["signer", "nonce", "deadline"].includes(tr.dataset.field))
    .map((tr) => `${tr.querySelector("th").firstChild.textContent}: ${tr.querySelector("td").textContent}`);
  const record = await outbox.add({
    api: apiBase(), chain_id: state.deployment.chain_id, contracts: { ...state.deployment.contracts },
    action: action.action, path: actionPath(action, typed.message), signer: state.account,
    body: writeBody(typed, state.account, signature, state.pending.extras), digest: state.pending.digest,
    nonce: String(typed.message.nonce), deadline: Number(typed.message.deadline), signed_at: Date.now(), summary,
  });
  step("relayed", "waiting", t("progress.kept"));
  clear($("progress-result")).append(h("p", { class: "note warn", id: "write-queued", "data-outbox-id": String(record.id) },
    h("strong", {}, t("outbox.state.waiting")), " ", t("progress.keptDetail",
      { when: fmtTime(record.deadline) })));
  announce(t("status.kept", { action: t(`action.${action.action}`) }));
  state.pending = null;
  if (!offline()) queue.relay(); // the network came back while the wallet was asked
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
/** The API's action list, deployment and participants (kept for offline use), or, when the API cannot be reached,
 * as last read (then checked exactly as the API's answers are). */
async function readLedger() {
  try {
    const reads = await Promise.all([api.actions(), api.config(), api.participants()]);
    const [listing, config, participants] = reads;
    remember(apiBase(), { listing, config, participants });
    return reads;
  } catch (error) {
    const kept = networkDown(error) ? lastVisit(apiBase()) : null;
    if (!kept) throw error;
    goOffline(kept.at);
    return [kept.listing, kept.config, kept.participants];
  }
}

async function loadLedger() {
  const foreign = foreignApi();
  if (foreign !== null) {
    if (!apiUrl(foreign)) throw new ApiError("InvalidApi", foreign);
    useApi(foreign);
    relabel();
  }
  const [listing, config, participants] = await readLedger();
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
  queue = createQueue({ deployment: () => state.deployment, write: api.write, errorBlock, announce });
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
  window.addEventListener("online", () => sendQueued());
  window.addEventListener("offline", () => goOffline());
  $("outbox-send").addEventListener("click", () => sendQueued());
  route();
  document.body.dataset.ready = "true";
  if (!offline()) sendQueued();
  keepFiles();
}

/** Asks the console's service worker (sw.js) to keep the files this page loaded, so that it opens offline next
 * time; `data-offline-ready` on the body once they are kept. */
async function keepFiles() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("sw.js");
    const { active } = await navigator.serviceWorker.ready;
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.kept !== undefined) document.body.dataset.offlineReady = "true";
    });
    active.postMessage({ keep: [location.href, ...performance.getEntriesByType("resource").map((e) => e.name)] });
  } catch {
    // no service worker here (a private window, an insecure origin): the console works online only
  }
}

/** The network is back (or the person asked): the outbox is relayed, then the account read again (as last read,
 * and said so, if the API still cannot be reached). */
async function sendQueued() {
  if (navigator.onLine !== false) goOnline();
  await queue.relay();
  if (!state.account) return;
  await refreshAccount().catch(() => {});
  if (state.home && !state.busy) route();
}

start();
