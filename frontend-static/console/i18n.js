// Texts by language: every text of the console lives in lang/<code>.js (one module per language). To add a
// language, copy lang/en.js, translate its values and add it to LANGUAGES below.
import en from "./lang/en.js";
import fr from "./lang/fr.js";

export const LANGUAGES = { en, fr };
const STORAGE_KEY = "kp-console-lang";

let current = "en";
export const missing = new Set(); // keys asked for that the language lacks (the tests check it stays empty)

export function language() {
  return current;
}

/** The locale for number and date formatting. */
export function locale() {
  return LANGUAGES[current]["meta.locale"];
}

/** The language from ?lang=, else the one chosen before, else the browser's, else English. */
export function initialLanguage() {
  const wanted = [new URLSearchParams(location.search).get("lang"), safeStorage("get"),
    ...(navigator.languages || [navigator.language])];
  for (const code of wanted) {
    const short = String(code || "").slice(0, 2).toLowerCase();
    if (LANGUAGES[short]) return short;
  }
  return "en";
}

function safeStorage(op, value) {
  try {
    if (op === "get") return localStorage.getItem(STORAGE_KEY);
    localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // storage refused (private mode, file://): the choice lasts for this page only
  }
  return null;
}

export function setLanguage(code) {
  if (!LANGUAGES[code]) return;
  current = code;
  safeStorage("set", code);
  document.documentElement.lang = code;
}

/** The text `key` in the current language with {placeholders} filled; {count} picks `key.one` / `key.other`. */
export function t(key, params = {}) {
  const texts = LANGUAGES[current];
  let text = texts[key];
  if (text === undefined && params.count !== undefined) {
    const form = new Intl.PluralRules(texts["meta.locale"]).select(Number(params.count));
    text = texts[`${key}.${form}`] ?? texts[`${key}.other`];
  }
  if (text === undefined) {
    missing.add(`${current}:${key}`);
    text = LANGUAGES.en[key] ?? key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined ? whole : String(params[name])));
}

/** Whether a text exists (for optional texts such as an action's help or an error code's explanation). */
export function has(key) {
  return LANGUAGES[current][key] !== undefined;
}

/** Fills every [data-i18n] element's text (and [data-i18n-attr]="attr:key" attributes) of the page. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}
