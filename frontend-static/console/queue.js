// The outbox on screen and its relay: intents signed while the API could not be reached ("signed, not yet on the
// ledger"), sent when the network returns (the `online` event, the console's start, "Send now"), one at a time in the
// order signed. Each goes only to the API, chain and contracts it was signed for (the console's pinned deployment
// when it was signed); one signed for another is shown, never sent here. A refusal is kept with its reason in words
// until the person dismisses it; the others still go. A network failure or a busy API (429, 5xx) keeps an intent
// waiting for the next try.
import { ApiError, apiBase } from "../api.js";
import { clear, h } from "../util.js";
import { deploymentChanges } from "./deployment.js";
import { t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { fmtTime } from "./words.js";

const $ = (id) => document.getElementById(id);

/** Whether `record` was signed for the API and deployment the console uses now. */
export function sameTarget(record, deployment) {
  return Boolean(deployment) && record.api === apiBase() && record.chain_id === deployment.chain_id
    && deploymentChanges(record, deployment).length === 0;
}

/** An answer that says "try again later", not "no": the network, a throttled signer, a busy or broken backend. */
function transient(error) {
  return !error.status || error.status === 429 || error.status >= 500;
}

/** The relay: what it sent in this page ({record, answer}), and whether it is sending. */
export function createQueue({ deployment, write, errorBlock, announce }) {
  const sent = [];
  let sending = false;
  let lastError = null;

  async function draw() {
    const section = $("outbox-section");
    const records = await outbox.list();
    const list = clear($("outbox-list"));
    section.hidden = records.length === 0 && sent.length === 0;
    $("outbox-count").textContent = String(records.length);
    $("outbox-send").disabled = sending || !records.some((r) => r.status === "waiting" && sameTarget(r, deployment()));
    const note = clear($("outbox-note"));
    note.hidden = !lastError;
    if (lastError) note.append(t("outbox.stillWaiting", { code: lastError.code }));
    for (const record of records) list.append(item(record));
    $("outbox-sent-heading").hidden = sent.length === 0;
    const done = clear($("outbox-sent"));
    for (const { record, answer } of sent) {
      done.append(h("li", { "data-outbox-id": String(record.id), "data-status": "mined" },
        h("strong", {}, t(`action.${record.action}`)), " ", record.summary.join(" · "), h("br"),
        t("outbox.mined", { block: String(answer.block_number) }), " ",
        h("code", { class: "hash-full" }, answer.tx_hash)));
    }
  }

  function item(record) {
    const elsewhere = !sameTarget(record, deployment());
    const status = elsewhere ? "elsewhere" : record.status;
    const expired = record.deadline * 1000 < Date.now();
    const li = h("li", { "data-outbox-id": String(record.id), "data-status": status },
      h("strong", {}, t(`action.${record.action}`)), " ", record.summary.join(" · "), h("br"),
      h("span", { class: "hint" }, t("outbox.signedBy", { when: fmtTime(record.signed_at / 1000) }), " ",
        h("code", { class: "addr-small" }, record.signer), " · ",
        t(expired ? "outbox.expired" : "outbox.validUntil", { when: fmtTime(record.deadline) })), h("br"),
      h("span", { class: "outbox-state" }, elsewhere ? t("outbox.elsewhere", { api: record.api, chain: String(record.chain_id) })
        : t(`outbox.state.${record.status}`)));
    const refused = record.status === "refused" && record.refusal;
    if (refused) {
      const error = new ApiError(record.refusal.code, record.refusal.message, record.refusal.status);
      li.append(h("div", { class: "error outbox-refusal", role: "alert", "data-code": record.refusal.code },
        ...errorBlock(error, t("outbox.refused", { action: t(`action.${record.action}`) }))));
    }
    if (refused || elsewhere || expired) { // forgetting it here does not revoke the signature (its deadline does)
      const dismiss = h("button", { type: "button", class: "secondary outbox-dismiss" }, t("button.dismiss"));
      dismiss.addEventListener("click", async () => {
        await outbox.remove(record.id);
        await draw();
      });
      li.append(dismiss);
    }
    return li;
  }

  /** Sends every waiting intent signed for this API, in the order signed; returns how many were mined. */
  async function relay() {
    if (sending || !deployment()) return 0;
    sending = true;
    let mined = 0;
    try {
      lastError = null;
      for (const record of await outbox.list()) {
        if (record.status !== "waiting" || !sameTarget(record, deployment())) continue;
        try {
          const answer = await write(record.path, record.body);
          await outbox.remove(record.id);
          sent.push({ record, answer });
          mined += 1;
        } catch (error) {
          if (transient(error)) {
            lastError = error; // the order signed is kept: the rest waits for the next try
            break;
          }
          await outbox.put({ ...record, status: "refused",
            refusal: { code: error.code, message: error.message, status: error.status } });
        }
        await draw();
      }
    } finally {
      sending = false;
      await draw();
    }
    if (mined || lastError) announce(lastError ? t("outbox.stillWaiting", { code: lastError.code }) : t("outbox.sent", { count: mined }));
    return mined;
  }

  return { draw, relay, sent };
}
