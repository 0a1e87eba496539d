// The read API client. Base URL: ?api= query parameter, else <meta name="kp-api" content="...">, else
// the page's own origin (the backend serves this folder at /).

export class ApiError extends Error {
  constructor(code, message, status = 0, details = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export function apiBase() {
  const fromQuery = new URLSearchParams(location.search).get("api");
  const meta = document.querySelector('meta[name="kp-api"]');
  const fromMeta = meta ? meta.getAttribute("content") : "";
  const base = (fromQuery || fromMeta || location.origin).trim();
  return base.replace(/\/+$/, "");
}

/** One exchange with the API: parsed JSON, or an ApiError carrying the API's {code, message, details}. */
export async function request(path, options = {}) {
  const url = apiBase() + path;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  } catch (error) {
    throw new ApiError("NetworkError", `could not reach the API at ${apiBase()} (${error.message})`);
  }
  let body = null;
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

function statisticsPath(path, params) {
  return `/v1/statistics/${path}?${new URLSearchParams(params)}`;
}

export const api = {
  config: () => request("/v1/config"),
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
  verify: (bytes) => request("/v1/verify", {
    method: "POST", body: bytes, headers: { Accept: "application/json", "Content-Type": "application/octet-stream" },
  }),
};
