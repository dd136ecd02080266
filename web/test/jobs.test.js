import { describe, expect, it } from "vitest";
import { withShare } from "../src/api.js";
import { setLocale } from "../src/i18n.js";
import { drawParams, jobLabel, jobText, livePercentileText, progressText, reportPlans, robustLines, timing } from "../src/panels/jobs.js";
import { shareLink } from "../src/panels/share.js";

describe("job timing", () => {
  it("gives the time so far and, at the pace so far, the time left", () => {
    const s = { state: "running", started: 100, done: 25, total: 100 };
    expect(timing(s, 110)).toEqual({ elapsed: 10, eta: 30 });
  });
  it("has no estimate before the first step, after the end, or before the start", () => {
    expect(timing({ state: "running", started: 100, done: 0, total: 100 }, 110).eta).toBeNull();
    expect(timing({ state: "done", started: 100, finished: 130, done: 100, total: 100 }, 500)).toEqual({ elapsed: 30, eta: null });
    expect(timing({ state: "queued", started: null, done: 0, total: 0 }, 5)).toEqual({ elapsed: null, eta: null });
  });
  it("writes the progress line in the interface language", () => {
    setLocale("en");
    expect(progressText({ state: "running", started: 100, done: 250, total: 1000 }, 110)).toBe("running · 250 of 1,000 · 10 s so far · about 30 s left");
    setLocale("ar");
    const ar = progressText({ state: "running", started: 100, done: 250, total: 1000 }, 110);
    expect(ar).toContain("٢٥٠");
    expect(ar).not.toContain("running");
    setLocale("en");
  });
});

describe("report and share helpers", () => {
  it("report the draft with the compared plans, once each", () => {
    expect(reportPlans("(draft)", "halves")).toEqual(["halves"]);
    expect(reportPlans("a", "a")).toEqual(["a"]);
    expect(reportPlans("", null)).toEqual([]);
    expect(reportPlans("a", "(draft)", ["c", "a", "(draft)"])).toEqual(["a", "c"]);
  });
  it("carry the share token on addresses fetched outside request()", () => {
    expect(withShare("api/draft/events", null)).toBe("api/draft/events");
    expect(withShare("api/export/plan?format=csv", "a.b")).toBe("api/export/plan?format=csv&share=a.b");
    expect(withShare("api/x", "a+b")).toBe("api/x?share=a%2Bb");
  });
  it("build the link from the page's address without its own query", () => {
    const loc = { origin: "http://127.0.0.1:8765", pathname: "/", search: "?token=secret" };
    expect(shareLink(loc, { query: "?share=T" })).toBe("http://127.0.0.1:8765/?share=T");
  });
});

describe("job messages in the reader's language", () => {
  it("translates a message the server sends with its key, and keeps unknown ones as sent", () => {
    setLocale("en");
    expect(jobText("3 of 10 steps", { key: "chain_steps", args: { done: 3, total: 10 } })).toBe("3 of 10 steps");
    setLocale("ar");
    expect(jobText("3 of 10 steps", { key: "chain_steps", args: { done: 3, total: 10 } })).toBe("٣ من ١٠ خطوة");
    expect(jobLabel({ label: "ensemble of 5 ReCom steps from x", label_i18n: { key: "label_ensemble", args: { steps: 5, plan: "x" } } }))
      .toBe("مجموعة من ٥ خطوة ReCom انطلاقًا من x");
    expect(jobText("ValueError: boom", null)).toBe("ValueError: boom"); // library errors stay as they are
    expect(jobText("new message", { key: "no_such_key", args: {} })).toBe("new message");
    setLocale("ckb");
    expect(jobText("finished", { key: "finished", args: {} })).toBe("تەواو بوو");
    setLocale("en");
  });

  it("shows the open plan's live percentile once the chain has written steps", () => {
    setLocale("en");
    expect(livePercentileText({ steps_per_second: 10 })).toBe("");
    expect(livePercentileText(null)).toBe("");
    const text = livePercentileText({ percentile_live: { cut_edges: 0.25, max_abs_deviation: 0.9 }, sampled: 200 });
    expect(text).toBe("The open plan's percentile so far (200 steps): cut edges 25% · max |deviation| 90%");
  });
});

describe("optimization robust over census draws", () => {
  const robust = { draws: 8, seed: 0, combine: "worst", censuses: [{ census: "current", value: 12.5, low: 10.25, high: 14 }] };
  it("states the census label and, per census, the value and the range over its draws", () => {
    setLocale("en");
    expect(robustLines(robust)).toEqual([
      "Optimized on the worst of census current and 8 draws of its ranges (seed 0).",
      "current: 12.5000 on the census, 10.2500 to 14.0000 over its draws.",
    ]);
    expect(robustLines(null)).toEqual([]);
    expect(robustLines({ ...robust, draws: 0 })).toEqual([]);
  });
  it("writes them in Arabic and Sorani with the locale's digits", () => {
    for (const code of ["ar", "ckb"]) {
      setLocale(code);
      const [label, line] = robustLines(robust);
      expect(label).toContain("٨");
      expect(label).not.toContain("worst");
      expect(line).toContain("١٠");
      expect(line).not.toContain("over its draws");
    }
    setLocale("en");
  });
  it("adds draws only when the field asks for some", () => {
    expect(drawParams("0")).toEqual({});
    expect(drawParams("")).toEqual({});
    expect(drawParams("8")).toEqual({ draws: 8, draw_seed: 0 });
  });
});
