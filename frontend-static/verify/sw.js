// The verifier's service worker: every file the page needs, kept on the device at the first visit, so that it opens
// and checks signatures with the network off. Files are answered from the cache and refreshed from the network when
// it is there; the ledger's API (/v1/) is never cached here (the page keeps what it learnt, with its time).
const CACHE = "kp-verify-2";
const FILES = [
  "./", "index.html", "verify.js", "payload.js", "verify.css", "manifest.webmanifest", "icon.svg",
  "vendor/zxing-reader.js", "vendor/zxing_reader.wasm", "vendor/pdf.min.mjs", "vendor/pdf.worker.min.mjs",
  "vendor/ethers.min.js", "../console/actions.js", "../chain.js", "../selectors.js", "../util.js", "../api.js", "../keccak.js", "../style.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("kp-verify-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/v1/")) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // ignoreVary: the API answers with "Vary: Origin" (CORS), and a module script's request carries an Origin that
    // the kept request (cache.addAll's) did not: without it every module missed the cache offline
    const hit = await cache.match(event.request, { ignoreSearch: true, ignoreVary: true });
    const refresh = () => fetch(event.request).then((response) => {
      if (response.ok) cache.put(event.request, response.clone());
      return response;
    });
    if (!hit) return refresh();
    if (self.navigator.onLine) refresh().catch(() => undefined);  // refreshed for the next visit
    return hit;
  })());
});
