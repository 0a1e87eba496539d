// The offline verifier: reads a certificate's signed QR code (camera, photo or PDF), recovers who signed its terms,
// checks that account against the trust list this device keeps (the ledger's KP authorities per participant, with
// the block it was read at), checks the expiry, and says the certificate's status as of the last sync. Online, it
// asks the ledger and refreshes what it keeps. Words as the viewer writes them (../util.js).
import { Rpc } from "../chain.js";
import { clear, countryWords, fmtCarats, fmtTime, h, hsWords, nameEl, reasonWords } from "../util.js";
import { PayloadError, decode, payloadOf, recoverSigner } from "./payload.js";

const TRUST = "kp-verify-trust";    // {list: GET /v1/trust-list, synced_at: Unix seconds}
const SEEN = "kp-verify-status";    // {number: {status, superseded_by, checked_at, block}}: certificates looked up
const $ = (id) => document.getElementById(id);
const now = () => Math.floor(Date.now() / 1000);

function load(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
}
const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));

/** "3 h 12 min", "2 days": how old what the device knows is. */
function age(seconds) {
  const s = Math.max(0, seconds);
  if (s < 90) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86400)} days`;
}

function caratsOf(points) {
  const p = BigInt(points);
  return fmtCarats(`${p / 100n}.${String(p % 100n).padStart(2, "0")}`);
}

// ---------------------------------------------------------------- the ledger, when the network is there

let online = false;

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) {
    const error = new Error(`${path}: ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

/** Downloads the trust list (and the voided certificates' numbers in it); true if the ledger answered. */
async function sync() {
  if (!navigator.onLine) return false;
  try {
    const list = await getJson("/v1/trust-list");
    save(TRUST, { list, synced_at: now() });
    return true;
  } catch {
    return false;
  }
}

async function lookUp(number) {
  if (!online) return null;
  try {
    const c = await getJson(`/v1/certificates/${encodeURIComponent(number)}`);
    const seen = load(SEEN, {});
    seen[number] = { status: c.status, superseded_by: c.superseded_by, checked_at: now(),
      block: load(TRUST, {}).list?.block?.number ?? null };
    save(SEEN, seen);
    return seen[number];
  } catch (error) {
    if (error.status === 404) return { status: "unknown-to-ledger", checked_at: now() };
    online = false;
    showConnection();
    return null;
  }
}

function showConnection() {
  const trust = load(TRUST, null);
  const box = $("connection");
  box.dataset.online = online ? "yes" : "no";
  box.dataset.synced = trust ? String(trust.synced_at) : "never";
  const text = $("connection-text");
  clear(text);
  if (!trust) {
    text.append(online ? "Online, but the ledger did not give its trust list: cannot check signatures yet."
      : "Offline, and this device has never synced: open this page once with the network to download the list "
        + "of KP authorities.");
    return;
  }
  const b = trust.list.block;
  const when = `${fmtTime(trust.synced_at)} (${age(now() - trust.synced_at)} ago)`;
  const block = `block ${b.number}${b.timestamp ? `, ${fmtTime(b.timestamp)}` : ""}`;
  text.append(online
    ? `Online: checked with the ledger now. Trust list synced ${when}, read at ${block}.`
    : `Offline: this device's knowledge is ${age(now() - trust.synced_at)} old (last sync ${when}, ledger ${block}). `
      + "Anything that happened on the ledger since is unknown here.");
}

/** Compares the trust list's block hash with a node's block of that number: a list made up, or read on a fork,
 * does not match. The node is the officer's choice (kept on the device), not the backend's. */
async function checkAgainstNode(url) {
  const out = $("node-result");
  const trust = load(TRUST, null);
  if (!trust) return;
  localStorage.setItem("kp-verify-node", url);
  const block = trust.list.block;
  try {
    const found = await new Rpc(url).call("eth_getBlockByNumber", [`0x${Number(block.number).toString(16)}`, false]);
    const hash = found?.hash;
    const same = typeof hash === "string" && hash.toLowerCase() === block.hash.toLowerCase();
    out.dataset.chainCheck = same ? "ok" : "mismatch";
    out.textContent = same
      ? `✓ The node has the same block ${block.number}: this trust list is the chain's at that block.`
      : `✗ The node's block ${block.number} is ${hash || "unknown"}, not the trust list's ${block.hash}: do not rely `
        + "on this list (another chain, a fork, or a list not read from the chain).";
  } catch (error) {
    out.dataset.chainCheck = "error";
    out.textContent = `The node did not answer (${error.message || error}).`;
  }
}

