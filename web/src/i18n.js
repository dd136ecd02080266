// Interface language: message catalogues (locales/*.json, one per language), right-to-left layout,
// and numbers formatted with Intl.NumberFormat in the chosen locale. English, Arabic and Kurdish
// (Sorani, "ckb") ship; the catalogues hold the same keys (a unit test checks it).
//
// A message is a string with {name} placeholders, or an object of plural forms
// ({zero, one, two, few, many, other}) chosen by Intl.PluralRules with the {n} variable.
import en from "./locales/en.json";
import ar from "./locales/ar.json";
import ckb from "./locales/ckb.json";

export const CATALOGUES = { en, ar, ckb };
export const LOCALES = [
  { code: "en", dir: "ltr", name: "English", number: ["en-US"] },
  { code: "ar", dir: "rtl", name: "العربية", number: ["ar-IQ"] },
  // Sorani writes numbers with the same Eastern Arabic digits as Iraqi Arabic; browsers without
  // Kurdish locale data (Chromium's ICU has none) format them as ar-IQ does
  { code: "ckb", dir: "rtl", name: "کوردی", number: ["ckb-IQ", "ar-IQ"] },
];

let current = "en";
let numberLocale = "en-US";
const listeners = new Set();
const formatters = new Map();

export function locale() { return current; }
export function dir(code = current) { return (LOCALES.find((l) => l.code === code) || LOCALES[0]).dir; }
export function numberLocaleOf(code) {
  const spec = LOCALES.find((l) => l.code === code) || LOCALES[0];
  for (const cand of spec.number) {
    try {
      const got = new Intl.NumberFormat(cand).resolvedOptions().locale;
      if (got.split("-")[0] === cand.split("-")[0]) return cand;
    } catch { /* not supported here */ }
  }
  return spec.number[spec.number.length - 1];
}

/** Switch the language (unknown codes fall back to English); listeners re-render. */
export function setLocale(code) {
  current = CATALOGUES[code] ? code : "en";
  numberLocale = numberLocaleOf(current);
  formatters.clear();
  if (typeof document !== "undefined") {
    document.documentElement.lang = current;
    document.documentElement.dir = dir(current);
  }
  for (const f of listeners) f(current);
  return current;
}

export function onLocale(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function lookup(key, code) {
  const cat = CATALOGUES[code];
  if (cat && Object.prototype.hasOwnProperty.call(cat, key)) return cat[key];
  if (code !== "en" && Object.prototype.hasOwnProperty.call(en, key)) return en[key];
  return undefined;
}

/** True when some catalogue has ``key``. */
export function has(key) { return lookup(key, current) !== undefined; }

/** ``t(key)`` when a catalogue has it, else ``fallback`` (names that come with the data). */
export function tOr(key, fallback, vars = {}) { return has(key) ? t(key, vars) : fallback; }

/** A community's name in the reader's language: the catalogue's ``community.<key>``, else the
 * territory's own label (``fallback``), else the key. */
export function communityLabel(key, fallback) { return tOr(`community.${key}`, fallback ?? key); }

/** The message ``key`` in the current language, with {placeholders} filled from ``vars``. */
export function t(key, vars = {}, code = current) {
  let msg = lookup(key, code);
  if (msg === undefined) return key;
  if (typeof msg === "object") {
    const n = Number(vars.n ?? 0);
    const form = new Intl.PluralRules(code === "ckb" ? "en" : code).select(n);
    msg = (n === 0 && msg.zero !== undefined) ? msg.zero : (msg[form] ?? msg.other);
  }
  return msg.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in vars)) return m;
    const v = vars[name];
    return typeof v === "number" ? fmt(v, Number.isInteger(v) ? 0 : 2) : String(v);
  });
}

function formatter(opts) {
  const key = JSON.stringify(opts);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(numberLocale, opts);
    formatters.set(key, f);
  }
  return f;
}

const missing = (x) => x === null || x === undefined || (typeof x === "number" && Number.isNaN(x));

/** A number with ``d`` decimals in the current locale ("–" when missing). */
export function fmt(x, d = 0) {
  if (missing(x)) return "–";
  return formatter({ maximumFractionDigits: d, minimumFractionDigits: d }).format(Number(x));
}

/** A share (0..1) as a percentage with one decimal. */
export function pct(x, d = 1) {
  if (missing(x)) return "–";
  return formatter({ style: "percent", maximumFractionDigits: d, minimumFractionDigits: d }).format(Number(x));
}

/** A value formatted as the metric registry says (format spec such as ".1%", ",.0f", ".3f"). */
export function fmtSpec(x, spec) {
  if (missing(x)) return "–";
  const m = /^(,)?\.(\d+)([f%])$/.exec(spec || "");
  if (!m) return fmt(x, Number.isInteger(Number(x)) ? 0 : 3);
  const d = Number(m[2]);
  return m[3] === "%" ? pct(x, d) : fmt(x, d);
}

/** Fill the static page: textContent from data-i18n, attributes from data-i18n-attr ("attr:key;..."). */
export function applyDom(root = document) {
  for (const e of root.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of e.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) e.setAttribute(attr, t(key));
    }
  }
}

/** The language to start in: ?lang=, then the last choice, then the browser's. */
export function initialLocale(search = "", stored = null, navigatorLangs = []) {
  const q = new URLSearchParams(search).get("lang");
  for (const cand of [q, stored, ...navigatorLangs.map((l) => String(l).split("-")[0])]) {
    if (cand && CATALOGUES[cand]) return cand;
  }
  return "en";
}
