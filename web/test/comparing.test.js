import { describe, expect, it } from "vitest";
import { AUTHORITY_COLORS, UNCHANGED, authorityColor } from "../src/colors.js";
import { changeColors, chosenPlans, compareQuery, controlText, fits, layerLabels, metricEntry, unfitMetrics, verdictClass, visibleRows } from "../src/comparing.js";

const META = [
  { name: "deviation", direction: "lower", purposes: ["districts"], format: ".1%" },
  { name: "max_abs_deviation", direction: "lower", purposes: ["districts"], format: ".1%" },
  { name: "stranded", direction: "lower", purposes: ["polities", "districts"], format: ".1%" },
  { name: "noncontiguous_regions", direction: "lower", purposes: ["polities", "districts"], format: ",.0f" },
];

describe("choosing the plans to compare", () => {
  it("puts A first, then B, then the extra plans, each once", () => {
    expect(chosenPlans("x", "y", ["z", "x", "w"])).toEqual(["x", "y", "z", "w"]);
    expect(chosenPlans("x", "x")).toEqual(["x"]);
    expect(chosenPlans("", "y", [])).toEqual(["y"]);
  });

  it("asks the server for every plan, judged against A", () => {
    const q = new URLSearchParams(compareQuery(["a b", "(draft)", "c"]).split("?")[1]);
    expect(q.getAll("plans")).toEqual(["a b", "(draft)", "c"]);
    expect(q.get("against")).toBe("a b");
  });
});

describe("metrics and the plan's purpose", () => {
  it("hides deviation for provinces and keeps it for districts", () => {
    expect(fits(["districts"], ["polities"])).toBe(false);
    expect(fits(["districts"], ["polities", "districts"])).toBe(true);
    expect(fits(undefined, ["polities"])).toBe(true); // criteria and counts fit every plan
    expect(unfitMetrics(META, "polities")).toEqual(["deviation", "max_abs_deviation"]);
    expect(unfitMetrics(META, "districts")).toEqual([]);
  });

  it("splits the rows into shown and hidden, and shows all on demand", () => {
    const rows = [
      { metric: "max |deviation|", purposes: ["districts"] },
      { metric: "stranded", purposes: ["polities", "districts"] },
      { metric: "regions", purposes: ["polities", "districts"] },
    ];
    const { shown, hidden } = visibleRows(rows, ["polities"]);
    expect(shown.map((r) => r.metric)).toEqual(["stranded", "regions"]);
    expect(hidden.map((r) => r.metric)).toEqual(["max |deviation|"]);
    expect(visibleRows(rows, ["polities"], true).shown).toHaveLength(3);
    expect(visibleRows(rows, ["districts"]).hidden).toEqual([]);
  });

  it("finds a family's registry entry from its full name", () => {
    expect(metricEntry(META, "stranded:yazidi").name).toBe("stranded");
    expect(metricEntry(META, "current/max_abs_deviation").name).toBe("max_abs_deviation");
    expect(metricEntry(META, null)).toBe(null);
    expect(metricEntry(META, "nope")).toBe(null);
  });
});

describe("marking cells", () => {
  it("colours by the verdict, never by the sign", () => {
    expect(verdictClass("better")).toBe("better");
    expect(verdictClass("worse")).toBe("worse");
    for (const v of ["same", "neutral", null, undefined]) expect(verdictClass(v)).toBe("");
  });
});

describe("the map of units changing authority", () => {
  it("paints changed units by their new authority and the rest as unchanged", () => {
    const got = changeColors(5, { units: [1, 3], new: ["krg", "federal"] }, authorityColor, UNCHANGED);
    expect(got).toEqual([UNCHANGED, AUTHORITY_COLORS.krg, UNCHANGED, AUTHORITY_COLORS.federal, UNCHANGED]);
  });

  it("gives every authority a stable colour, distinct from 'unchanged'", () => {
    expect(authorityColor("self-administered")).toBe(AUTHORITY_COLORS["self-administered"]);
    expect(authorityColor("some new authority")).toBe(authorityColor("some new authority"));
    expect(authorityColor("some new authority")).not.toBe(UNCHANGED);
    const known = ["federal", "krg", "joint", "self-administered", "contested"].map(authorityColor);
    expect(new Set(known).size).toBe(known.length);
  });
});

describe("polities and control", () => {
  const S = { draft: { regions: [{ authority: "krg" }, { authority: "federal" }, {}] }, control: ["krg", "joint", "federal", ""] };

  it("reads who governs each unit from its region, and who holds it from the control layer", () => {
    expect(layerLabels(S, [0, 1, -1, 2], "authority")).toEqual(["krg", "federal", "", ""]);
    expect(layerLabels(S, [0, 1, -1, 2], "control")).toEqual(["krg", "joint", "federal", ""]);
    // a control layer of another length (a stale reply) holds nothing rather than the wrong units
    expect(layerLabels({ ...S, control: ["krg"] }, [0, 1], "control")).toEqual(["", ""]);
  });

  it("lists a region's control labels, largest first", () => {
    expect(controlText({ federal: 2, krg: 10 })).toBe("krg 10, federal 2");
    expect(controlText({ krg: 1 }, (x) => x.toUpperCase(), (n) => `#${n}`)).toBe("KRG #1");
    expect(controlText(undefined)).toBe("");
  });
});
