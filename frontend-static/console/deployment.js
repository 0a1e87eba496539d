// What the console signs for, and which API it trusts with it. The action table is the console's own (actions.js,
// generated from the backend's table): GET /v1/actions must say exactly the same, or the API is refused before
// anything is signed. The EIP-712 domain (chain id, contract addresses) is the deployment's: that of the API the
// console is deployed with (its own origin, <meta name="kp-api">, or one <meta name="kp-api-allow"> lists), or, for
// any other API a link names, the chain and contracts the person confirmed for it (shown in full, remembered on this
// device per API, asked again when they change).
import { apiUrl, isAllowed, linkedApi } from "../api.js";
import { ACTIONS, EIP712_VERSION, ROLES } from "./actions.js";

/** A refusal of the API, with the differences that caused it ([{action, what, console, api}]). */
export class ApiRefused extends Error {
  constructor(code, differences) {
    super(differences.map((d) => `${d.action} ${d.what}: ${d.console} / ${d.api}`).join("; "));
    this.code = code;
    this.differences = differences;
  }
}

/** The contracts the actions are signed for, in the table's order. */
export const CONTRACTS = [...new Set(ACTIONS.map((a) => a.contract))];

/** The EIP-712 domain of a contract of `deployment` ({chain_id, contracts}). */
export function domainOf(contract, deployment) {
  return { name: contract, version: EIP712_VERSION, chainId: deployment.chain_id,
    verifyingContract: deployment.contracts[contract] };
}

/** The actions the console signs: its pinned rows, each with its domain in `deployment`. */
export function pinnedActions(deployment) {
  return new Map(ACTIONS.map((a) => [a.action, { ...a, domain: domainOf(a.contract, deployment) }]));
}

// JSON with object keys sorted (arrays keep their order: EIP-712 field order is part of the type); addresses in
// lower case (EIP-55 checksums are a spelling of the same address)
function canonical(value) {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase();
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
    }
    return v;
  });
}

function shown(value) {
  if (value === undefined) return "—";
  const text = typeof value === "string" ? `“${value}”` : canonical(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** Where GET /v1/actions differs from what this console signs; with `deployment`, the domains and chain id too. */
export function differences(listing, deployment = null) {
  const found = [];
  const differ = (action, what, mine, theirs) => {
    if (canonical(mine) !== canonical(theirs)) found.push({ action, what, console: shown(mine), api: shown(theirs) });
  };
  const listed = new Map((listing.actions || []).map((a) => [a.action, a]));
  for (const row of ACTIONS) {
    const theirs = listed.get(row.action);
    if (!theirs) {
      found.push({ action: row.action, what: "action", console: "listed", api: "not listed" });
      continue;
    }
    const keys = new Set([...Object.keys(row), ...Object.keys(theirs)]);
    keys.delete("domain");
    for (const key of keys) differ(row.action, key, row[key], theirs[key]);
    if (deployment) differ(row.action, "domain", domainOf(row.contract, deployment), theirs.domain);
  }
  for (const name of listed.keys()) {
    if (!ACTIONS.some((a) => a.action === name)) found.push({ action: name, what: "action", console: "not known", api: "listed" });
  }
  differ("—", "roles", ROLES, listing.roles);
  if (deployment) differ("—", "chain_id", deployment.chain_id, listing.chain_id);
  return found;
}

/** Throws ApiRefused(code) when the API's action list differs from the console's (with `deployment`: its domains). */
export function checkListing(listing, code, deployment = null) {
  const found = differences(listing, deployment);
  if (found.length) throw new ApiRefused(code, found);
}

/** Throws ApiRefused("ConsoleDomainDiffers") when `deployment` lacks the chain id or an address the actions need. */
export function checkDeployment(deployment) {
  const found = [];
  const chain = deployment?.chain_id;
  if (!Number.isSafeInteger(chain) || chain <= 0) found.push({ action: "—", what: "chain_id", console: "a chain id", api: shown(chain) });
  for (const c of CONTRACTS) {
    const address = deployment?.contracts?.[c];
    if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
      found.push({ action: "—", what: c, console: "an address", api: shown(address) });
    }
  }
  if (found.length) throw new ApiRefused("ConsoleDomainDiffers", found);
}

// ------------------------------------------------------------------ APIs the console is not deployed with

/** The API a link names when the deployment does not list it (the person confirms its contracts), else null. */
export function foreignApi() {
  const linked = linkedApi();
  return linked !== null && !isAllowed(linked) ? linked : null;
}

const STORAGE_KEY = "kp-console-confirmed-apis";
const memory = {}; // when the browser refuses storage: the confirmation lasts for this page

function confirmations() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {};
  } catch {
    return memory;
  }
}

/** What the person confirmed for `api` before ({chain_id, contracts, at}), or null. */
export function confirmedFor(api) {
  return confirmations()[apiUrl(api)] || null;
}

/** Remembers that the person confirmed `deployment` for `api`. */
export function confirm(api, deployment) {
  const all = confirmations();
  all[apiUrl(api)] = { chain_id: deployment.chain_id, at: Date.now(),
    contracts: Object.fromEntries(CONTRACTS.map((c) => [c, deployment.contracts[c]])) };
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(all));
  } catch {
    Object.assign(memory, all);
  }
}

/** What differs between two deployments, as far as signing goes: ["chain id", "KPLedger", ...]. */
export function deploymentChanges(before, now) {
  const changed = before.chain_id === now.chain_id ? [] : ["chain id"];
  for (const c of CONTRACTS) {
    if (canonical(before.contracts[c] ?? null) !== canonical(now.contracts[c] ?? null)) changed.push(c);
  }
  return changed;
}
