import { describe, expect, it, vi } from "vitest";
import { ApiError, constraintText, createApi, defaultMessage, errorArgs, errorText } from "../src/api.js";
import { fmt, setLocale } from "../src/i18n.js";

function reply(status, body, type = "application/json") {
  return { ok: status < 400, status, headers: { get: () => type }, json: async () => body, text: async () => String(body) };
}

describe("api", () => {
  it("sends the custom header, the tab and (for edits) the draft version", async () => {
    const calls = [];
    const api = createApi({ fetchImpl: async (url, init) => { calls.push([url, init]); return reply(200, { ok: 1 }); }, version: () => 7, tab: "t1" });
    await api.request("draft");
    await api.request("draft/paint", { method: "POST", json: { region: 0 } });
    expect(calls[0][0]).toBe("api/draft");
    expect(calls[0][1].headers["X-Requested-With"]).toBe("dayafter");
    expect(calls[1][1].headers["X-Dayafter-CSRF"]).toBe("1");
    expect(calls[0][1].headers["X-Dayafter-Draft-Version"]).toBeUndefined();
    expect(calls[1][1].headers["X-Dayafter-Draft-Version"]).toBe("7");
    expect(calls[1][1].headers["X-Dayafter-Tab"]).toBe("t1");
    expect(calls[1][1].body).toBe('{"region":0}');
  });

  it("calls a refused stale edit 'stale' and an unreachable server 'offline'", async () => {
    const onError = vi.fn();
    const stale = createApi({ fetchImpl: async () => reply(409, { error: "StaleDraft", message: "changed", hint: "reload" }), onError });
    await expect(stale.request("draft/undo", { method: "POST" })).rejects.toMatchObject({ kind: "stale", status: 409 });
    const down = createApi({ fetchImpl: async () => { throw new TypeError("Failed to fetch"); }, onError, offlineText: "down" });
    const err = await down.request("draft").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe("offline");
    expect(err.message).toBe("down");
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it("puts the server's message and hint in the error", async () => {
    const api = createApi({ fetchImpl: async () => reply(422, { error: "InputDataError", message: "bad unit", hint: "pick another", source: "plan.csv" }) });
    await expect(api.request("x")).rejects.toThrow("plan.csv: bad unit Fix: pick another");
  });

  it("applies edits one at a time, in order, even when an earlier one fails", async () => {
    const order = [];
    let n = 0;
    const api = createApi({ fetchImpl: async (url) => {
      const k = ++n;
      await new Promise((r) => setTimeout(r, k === 1 ? 30 : 1));
      order.push(url);
      return k === 2 ? reply(500, { message: "boom" }) : reply(200, {});
    } });
    const a = api.request("a", { method: "POST" });
    const b = api.request("b", { method: "POST" }).catch(() => "failed");
    const c = api.request("c", { method: "POST" });
    await Promise.all([a, b, c]);
    expect(order).toEqual(["api/a", "api/b", "api/c"]);
    expect(await b).toBe("failed");
  });

  it("refuses edits in a read-only view without asking the server", async () => {
    const fetchImpl = vi.fn();
    const api = createApi({ fetchImpl, readOnly: () => true });
    await expect(api.request("draft/paint", { method: "POST" })).rejects.toMatchObject({ kind: "readonly" });
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe("server error messages", () => {
  it("join the server's English message and hint with the reader's word", () => {
    expect(defaultMessage({ message: "bad unit", hint: "pick another", source: "plan.csv" }, 422)).toBe("plan.csv: bad unit Fix: pick another");
    setLocale("ar");
    expect(defaultMessage({ message: "bad unit", hint: "pick another" }, 422)).toBe("bad unit الحل: pick another");
    expect(defaultMessage({ message: "bad unit" }, 422)).toBe("bad unit");
    setLocale("en");
  });

  const tolerance = {
    error: "ConfigError", source: "",
    message: "The 'tolerance' parameter of f must be a float in the range [0, 1] or None. Got 1.5 instead.",
    hint: "use e.g. tolerance=0.05 or 0.25",
    message_i18n: { key: "validation.parameter", args: { name: "tolerance", caller: "f", value: 1.5, constraints: [
      { kind: "float_range", left: 0, right: 1, left_closed: true, right_closed: true }, { kind: "none" }] } },
    hint_i18n: { key: "validation.example", args: { name: "tolerance", examples: [0.05, 0.25] } },
  };

  it("word a parameter's constraints, value and examples in the reader's language", () => {
    expect(defaultMessage(tolerance, 400)).toBe("The 'tolerance' parameter of f must be a number in the range "
      + "[0, 1] or empty (no value). Got 1.5 instead. Fix: use e.g. tolerance=0.05 or 0.25");
    setLocale("ar");
    const text = defaultMessage(tolerance, 400);
    expect(text).toBe(`يجب أن يكون المعامل 'tolerance' في f عدداً ضمن المجال [${fmt(0)}، ${fmt(1)}] أو فارغاً (بلا قيمة). `
      + `القيمة المعطاة: ${fmt(1.5, 1)}. الحل: استخدم مثلاً tolerance=${fmt(0.05, 2)} أو ${fmt(0.25, 2)}`);
    expect(text).not.toMatch(/must|range|None/);
    setLocale("en");
  });

  it("write open and unbounded ends, options and other constraints", () => {
    expect(constraintText({ kind: "int_range", left: 1, right: null, left_closed: true, right_closed: false }))
      .toBe("an integer in the range [1, ∞)");
    expect(constraintText({ kind: "float_range", left: 0, right: 1, left_closed: false, right_closed: false }))
      .toBe("a number in the range (0, 1)");
    expect(constraintText({ kind: "options", options: ["equal", "plan"] })).toBe("one of 'equal', 'plan'");
    expect(constraintText({ kind: "instance", type: "Plan" })).toBe("an instance of Plan");
    expect(constraintText({ kind: "something-new", text: "a widget" })).toBe("a widget");
    setLocale("ckb");
    expect(constraintText({ kind: "options", options: ["equal", "plan"] })).toBe("یەکێک لە 'equal'، 'plan'");
    setLocale("en");
  });

  it("translate the names an error's arguments carry", () => {
    setLocale("ar");
    expect(errorArgs({ level: "governorate", place: "query", options: ["a", "b"], n: 1200 }))
      .toEqual({ level: "المحافظة", place: "معامل الاستعلام", options: "a، b", n: fmt(1200) });
    expect(errorText("the request is not valid", { key: "request.invalid_field", args: { place: "body", field: "region" } }))
      .toBe("حقل الجسم 'region' غير صالح.");
    setLocale("en");
  });

  it("fall back to the English text for a key the catalogues do not have", () => {
    setLocale("ar");
    expect(errorText("a new error", { key: "web.not_yet_translated", args: {} })).toBe("a new error");
    expect(defaultMessage({ message: "stale", hint: "again", message_i18n: { key: "web.nope" },
      hint_i18n: { key: "web.stale_draft_hint" } }, 409))
      .toBe("stale الحل: يعرض التبويب الآن المسودة الحالية؛ أعد التعديل");
    setLocale("en");
  });
});
