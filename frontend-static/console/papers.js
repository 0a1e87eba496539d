// A certificate's papers, once it is issued: its document filed with the ledger (a request signed in the wallet,
// the exact bytes whose SHA-256 was anchored), the printed certificate (the ledger's PDF, saved only when its SHA-256
// is the one the ledger publishes, `document.printed_sha256`) and the public verification slip for the container.
// Shown after the certificate is issued (with the document composed or checked before signing) and at
// #/papers/NUMBER (for a document kept as a file).
import { ApiError, apiBase, request } from "../api.js";
import { sha256 } from "../sha256.js";
import { clear, h } from "../util.js";
import { t } from "./i18n.js";
import { saveLink } from "./certdoc.js";
import { signedFetch } from "./signed.js";

const enc = encodeURIComponent;

/** The viewer's verification page of a certificate (what its QR code opens), keeping ?api=. */
export function verificationUrl(number) {
  const params = new URLSearchParams(location.search);
  params.delete("lang");
  const query = params.toString();
  return new URL(`../${query ? `?${query}` : ""}#/certificate/${enc(number)}`, location.href).href;
}

/**
 * Draws the papers of certificate `number` in `box`. `held`: the document composed or checked before signing
 * ({text, bytes, sha256, filename}), or null (the person chooses the file); `errorBlock(error, title)` draws a
 * refusal in words.
 */
export async function drawPapers(box, { number, held, account, chainId, errorBlock }) {
  const status = h("p", { class: "hint", id: "papers-status" }, t("papers.loading"));
  const steps = h("div", { class: "papers-steps" });
  const problem = h("div", { id: "papers-error", "aria-live": "assertive" });
  clear(box).append(h("h3", { id: "papers-heading" }, t("papers.heading", { number })), status, steps, problem);
  const failed = (error, title) => clear(problem).append(h("div", { class: "error", role: "alert",
    "data-code": error.code || "Error" }, ...errorBlock(error, title)));

  let cert;
  try {
    cert = await request(`/v1/certificates/${enc(number)}`);
  } catch (error) {
    clear(status);
    failed(error, t("papers.error.read", { number }));
    return;
  }

  const printed = h("div", { class: "papers-print" });
  const slip = h("p", {}, h("a", { class: "button-link secondary", id: "papers-slip", download: `${number}-slip.pdf`,
    href: `${apiBase()}/v1/certificates/${enc(number)}/slip.pdf` }, t("papers.slip")), " ",
  h("span", { class: "hint" }, t("papers.slipHint")));
  const verify = h("p", {}, h("a", { id: "papers-verify", href: verificationUrl(number) }, t("papers.verify", { number })));

  const showPrint = () => {
    const get = h("button", { type: "button", id: "papers-print" }, t("papers.print"));
    clear(printed).append(h("p", {}, get, " ", h("span", { class: "hint" }, t("papers.printHint"))));
    get.addEventListener("click", async () => {
      get.disabled = true;
      clear(problem);
      try {
        const pdf = new Uint8Array(await (await signedFetch("GET", `/v1/certificates/${enc(number)}/printable.pdf`,
          { account, chainId })).arrayBuffer());
        const { hash } = await sha256(pdf);
        const published = ((await request(`/v1/certificates/${enc(number)}`)).document || {}).printed_sha256;
        if (hash !== published) {
          throw new ApiError("PrintMismatch", t("papers.printMismatch", { hash, published: String(published) }));
        }
        const url = URL.createObjectURL(new Blob([pdf], { type: "application/pdf" }));
        clear(printed).append(h("p", { class: "result-ok" }, h("a", { class: "button-link", id: "papers-save-print",
          href: url, download: `${number}.pdf`, "data-sha256": hash }, t("papers.savePrint", { name: `${number}.pdf` })),
        " ", h("span", {}, t("papers.printChecked", { hash }))));
      } catch (error) {
        get.disabled = false;
        failed(error, t("papers.error.print", { number }));
      }
    });
  };

  const fileWith = async (bytes, button) => {
    button.disabled = true;
    clear(problem);
    try {
      const answer = await (await signedFetch("PUT", `/v1/documents/certificates/${enc(number)}`,
        { account, chainId, body: bytes, contentType: "application/json" })).json();
      clear(steps).append(h("p", { class: "result-ok", id: "papers-filed" },
        t(answer.already_filed ? "papers.alreadyFiled" : "papers.filed", { hash: answer.sha256 })));
      status.textContent = t("papers.status.filed");
      showPrint();
    } catch (error) {
      button.disabled = false;
      failed(error, t("papers.error.file", { number }));
    }
  };

  if (cert.document && cert.document.filed) {
    status.textContent = t("papers.status.filed");
    showPrint();
  } else if (held) {
    status.textContent = t("papers.status.held", { name: held.filename, hash: held.sha256 });
    const file = h("button", { type: "button", id: "papers-file" }, t("papers.file"));
    file.addEventListener("click", () => fileWith(held.bytes, file));
    steps.append(h("p", {}, file, " ", saveLink(held, "papers-save-document")),
      h("p", { class: "hint" }, t("papers.fileHint")));
  } else {
    status.textContent = t("papers.status.notFiled", { hash: cert.document_hash });
    const input = h("input", { type: "file", id: "papers-document", accept: "application/json,.json" });
    const file = h("button", { type: "button", id: "papers-file" }, t("papers.file"));
    file.addEventListener("click", async () => {
      const chosen = input.files[0];
      if (!chosen) {
        failed(new ApiError("NoFile", t("papers.chooseFile")), t("papers.error.file", { number }));
        return;
      }
      await fileWith(new Uint8Array(await chosen.arrayBuffer()), file);
    });
    steps.append(h("p", {}, h("label", { for: "papers-document" }, t("papers.chooseFile")), h("br"), input),
      h("p", {}, file), h("p", { class: "hint" }, t("papers.fileHint")));
  }
  box.insertBefore(printed, problem);
  box.insertBefore(slip, problem);
  box.insertBefore(verify, problem);
}
