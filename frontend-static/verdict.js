// The verdict on a parcel's provenance: complete or not, the problems found and the notes.
import { $, state } from "./page.js";
import { clear, h } from "./util.js";

export function renderVerdict(verdict) {
  const box = $("verdict");
  box.dataset.status = verdict.status;
  $("verdict-heading").textContent = `Verdict for parcel ${state.view.id}`;
  const ok = verdict.status === "ok";
  clear($("verdict-summary")).append(
    h("span", { class: "verdict-badge" }, ok ? "✓ Provenance complete" : "⚠ Provenance incomplete"),
    h("span", { class: "verdict-text" }, verdict.summary),
  );
  const problems = clear($("verdict-problems"));
  verdict.problems.forEach((p) => problems.append(h("li", {}, p)));
  // a single problem is the summary itself: list the problems only when they add something
  $("verdict-problems-block").hidden = verdict.problems.length === 0
    || (verdict.problems.length === 1 && verdict.problems[0] === verdict.summary);
  const notes = clear($("verdict-notes"));
  verdict.notes.forEach((n) => notes.append(h("li", {}, n)));
  $("verdict-notes-block").hidden = verdict.notes.length === 0;
  $("verdict-section").hidden = false;
}
