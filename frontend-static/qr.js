// QR codes as inline SVG, drawn from the vendored qrcode-generator (global `qrcode`, vendor/qrcode.js).
import { h, s, lotUrl } from "./util.js";

export function qrSvg(text, label, size = 132) {
  if (typeof globalThis.qrcode !== "function") {
    return h("p", { class: "muted" }, "QR code unavailable (vendor/qrcode.js not loaded)");
  }
  const qr = globalThis.qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const quiet = 4;
  const total = count + quiet * 2;
  let d = "";
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < count; c++) {
      if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
    }
  }
  return s("svg", {
    class: "qr", viewBox: `0 0 ${total} ${total}`, width: size, height: size, role: "img", "aria-label": label,
    "shape-rendering": "crispEdges",
  }, s("title", {}, label), s("rect", { width: total, height: total, fill: "#fff" }), s("path", { d, fill: "#000" }));
}

/** A figure with the lot's QR code and its link underneath. */
export function lotQr(kind, id, size = 132) {
  const url = lotUrl(id);
  const name = `${kind} ${id}`;
  return h("figure", { class: "qr-figure", "data-lot": id },
    qrSvg(url, `QR code linking to ${name}`, size),
    h("figcaption", {}, h("a", { href: `#/lot/${id}` }, name[0].toUpperCase() + name.slice(1))));
}