// ---------------------------------------------------------------- the verdict

/** The participant and authority an address is on the trust list as: one of its authorities now, or a former one
 * ({former: true}, with the certificates it issued before its dismissal that were still in force at the sync). */
function authorityOf(list, address) {
  const a = address.toLowerCase();
  for (const p of list.participants) {
    const found = p.authorities.find((x) => x.address.toLowerCase() === a);
    if (found) return { participant: p, authority: found, former: false };
  }
  for (const p of list.participants) {
    const found = (p.former_authorities || []).find((x) => x.address.toLowerCase() === a);
    if (found) return { participant: p, authority: found, former: true };
  }
  return null;
}

function participantName(list, code) {
  return list.participants.find((p) => p.code === code)?.name;
}

const STATUS_WORDS = {
  issued: "issued, not yet across the border", delivered: "delivered, import not yet confirmed",
  confirmed: "import confirmed", disputed: "import disputed (a discrepancy recorded)", voided: "VOIDED",
  superseded: "VOIDED, superseded", expired: "expired unused", "not-voided": "not voided",
  "unknown-to-ledger": "NOT ON THE LEDGER",
};

function statusOf(trust, number) {
  const seen = load(SEEN, {})[number];
  const voided = (trust.list.voided || []).find((v) => v.number === number);
  // the newer of what was looked up for this number and the voided list of the last sync
  if (seen && (!voided || seen.checked_at >= trust.synced_at)) {
    const status = seen.status === "voided" && seen.superseded_by ? "superseded" : seen.status;
    return { status, superseded_by: seen.superseded_by, as_of: seen.checked_at };
  }
  if (voided) return { status: voided.superseded_by ? "superseded" : "voided", superseded_by: voided.superseded_by,
    reason: voided.reason, as_of: trust.synced_at };
  return { status: "not-voided", as_of: trust.synced_at };
}

function term(dl, label, ...value) {
  dl.append(h("dt", {}, label), h("dd", {}, ...value));
}

function render(verdict, headline, details = []) {
  const box = $("result");
  clear(box);
  box.dataset.verdict = verdict;
  box.append(h("p", { class: "verify-verdict", id: "verdict" }, headline), ...details);
}

