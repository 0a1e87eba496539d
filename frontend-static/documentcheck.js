// The lot page's document check: the file hashed here, and the ledger's verdict for the lot shown (the parcel, its
// lineage and the certificates on its way, or the consignment, its parcels and its certificate).
import { $, state } from "./page.js";
import { checkFile } from "./filecheck.js";
import { clear, h, onFileChosen } from "./util.js";

async function checkDocument(file) {
  const out = clear($("doc-result"));
  if (!file) return;
  if (!state.view) {
    out.append(h("p", { class: "result-bad" }, "Look up a parcel or consignment first."));
    return;
  }
  await checkFile(file, out, { id: "doc-verdict", context: { lot: state.view.id } });
}

export function setupDocumentCheck() {
  onFileChosen($("doc-file"), $("doc-drop"), checkDocument);
}
