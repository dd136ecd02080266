import { describe, expect, it } from "vitest";
import { setLocale } from "../src/i18n.js";
import { columnInfo, columnLabel, ensembleRows, livePercentileText, subsetOptions, whyHiddenRow } from "../src/panels/jobs.js";

// the registry entries the ensemble rows read (as /api/meta sends them)
const meta = {
  communities: [{ key: "yazidi", label: "Yazidi" }, { key: "christian", label: "Christian" }],
  metrics: [
    { name: "cut_edges", label: "cut edges", purposes: ["polities", "districts"], format: ",.0f" },
    { name: "max_abs_deviation", label: "max |deviation|", purposes: ["districts"], format: ".1%" },
    { name: "empowerment_plurality", label: "empowered (plurality)", purposes: ["polities", "districts"], format: ".1%" },
    { name: "stranded", label: "stranded", purposes: ["polities", "districts"], format: ".1%" },
    { name: "largest_share", label: "largest community share", purposes: ["polities", "districts"], format: ".1%" },
  ],
};
const columns = ["cut_edges", "max_abs_deviation", "baseline/empowerment_plurality:yazidi", "baseline/stranded:christian",
  "baseline/largest_share@1", "current/stranded:christian", "current/largest_share@2"];

describe("ensemble columns", () => {
  it("name their census, metric, community and rank as the server does", () => {
    expect(columnInfo("current/stranded:yazidi")).toEqual({ column: "current/stranded:yazidi", census: "current", metric: "stranded", community: "yazidi", rank: null });
    expect(columnInfo("baseline/largest_share@2")).toEqual({ column: "baseline/largest_share@2", census: "baseline", metric: "largest_share", community: null, rank: 2 });
    expect(columnInfo("cut_edges")).toEqual({ column: "cut_edges", census: null, metric: "cut_edges", community: null, rank: null });
  });
  it("are labelled from the catalogue with the community's name from the metadata", () => {
    setLocale("en");
    expect(columnLabel(columnInfo("baseline/stranded:christian"), meta)).toBe("stranded: Christian");
    expect(columnLabel(columnInfo("current/largest_share@2"), meta)).toBe("largest community share, region ranked 2");
    setLocale("ar");
    expect(columnLabel(columnInfo("baseline/stranded:christian"), meta)).toBe("المعزولون: Christian");
    expect(columnLabel(columnInfo("current/largest_share@2"), meta)).toContain("٢");
    setLocale("en");
  });
});

describe("ensemble rows by the plan's purpose", () => {
  it("hide population deviation for provinces and keep every community metric", () => {
    const { shown, hidden } = ensembleRows(columns, meta, "polities");
    expect(hidden.map((r) => r.column)).toEqual(["max_abs_deviation"]);
    expect(shown.map((r) => r.column)).toEqual(columns.filter((c) => c !== "max_abs_deviation"));
  });
  it("show every row for districts, and with show-all for provinces", () => {
    expect(ensembleRows(columns, meta, "districts").hidden).toEqual([]);
    const all = ensembleRows(columns, meta, "polities", { showAll: true });
    expect(all.shown.map((r) => r.column)).toEqual(columns);
    expect(all.hidden).toEqual([]);
  });
  it("keep one census and the census-free rows when asked (the live line)", () => {
    const { shown } = ensembleRows(columns, meta, "districts", { census: "current" });
    expect(shown.map((r) => r.column)).toEqual(["cut_edges", "max_abs_deviation", "current/stranded:christian", "current/largest_share@2"]);
  });
  it("treat a metric the registry does not know as fitting every purpose", () => {
    expect(ensembleRows(["baseline/theil_h"], meta, "polities").shown).toHaveLength(1);
  });
  it("explain a hidden row", () => {
    setLocale("en");
    const [dev] = ensembleRows(columns, meta, "polities").hidden;
    expect(whyHiddenRow(dev, "polities", "max |deviation|")).toContain("Provinces and regions differ in size");
    const odd = { metric: "other", purposes: ["districts"] };
    expect(whyHiddenRow(odd, "polities", "other")).toBe("other fits equal-population districts, not provinces and regions (polities).");
  });
});

describe("the live line", () => {
  it("lists the fitting metrics of the census shown, with their percentile so far", () => {
    setLocale("en");
    const partial = { sampled: 400, percentile_live: { cut_edges: 0.25, max_abs_deviation: 0.9, "baseline/stranded:christian": 0.5, "current/stranded:christian": 0.1, "current/largest_share@2": null } };
    expect(livePercentileText(partial, { meta, purpose: "polities", census: "baseline" }))
      .toBe("The open plan's percentile so far (400 steps): cut edges 25% · stranded: Christian 50%");
    expect(livePercentileText(partial, { meta, purpose: "districts", census: "current" }))
      .toBe("The open plan's percentile so far (400 steps): cut edges 25% · max |deviation| 90% · stranded: Christian 10%");
  });
});

describe("subsets of the ensemble form", () => {
  it("offer every code of every admin level with its units", () => {
    const units = { admin: { governorate: ["G2", "G1", "G2"], district: ["D1", "D1", "D2"] } };
    expect(subsetOptions(units, ["governorate", "district"])).toEqual([
      { value: "governorate=G1", level: "governorate", code: "G1", n: 1 },
      { value: "governorate=G2", level: "governorate", code: "G2", n: 2 },
      { value: "district=D1", level: "district", code: "D1", n: 2 },
      { value: "district=D2", level: "district", code: "D2", n: 1 },
    ]);
    expect(subsetOptions(null, ["governorate"])).toEqual([]);
  });
});