async function check(text) {
  const payload = payloadOf(text);
  const trust = load(TRUST, null);
  if (!payload) {
    const number = /#\/certificate\/([A-Z0-9-]{3,32})$/.exec(String(text || "").trim())?.[1];
    render(number ? "unknown" : "not-genuine", number ? `? Certificate ${number}: no signed terms in this code`
      : "✗ Not a signed KP certificate code",
      [h("p", {}, "This code carries no signed terms (an older print, a certificate issued directly on the ledger, "
        + "or another code): it cannot be checked offline. Check the certificate on the ledger by its number when "
        + "online."), number ? h("p", {}, h("a", { href: `../#/certificate/${number}` },
        `Open certificate ${number} on the ledger (needs the network)`)) : ""]);
    $("result").dataset.reason = "no-payload";
    return;
  }
  let signed;
  try {
    signed = decode(payload);
  } catch (error) {
    render("not-genuine", "✗ Not genuine: the code is damaged or not a KP certificate code",
      [h("p", {}, error instanceof PayloadError ? error.message : "unreadable")]);
    $("result").dataset.reason = "unreadable";
    return;
  }
  if (!trust) {
    render("unknown", "? Cannot check: no trust list on this device",
      [h("p", {}, "Open this page once with the network to download the list of KP authorities.")]);
    $("result").dataset.reason = "no-trust-list";
    return;
  }
  const { list } = trust;
  const m = signed.message;
  const recovered = recoverSigner(signed, list.domain);
  const found = authorityOf(list, m.signer);
  const terms = h("dl", { class: "verify-terms" });
  term(terms, "Certificate number", m.number);
  if (found) term(terms, "Exporting participant", countryWords(found.participant.code, found.participant.name));
  term(terms, "Importing participant", countryWords(m.importer, participantName(list, m.importer)));
  term(terms, "Carat weight", caratsOf(m.points));
  term(terms, "Number of parcels", String(m.parcelCount));
  term(terms, "HS code(s)", m.hsCodes.map((c) => hsWords(Number(c))).join(", "));
  const origins = m.origins.map((c) => countryWords(c, participantName(list, c))).join(", ");
  term(terms, "Country of origin", m.origins.length > 1 ? `mixed origin (*): ${origins}` : origins);
  term(terms, "Valid", `${fmtTime(m.issuedAt)} to ${fmtTime(m.expiresAt)}`);
  if (m.replaces) term(terms, "Replaces", `certificate ${m.replaces}`);
  term(terms, "Document SHA-256", h("code", {}, m.documentHash));

  if (!recovered || recovered.toLowerCase() !== m.signer.toLowerCase()) {
    render("not-genuine", "✗ Not genuine: the signature does not match these terms", [
      h("p", {}, "A term was altered after signing, or the signature was not made by the authority it names. "
        + "Do not accept this certificate on its QR code."), terms]);
    $("result").dataset.reason = "signature";
    return;
  }
  if (!found) {
    render("not-genuine", "✗ Not genuine: not signed by a KP authority", [
      h("p", {}, `The terms are signed, but by an account that is not a KP authority on this device's trust list `
        + `(as of ${fmtTime(trust.synced_at)}). An authority appointed since is unknown offline: sync when online.`),
      terms]);
    $("result").dataset.reason = "unknown-authority";
    return;
  }
  const authorityName = found.authority.name || "an unnamed authority account";
  const participantWords = countryWords(found.participant.code, found.participant.name);
  if (found.former) {
    const hash = m.documentHash.toLowerCase();
    const before = found.authority.certificates.some((c) => c.number === m.number
      && c.document_hash.toLowerCase() === hash);
    if (!before) {
      render("not-genuine", "✗ Not genuine: signed by a dismissed KP authority", [
        h("p", {}, "The terms are signed by ", nameEl(authorityName), ", a KP authority of ", nameEl(participantWords),
          ` until ${fmtTime(found.authority.until)}, and are not among the certificates it issued on the ledger `
          + `before it was dismissed (trust list of ${fmtTime(trust.synced_at)}). Do not accept this certificate `
          + "on its QR code."), terms]);
      $("result").dataset.reason = "dismissed-authority";
      return;
    }
  }
  const issuer = [h("p", { id: "issuer" }, "Issued by ", nameEl(authorityName),
    found.former ? ", then the KP authority of " : ", the KP authority of ", nameEl(participantWords),
    found.former ? ` (dismissed on ${fmtTime(found.authority.until)}; this certificate was issued on the ledger `
      + "before that)" : "",
    found.participant.status === "suspended" ? " (the participant is SUSPENDED on the ledger)" : "")];
  const expired = Number(m.expiresAt) < now();
  if (online) await lookUp(m.number);
  const st = statusOf(trust, m.number);
  const asOf = online && st.as_of >= now() - 5 ? "now (online)" : `as of ${fmtTime(st.as_of)}, ${age(now() - st.as_of)} ago`
    + (online ? "" : " (offline: the last sync)");
  const status = h("p", { id: "status" }, "Status on the ledger: ",
    h("span", { class: "verify-status", "data-status": st.status }, STATUS_WORDS[st.status] || st.status),
    st.superseded_by ? ` by certificate ${st.superseded_by}` : "",
    st.reason ? ` (${reasonWords(st.reason)})` : "", `, ${asOf}.`);
  const bad = ["voided", "superseded", "unknown-to-ledger"].includes(st.status);
  const headline = bad ? `✗ Genuine signature, but the certificate is ${STATUS_WORDS[st.status]}`
    : expired ? `✗ Genuine, but expired on ${fmtTime(m.expiresAt)}` : "✓ Genuine";
  render(bad ? "not-genuine" : expired ? "expired" : "genuine", headline, [...issuer, status, terms]);
  const box = $("result");
  box.dataset.reason = bad ? st.status : expired ? "expired" : "ok";
  box.dataset.status = st.status;
  box.dataset.number = m.number;
}

// ---------------------------------------------------------------- reading a QR code: camera, photo, PDF

// zxing-wasm's WebAssembly from this folder (its default is a CDN), prepared once when the page opens
const ZXING = { locateFile: (path, prefix) => (path.endsWith(".wasm")
  ? new URL("vendor/zxing_reader.wasm", location.href).href : prefix + path) };
let zxingPrepared = false;

