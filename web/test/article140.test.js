import { describe, expect, it } from "vitest";
import { setLocale } from "../src/i18n.js";
import { referendumRows, timelineRows } from "../src/panels/article140.js";

setLocale("en");

describe("Article 140 panel rows", () => {
  it("lists every step with its preconditions and its numeric effects", () => {
    const rows = timelineRows({ timeline: [
      { name: "Normalisation", status: "done", start: 0, end: 5, preconditions: [],
        effects: { returns: 136653.2, budget: { spent_usd: 1 }, census_of_record: "normalised", plan: "x" } },
      { name: "Census", status: "done despite failed preconditions", start: 5, end: 6,
        preconditions: [{ name: "returns-half", passed: false, reason: "7.8% < 50%" }, { name: "secure", passed: true }],
        effects: { share: 0.25 } },
    ] });
    expect(rows).toHaveLength(2);
    expect(rows[0][0]).toBe("0.0–5.0");
    expect(rows[0][1]).toEqual({ th: true, text: "Normalisation" });
    expect(rows[0][4]).toBe("returns 136,653, census_of_record normalised"); // budget and plan left out
    expect(rows[1][3]).toBe("returns-half: FAIL (7.8% < 50%); secure: pass");
    expect(rows[1][4]).toBe("share 0.25");
  });

  it("labels the options and marks outcomes below 95% certainty", () => {
    const rows = referendumRows({ option_labels: { krg: "join the Kurdistan Region", federal: "stay federal" }, areas: [
      { name: "Sinjar", winner: "krg", certainty: 0.67, margin_p05: -0.02, margin_p95: 0.11, status_quo: "federal" },
      { name: "Mandali", winner: "federal", certainty: 1.0, margin_p05: 0.38, margin_p95: 0.52, status_quo: "federal" },
    ] });
    expect(rows[0][1].text).toBe("join the Kurdistan Region (67%) ⚠ uncertain (< 95%)");
    expect(rows[0][1].class).toBe("fragile");
    expect(rows[0][2]).toBe("-2%–11%");
    expect(rows[1][1]).toEqual({ class: "", text: "stay federal (100%)" });
    expect(rows[1][3]).toBe("stay federal");
  });
});
