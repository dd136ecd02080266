import { afterEach, describe, expect, it } from "vitest";
import { communityLabel, pct, setLocale } from "../src/i18n.js";
import { a140Args, a140Number, a140Text, boundsText, censusName, levelName, metricName, optionName, referendumRows,
  timelineRows } from "../src/panels/article140.js";

setLocale("en");
afterEach(() => setLocale("en"));

// a timeline as the server sends it (GET /api/draft/article140), English with its keys
const RUN = { timeline: [
  { name: "Normalisation: returns and property claims", name_i18n: { key: "step.returns-and-claims", args: {} },
    status: "done", status_i18n: { key: "status.done", args: {} }, start: 0, end: 5, preconditions: [],
    effects: { returns: 136653.2, budget: { spent_usd: 1 }, census_of_record: "normalised", plan: "x" } },
  { name: "Census of record", name_i18n: { key: "step.census-of-record", args: {} },
    status: "done despite failed preconditions", status_i18n: { key: "status.done_despite", args: {} }, start: 5, end: 6,
    preconditions: [{ name: "returns-under-way", name_i18n: { key: "criterion.returns-under-way", args: {} }, passed: false,
      reason: "returned_share = 0.078, needs >= 0.1",
      reason_i18n: { key: "reason.bounds", args: { metric: "returned_share", value: 0.078, min: 0.1, max: null, abs_max: null } } }],
    effects: { population: 2500000 } },
  { name: "Provincial council elections", name_i18n: { key: "step.council-elections", args: {} },
    status: "done despite failed preconditions", status_i18n: { key: "status.done_despite", args: {} }, start: 6, end: 7,
    preconditions: [{ name: "inclusive-governance", name_i18n: { key: "criterion.inclusive-governance", args: {} }, passed: false,
      reason: "inclusive-governance [article140]: FAIL: stranded <= 0.25 fails for turkmen=0.567 in Ninewa",
      reason_i18n: { key: "reason.criterion", args: { metric: "stranded", min: null, max: 0.25, abs_max: null, census: "article140",
        failing: [{ item: "turkmen", value: 0.567, regions: ["Ninewa", "Erbil"] }] } } }],
    effects: { seats: { kurd: 3 } } },
] };

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
    // without keys (an older server, a user's settlement) the server's English shows as it is
    expect(rows[0][1]).toEqual({ th: true, text: "Normalisation" });
    expect(rows[0][2]).toBe("done");
    // budget and plan left out; the effect names and the census come from the catalogue
    expect(rows[0][4]).toBe("returns 136,653, census of record normalised (after returns and claims)");
    expect(rows[1][3]).toBe("returns-half: FAIL (7.8% < 50%); secure: pass");
    expect(rows[1][4]).toBe("share 25.0%");
  });

  it("labels the options and marks outcomes below 95% certainty", () => {
    const rows = referendumRows({ option_labels: { krg: "join the Kurdistan Region", federal: "stay federal", x: "server label" }, areas: [
      { name: "Sinjar", winner: "krg", certainty: 0.67, margin_p05: -0.02, margin_p95: 0.11, status_quo: "federal" },
      { name: "Mandali", winner: "federal", certainty: 1.0, margin_p05: 0.38, margin_p95: 0.52, status_quo: "federal" },
      { name: "Nowhere", winner: "x", certainty: 1.0, margin_p05: 0, margin_p95: 0, status_quo: "federal" },
    ] });
    expect(rows[0][1].text).toBe("join the Kurdistan Region (67%) ⚠ uncertain (< 95%)");
    expect(rows[0][1].class).toBe("fragile");
    expect(rows[0][2]).toBe("-2%–11%");
    expect(rows[1][1]).toEqual({ class: "", text: "stay federal (100%)" });
    expect(rows[1][3]).toBe("stay federal");
    expect(rows[2][1].text).toBe("server label (100%)"); // an option no catalogue has: the server's label
  });

  it("shows the catalogue's English for the server's keys", () => {
    const rows = timelineRows(RUN);
    expect(rows[1][1].text).toBe("Census of record");
    expect(rows[1][2]).toBe("done despite failed preconditions");
    expect(rows[1][3]).toBe("returns under way: FAIL (share of the displaced who returned = 7.8%, needs ≥ 10.0%)");
    expect(rows[2][3]).toBe("inclusive governance: FAIL (share of the community stranded ≤ 25.0% fails for "
      + "Turkmen = 56.7% in Ninewa, Erbil (census Article 140))");
  });

  it("writes the timeline in Arabic and Kurdish, numbers in their digits", () => {
    setLocale("ar");
    const rows = timelineRows(RUN);
    expect(rows[0][0]).toBe("٠٫٠–٥٫٠");
    expect(rows[0][1].text).toBe("التطبيع: العودة ومطالبات الملكية");
    expect(rows[0][2]).toBe("نُفّذت");
    expect(rows[0][4]).toBe("العائدون: ١٣٦٬٦٥٣، التعداد المعتمد: بعد التطبيع (بعد العودة والمطالبات)");
    // Arabic percentages carry a letter mark after the sign: build them as the panel does
    expect(pct(0.078)).toMatch(/^٧٫٨٪/);
    expect(rows[1][3]).toBe(`العودة جارية: غير متحقق (نسبة العائدين من النازحين = ${pct(0.078)}، والمطلوب ≥ ${pct(0.1)})`);
    expect(rows[2][3]).toContain(`التركمان = ${pct(0.567)} في Ninewa، Erbil`);
    // no English left but the region names, which are the data's
    for (const row of rows.slice(0, 2)) expect(`${row[1].text} ${row[2]} ${row[3]} ${row[4]}`).not.toMatch(/[A-Za-z]{3,}/);
    setLocale("ckb");
    const ku = timelineRows(RUN);
    expect(ku[1][1].text).toBe("سەرژمێریی پەسەندکراو");
    expect(ku[1][2]).toBe("جێبەجێ کرا سەرەڕای جێبەجێنەبوونی مەرجە پێشوەختەکان");
  });

  it("names the plan a referendum made with its level translated", () => {
    const plan = { key: "plan.after_referendum", args: { plan: "status-quo-2014", level: "district" } };
    expect(a140Text("status-quo-2014 after a referendum by district", plan)).toBe("status-quo-2014 after a referendum by district");
    setLocale("ar");
    expect(a140Text("English", plan)).toBe("status-quo-2014 بعد استفتاء حسب القضاء");
    setLocale("ckb");
    expect(a140Text("English", { ...plan, args: { plan: "p", level: "scope" } })).toBe("p دوای ڕیفراندۆم بەپێی هەموو بوارەکە");
  });

  it("falls back to the server's English for keys no catalogue has", () => {
    setLocale("ar");
    expect(a140Text("My own step", { key: "step.my-own", args: {} })).toBe("My own step");
    expect(a140Text("plain", undefined)).toBe("plain");
    expect(a140Text(undefined, null)).toBe("");
    expect(metricName("no_such_metric")).toBe("no_such_metric");
    expect(metricName("cut_edges")).toBe("الحدود المقطوعة"); // the general metric catalogue
    expect(censusName("census_2030")).toBe("census_2030");
    expect(communityLabel("alpha", "Alpha")).toBe("Alpha");
    expect(communityLabel("kurd", "Kurds")).toBe("الكرد");
  });

  it("translates the tie rule with the options in their tie-break order", () => {
    const rule = { key: "tie_rule", args: { order: ["krg", "federal", "self-administered"] } };
    expect(a140Text("English", rule)).toContain("(join the Kurdistan Region, stay federal, self-administer)");
    setLocale("ar");
    const ar = a140Text("English", rule);
    expect(ar).toContain("(الانضمام إلى إقليم كوردستان، البقاء تحت السلطة الاتحادية، الإدارة الذاتية)");
    expect(ar).toMatch(/^الخيارات المتساوية/);
    setLocale("ckb");
    expect(a140Text("English", rule)).toContain("چوونە پاڵ هەرێمی کوردستان");
  });

  it("formats numbers and bounds by what the metric measures", () => {
    expect(a140Number("returned_share", 0.078)).toBe("7.8%");
    expect(a140Number("referendum_certainty", 0.4425)).toBe("44.3%");
    expect(a140Number("people_moved", 12345.6)).toBe("12,346");
    expect(a140Number("years", 0.5)).toBe("0.50");
    expect(a140Number("x", null)).toBe("–");
    expect(boundsText("returned_share", { min: 0.1, max: null, abs_max: null })).toBe("≥ 10.0%");
    expect(boundsText("pieces", { min: 1, max: 2.5 })).toBe("≥ 1 and ≤ 2.50");
    expect(boundsText("x", {})).toBe("");
    expect(a140Args({ metric: "people_moved", value: 2000 }).value).toBe("2,000");
    expect(levelName("district")).toBe("district");
    expect(levelName("scope")).toBe("the whole scope");
    expect(optionName("no decision")).toBe("no decision");
    setLocale("ar");
    expect(a140Number("people_moved", 12345.6)).toBe("١٢٬٣٤٦");
    expect(levelName("district")).toBe("القضاء");
    expect(optionName("krg", { krg: "join" })).toBe("الانضمام إلى إقليم كوردستان");
  });
});