function zxing() {
  if (!zxingPrepared) {
    globalThis.ZXingWASM.prepareZXingModule({ overrides: ZXING, fireImmediately: true })
      .catch((error) => console.warn("QR reading unavailable:", error));
    zxingPrepared = true;
  }
  return globalThis.ZXingWASM;
}

async function qrTexts(imageData) {
  const found = await zxing().readBarcodes(imageData, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 4 });
  return found.filter((r) => r.isValid).map((r) => r.text);
}

function pixels(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

// pdf.js and its worker's code are loaded when the page opens (online or from the service worker's cache), not when
// a PDF comes: the worker's code runs on the page (`globalThis.pdfjsWorker`; one page to render, no thread needed)
let pdfjsLoaded = null;
function loadPdfjs() {
  pdfjsLoaded ??= Promise.all([import("./vendor/pdf.min.mjs"), import("./vendor/pdf.worker.min.mjs")])
    .then(([pdfjs, worker]) => {
      globalThis.pdfjsWorker = worker;
      pdfjs.GlobalWorkerOptions.workerSrc = new URL("vendor/pdf.worker.min.mjs", location.href).href;
      return pdfjs;
    });
  return pdfjsLoaded;
}

async function pdfPixels(file) {
  const pdfjs = await loadPdfjs();
  const doc = await pdfjs.getDocument({ data: new Uint8Array(await file.arrayBuffer()), isEvalSupported: false,
    disableFontFace: true }).promise;
  const page = await doc.getPage(1);
  const viewport = page.getViewport({ scale: 3 });
  const canvas = document.createElement("canvas");
  canvas.width = Math.ceil(viewport.width);
  canvas.height = Math.ceil(viewport.height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  await page.render({ canvasContext: ctx, canvas, viewport, background: "#ffffff" }).promise;
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

async function readFile(file) {
  $("result").dataset.verdict = "reading";
  try {
    const isPdf = file.type === "application/pdf" || /\.pdf$/i.test(file.name);
    const data = isPdf ? await pdfPixels(file) : await (async () => {
      const bitmap = await createImageBitmap(file);
      return pixels(bitmap, bitmap.width, bitmap.height);
    })();
    const texts = await qrTexts(data);
    if (!texts.length) {
      render("unknown", "? No QR code found", [h("p", {}, "Try a sharper photo, closer to the code, or the PDF.")]);
      $("result").dataset.reason = "no-code";
      return;
    }
    await check(texts.find((t) => payloadOf(t)) || texts[0]);
  } catch (error) {
    render("unknown", "? This file could not be read", [h("p", {}, String(error.message || error))]);
    $("result").dataset.reason = "unreadable-file";
  }
}

let stream = null;

async function scan() {
  const video = $("camera");
  if (stream) {
    stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    $("scan").textContent = "Scan with the camera";
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (error) {
    render("unknown", "? The camera is not available", [h("p", {}, `${error.message || error}: take a photo instead.`)]);
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  $("scan").textContent = "Stop the camera";
  await video.play();
  while (stream) {
    if (video.videoWidth) {
      const texts = await qrTexts(pixels(video, video.videoWidth, video.videoHeight));
      if (texts.length) {
        await scan();  // stops the camera
        await check(texts[0]);
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------- start

async function start() {
  loadPdfjs().catch((error) => console.warn("PDF reading unavailable:", error));
  zxing();  // its WebAssembly, compiled once
  online = navigator.onLine && await sync();
  showConnection();
  $("file").addEventListener("change", () => { if ($("file").files[0]) readFile($("file").files[0]); });
  $("scan").addEventListener("click", scan);
  $("node").value = localStorage.getItem("kp-verify-node") || "";
  $("node-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("node").value) checkAgainstNode($("node").value.trim());
  });
  $("paste-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check($("paste").value);
  });
  const fromUrl = () => { if (location.hash.length > 1) check(location.hash.slice(1)); };
  window.addEventListener("hashchange", fromUrl);
  window.addEventListener("online", async () => { online = await sync(); showConnection(); });
  window.addEventListener("offline", () => { online = false; showConnection(); });
  setInterval(showConnection, 60_000);
  fromUrl();
  if ("serviceWorker" in navigator) {
    try {
      await navigator.serviceWorker.register("sw.js", { scope: "./" });
      await navigator.serviceWorker.ready;
      document.body.dataset.offlineReady = "yes";
    } catch (error) {
      document.body.dataset.offlineReady = "no";
      console.warn("the verifier will not work offline:", error);
    }
  }
}

start();
