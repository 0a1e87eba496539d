// Sign now, relay later: intents signed while the ledger's API cannot be reached, kept in this browser (IndexedDB)
// until they are relayed. Each record is what the API will be sent, byte for byte (the path and the JSON body with
// the signature), and the API and deployment it was signed for: it is relayed only there (queue.js). Each queued
// intent has a nonce key of its own (a random 192-bit key, sequence 0; the contracts' NoncesKeyed), so the refusal
// of one never blocks the others, whatever order they reach the ledger in.
const DB = "kp-console";
const STORE = "outbox";
const memory = { records: [], next: 1 }; // when the browser refuses IndexedDB: kept for this page only

let opening = null;

function database() {
  if (typeof indexedDB === "undefined") return Promise.resolve(null);
  opening ||= new Promise((resolve) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(mode) {
  const db = await database();
  return db ? db.transaction(STORE, mode).objectStore(STORE) : null;
}

/** Keeps a signed intent; returns it with its id (ids grow in the order intents were signed). */
export async function add(record) {
  const kept = { ...record, status: "waiting", refusal: null };
  const os = await store("readwrite");
  if (!os) {
    kept.id = memory.next++;
    memory.records.push(kept);
    return kept;
  }
  kept.id = await done(os.add(kept));
  return kept;
}

/** Every kept intent, in the order signed. */
export async function list() {
  const os = await store("readonly");
  const all = os ? await done(os.getAll()) : memory.records.slice();
  return all.sort((a, b) => a.id - b.id);
}

/** Replaces a kept intent (its status, its refusal). */
export async function put(record) {
  const os = await store("readwrite");
  if (!os) {
    memory.records = memory.records.map((r) => (r.id === record.id ? record : r));
    return;
  }
  await done(os.put(record));
}

/** Forgets a kept intent (relayed, or a refusal the person dismissed). */
export async function remove(id) {
  const os = await store("readwrite");
  if (!os) {
    memory.records = memory.records.filter((r) => r.id !== id);
    return;
  }
  await done(os.delete(id));
}

/** A nonce of a lane of its own: a random 192-bit key, sequence 0 (`key << 64`), as a decimal string. */
export function freshNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let key = 0n;
  for (const b of bytes) key = (key << 8n) | BigInt(b);
  if (key === 0n) key = 1n; // key 0 is the sequential lane the console uses online
  return String(key << 64n);
}
