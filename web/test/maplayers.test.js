import { describe, expect, it } from "vitest";
import { setLocale } from "../src/i18n.js";
import { labelPositions, legendKeys } from "../src/maplayers.js";

describe("region label positions", () => {
  it("sit on a unit of the region, nearest its centre", () => {
    // an L-shaped region 0 (units 0, 1, 2) and region 1 (unit 3); unit 4 unassigned
    const boxes = [[0, 0, 1, 1], [1, 0, 2, 1], [0, 1, 1, 2], [1, 1, 2, 2], [5, 5, 6, 6]];
    const pos = labelPositions(boxes, [0, 0, 0, 1, -1], 3);
    expect(pos[0]).toEqual([0.5, 0.5]); // the corner unit: the mean (0.83, 0.83) is nearest to it
    expect(pos[1]).toEqual([1.5, 1.5]);
    expect(pos[2]).toBeNull(); // an empty region has no label
  });
});

describe("legend", () => {
  it("lists the regions, unassigned, and the lines that are drawn", () => {
    setLocale("en");
    const S = { draft: { regions: [{ name: "North" }, { name: "South" }] }, showOutlines: true, showReference: true,
      referenceLayers: ["rivers"], units: { admin: { governorate: [], district: [] } } };
    const { keys, lines } = legendKeys(S, (j) => ["#111111", "#222222"][j]);
    expect(keys.map((k) => k.text)).toEqual(["North", "South", "unassigned"]);
    expect(keys[0].swatch).toBe("#111111");
    expect(lines.map((l) => l.text)).toEqual(["region boundary", "governorate outline", "district outline", "river (Natural Earth)", "international border"]);
    const bare = legendKeys({ ...S, showOutlines: false, showReference: false }, () => "#000").lines;
    expect(bare.length).toBe(1);
  });
});
