import { describe, expect, it } from "vitest";
import { REGION_COLORS, UNASSIGNED, ramp, regionColor } from "../src/colors.js";

describe("colours", () => {
  it("give regions the palette's colours unless the plan gives its own", () => {
    expect(regionColor(-1)).toBe(UNASSIGNED);
    expect(regionColor(0)).toBe(REGION_COLORS[0]);
    expect(regionColor(20)).toBe(REGION_COLORS[0]);
    expect(regionColor(1, [null, "#123456"])).toBe("#123456");
  });

  it("ramp from dark to light, grey when missing", () => {
    expect(ramp(0)).toBe("#440154");
    expect(ramp(1)).toBe("#fde725");
    expect(ramp(null)).toBe("#dddddd");
  });
});
