import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUES, LOCALES, fmt, fmtSpec, initialLocale, pct, setLocale, t } from "../src/i18n.js";

const SRC = new URL("../src/", import.meta.url).pathname;
const HTML = new URL("../index.html", import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : (p.endsWith(".js") ? [p] : []);
  });
}

const placeholders = (msg) => {
  const texts = typeof msg === "object" ? Object.values(msg) : [msg];
  return new Set(texts.flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1])));
};

describe("message catalogues", () => {
  const codes = LOCALES.map((l) => l.code);
  it("ship English, Arabic and Kurdish (Sorani)", () => {
    expect(codes).toEqual(["en", "ar", "ckb"]);
    expect(LOCALES.filter((l) => l.dir === "rtl").map((l) => l.code)).toEqual(["ar", "ckb"]);
  });

  it("hold the same keys in every language", () => {
    const en = Object.keys(CATALOGUES.en).sort();
    for (const code of codes) expect(Object.keys(CATALOGUES[code]).sort()).toEqual(en);
  });

  it("use the same placeholders in every language", () => {
    for (const [key, msg] of Object.entries(CATALOGUES.en)) {
      const want = placeholders(msg);
      for (const code of ["ar", "ckb"]) {
        const got = placeholders(CATALOGUES[code][key]);
        // a plural form may leave out {n} (Arabic "one", "two" spell the number out)
        const need = [...want].filter((p) => p !== "n" || typeof msg !== "object");
        for (const p of need) expect(got.has(p), `${code} ${key} lacks {${p}}`).toBe(true);
        for (const p of got) expect(want.has(p), `${code} ${key} has extra {${p}}`).toBe(true);
      }
    }
  });

  it("give every plural message an 'other' form and no empty text", () => {
    for (const code of codes) {
      for (const [key, msg] of Object.entries(CATALOGUES[code])) {
        if (typeof msg === "object") expect(msg.other, `${code} ${key}`).toBeTruthy();
        else expect(msg.trim().length, `${code} ${key}`).toBeGreaterThan(0);
      }
    }
  });

  it("translate: no Arabic or Kurdish message is the English one, except names and formats", () => {
    const same = [];
    for (const [key, msg] of Object.entries(CATALOGUES.en)) {
      for (const code of ["ar", "ckb"]) {
        const m = CATALOGUES[code][key];
        if (typeof msg === "string" && m === msg && /[a-z]{3,}/i.test(msg.replace(/\{\w+\}/g, ""))) same.push(`${code}:${key}`);
      }
    }
    expect(same.filter((k) => !k.endsWith("files.fmt.gpkg"))).toEqual([]);
  });

  it("have every key the code and the page use", () => {
    const used = new Set();
    for (const f of files(SRC)) {
      for (const m of readFileSync(f, "utf8").matchAll(/\bt(?:Or)?\("([a-z0-9_.]+)"/g)) used.add(m[1]);
    }
    for (const m of readFileSync(HTML, "utf8").matchAll(/data-i18n="([^"]+)"/g)) used.add(m[1]);
    for (const m of readFileSync(HTML, "utf8").matchAll(/data-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[1].split(";")) used.add(pair.split(":")[1]);
    }
    const missing = [...used].filter((k) => !(k in CATALOGUES.en));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(150);
  });
});

describe("t and number formats", () => {
  it("fills placeholders and picks plural forms per language", () => {
    setLocale("en");
    expect(t("status.moved", { n: 1 })).toBe("1 unit moved.");
    expect(t("status.moved", { n: 3 })).toBe("3 units moved.");
    expect(t("units.count", { n: 0, from: 0, to: 0 })).toBe("No unit matches.");
    setLocale("ar");
    expect(t("status.moved", { n: 2 })).toBe("نُقلت وحدتان.");
    expect(t("status.moved", { n: 5 })).toBe("نُقلت ٥ وحدات.");
    expect(t("status.moved", { n: 11 })).toBe("نُقلت ١١ وحدة.");
    setLocale("en");
  });

  it("formats numbers with the locale's digits", () => {
    setLocale("en");
    expect(fmt(12345.6)).toBe("12,346");
    expect(pct(0.123)).toBe("12.3%");
    expect(fmtSpec(0.5, ".1%")).toBe("50.0%");
    expect(fmtSpec(1234, ",.0f")).toBe("1,234");
    expect(fmt(null)).toBe("–");
    setLocale("ar");
    expect(fmt(12345)).toBe("١٢٬٣٤٥");
    setLocale("ckb");
    expect(fmt(12345)).toMatch(/^[١٢٣٤٥٬,]+$/);
    setLocale("en");
  });

  it("starts in the language asked for, then the stored one, then the browser's", () => {
    expect(initialLocale("?lang=ar", "ckb", ["en-US"])).toBe("ar");
    expect(initialLocale("", "ckb", ["ar-IQ"])).toBe("ckb");
    expect(initialLocale("", null, ["ar-IQ", "en"])).toBe("ar");
    expect(initialLocale("?lang=xx", null, ["fr"])).toBe("en");
  });

  it("falls back to the key for a message no catalogue has", () => {
    expect(t("no.such.key")).toBe("no.such.key");
  });
});
