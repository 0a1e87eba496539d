// The read API client, and which API a page may read. The deployment chooses it, not a link: <meta name="kp-api">
// names the ledger's API (empty: this page's own origin, where the backend serves the pages): the *pinned* API. A
// link's ?api= is followed only when the deployment lists that API in <meta name="kp-api-allow"> (base URLs,
// separated by spaces): the viewer ignores any other and says so, since a page on the ledger's origin must not
// vouch for a server a forged QR code names. The console may use an unlisted API once the person has confirmed its
// chain and contracts (console/deployment.js calls useApi). Whatever API is read, the contracts a page checks
// against and signs for come from the pinned API (pinnedConfig), or from what the person confirmed.

export class ApiError extends Error {
  constructor(code, message, status = 0, details = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** An API base URL in one form (http(s), no trailing slash, no query), or null for anything else. */
export function apiUrl(text) {
  try {
    const url = new URL(String(text || "").trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  } catch {
    return null;
  }
}

function meta(name) {
  const el = document.querySelector(`meta[name="${name}"]`);
  return el ? (el.getAttribute("content") || "").trim() : "";
}

/** The API this deployment is made with: <meta name="kp-api">, else the page's own origin. */
export function pinnedApi() {
  return apiUrl(meta("kp-api")) || location.origin;
}

/** What the link's ?api= says, as written (null without one). */
export function linkedApi() {
  const text = new URLSearchParams(location.search).get("api");
  return text && text.trim() ? text.trim() : null;
}

/** Whether the deployment reads `url` without asking: the pinned API or one listed in kp-api-allow. */
export function isAllowed(url) {
  const wanted = apiUrl(url);
  if (!wanted) return false;
  return wanted === pinnedApi() || meta("kp-api-allow").split(/\s+/).some((item) => apiUrl(item) === wanted);
}

/** The ?api= of the link when the page does not follow it (not allowed by the deployment), else null. */
export function ignoredApi() {
  const linked = linkedApi();
  return linked && !isAllowed(linked) ? linked : null;
}

let chosen = null;

/** The console, once the person confirmed an API the deployment does not list, reads and writes through it. */
export function useApi(url) {
  chosen = apiUrl(url);
}

/** The API the page reads: one the console's user confirmed, else the link's if allowed, else the pinned one. */
export function apiBase() {
  if (chosen) return chosen;
  const linked = linkedApi();
  return linked && isAllowed(linked) ? apiUrl(linked) : pinnedApi();
}

/** One exchange with the API: parsed JSON, or an ApiError carrying the API's {code, message, details}. */
export async function request(path, options = {}, base = apiBase()) {
  const url = base + path;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  } catch (error) {
    throw new ApiError("NetworkError", `could not reach the API at ${base} (${error.message})`);
  }
  let body;
  const text = await response.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    if (body && body.code) throw new ApiError(body.code, body.message || "", response.status, body.details);
    if (body && body.detail) throw new ApiError(`HTTP${response.status}`, String(body.detail), response.status);
    throw new ApiError(`HTTP${response.status}`, `${response.statusText || "error"} from ${url}`, response.status);
  }
  if (body === null) throw new ApiError("BadResponse", `the API at ${url} did not answer JSON`, response.status);
  return body;
}

let pinned = null;

/** The chain id and contract addresses of the pinned API's deployment (GET /v1/config there, asked once): what the
 * chain check reads, whichever API the page shows. */
export function pinnedConfig() {
  pinned ||= request("/v1/config", {}, pinnedApi()).catch((error) => {
    pinned = null;
    throw error;
  });
  return pinned;
}

function statisticsPath(path, params) {
  return `/v1/statistics/${path}?${new URLSearchParams(params)}`;
}

export const api = {
  health: () => request("/healthz"),
  participants: () => request("/v1/participants"),
  lot: (id) => request(`/v1/lots/${encodeURIComponent(id)}`),
  parcel: (id) => request(`/v1/parcels/${encodeURIComponent(id)}`),
  provenance: (id) => request(`/v1/parcels/${encodeURIComponent(id)}/provenance`),
  certificate: (number) => request(`/v1/certificates/${encodeURIComponent(number)}`),
  statisticsTrade: (code, year, basis) => request(statisticsPath(`participants/${code}/trade`, { year, basis })),
  statisticsProduction: (code, year) => request(statisticsPath(`participants/${code}/production`, { year })),
  statisticsSummary: (year, basis) => request(statisticsPath("summary", { year, basis })),
  statisticsUrl: (path, params) => apiBase() + statisticsPath(path, params),
  /** The verdict on a file from its SHA-256 (the file stays here), for what the page shows: {certificate} or {lot}. */
  verdict: (sha256, context = {}) => {
    const query = new URLSearchParams(Object.entries(context).filter(([, value]) => value != null)).toString();
    return request(`/v1/verify/${encodeURIComponent(sha256)}${query ? `?${query}` : ""}`);
  },
};
