// What the console read from an API on its last online visit, kept on this device so that it can prepare and sign
// writes while that API cannot be reached: the action list and deployment (checked again against the console's own
// pinned table before use, exactly as an answer of the API is), the participants, and each account's inbox. Kept
// per API in localStorage; nothing secret (all of it is public ledger data), and never a reason to trust an API.
import { apiUrl } from "../api.js";

const KEY = "kp-console-last-visit";

function all() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function save(value) {
  try {
    localStorage.setItem(KEY, JSON.stringify(value));
  } catch {
    // storage refused or full: the console still works online
  }
}

/** Remembers what `api` answered ({listing, config, participants}) with the time. */
export function remember(api, reads) {
  const kept = all();
  const before = kept[apiUrl(api)] || {};
  kept[apiUrl(api)] = { ...reads, inboxes: before.inboxes || {}, at: Date.now() };
  save(kept);
}

/** Remembers the inbox of `account` read from `api`. */
export function rememberInbox(api, account, inbox) {
  const kept = all();
  const visit = kept[apiUrl(api)];
  if (!visit) return;
  visit.inboxes[account.toLowerCase()] = { inbox, at: Date.now() };
  save(kept);
}

/** What `api` answered on the last online visit ({listing, config, participants, inboxes, at}), or null. */
export function lastVisit(api) {
  return all()[apiUrl(api)] || null;
}

/** The inbox of `account` as `api` last answered it ({inbox, at}), or null. */
export function lastInbox(api, account) {
  const visit = lastVisit(api);
  return (visit && visit.inboxes[account.toLowerCase()]) || null;
}
