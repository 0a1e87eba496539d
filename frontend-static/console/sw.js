// The console's service worker: the console's own files (its page, modules, styles and vendor libraries, all of this
// origin) from the network when it answers, else as last fetched, so that the console opens with no network after
// one online visit. The page tells it which files it loaded (app.js, from the browser's resource timing): no list
// of files to keep in step here. The ledger's API is never answered from here: what the console read from it is
// kept by the console itself (lastvisit.js), and writes always go to the network.
const CACHE = "kp-console-files";

/** Whether `url` is one of the pages' own files (not the API): /console/..., /vendor/..., /<name>.js|.css. */
function ownFile(url) {
  return url.origin === self.location.origin
    && (/^\/console\//.test(url.pathname) || /^\/vendor\//.test(url.pathname) || /^\/[\w.-]+\.(js|css)$/.test(url.pathname));
}

function key(url) {
  const u = new URL(url);
  u.search = ""; // /console/?api=... and ?lang=... open the same page
  u.hash = "";
  return u.href;
}

async function fetchAndKeep(request) {
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(key(request.url), response.clone());
  }
  return response;
}

async function kept(request) {
  const cache = await caches.open(CACHE);
  const found = await cache.match(key(request.url));
  if (found) return found;
  throw new TypeError(`offline and not kept: ${request.url}`);
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || !ownFile(new URL(request.url))) return; // the API: straight to the network
  event.respondWith(fetchAndKeep(request).catch(() => kept(request)));
});

// the page's files, loaded before this worker controlled it: fetched once more and kept; answered when done
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.keep) || [];
  const wanted = [...new Set(urls.filter((u) => ownFile(new URL(u))).map(key))];
  event.waitUntil(Promise.allSettled(wanted.map((u) => fetchAndKeep(new Request(u))))
    .then((results) => event.source.postMessage({ kept: results.filter((r) => r.status === "fulfilled").length })));
});
