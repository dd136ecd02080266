import { describe, expect, it } from "vitest";
import { createRanges, criterionShares, figureRange } from "../src/ranges.js";

function fakeTimers() {
  const pending = new Map();
  let id = 0;
  return {
    setTimer: (f) => { pending.set(++id, f); return id; },
    clearTimer: (h) => pending.delete(h),
    fire() { const fs = [...pending.values()]; pending.clear(); fs.forEach((f) => f()); },
    size: () => pending.size,
  };
}

function deferredServer() {
  const calls = [];
  return {
    calls,
    request: (path) => new Promise((resolve) => calls.push({ path, resolve })),
  };
}

describe("createRanges", () => {
  it("asks for the quick ranges after a short pause and the refined ones after a longer one", async () => {
    const timers = fakeTimers();
    const server = deferredServer();
    const got = [];
    const r = createRanges({ request: server.request, onRanges: (x) => got.push(x), ...timers, quick: 64, refined: 1000 });
    const done = r.changed();
    expect(server.calls).toEqual([]); // nothing while strokes may still come
    timers.fire();
    expect(server.calls.map((c) => c.path)).toEqual(["draft/ranges?draws=64"]);
    server.calls[0].resolve({ n: 64 });
    await done;
    expect(got).toEqual([{ n: 64 }]);
    timers.fire();
    expect(server.calls.map((c) => c.path)).toEqual(["draft/ranges?draws=64", "draft/ranges?draws=1000"]);
  });

  it("asks nothing for a change superseded before the pause", async () => {
    const timers = fakeTimers();
    const server = deferredServer();
    const r = createRanges({ request: server.request, onRanges: () => {}, ...timers });
    const first = r.changed();
    r.changed();
    await first; // the first change's wait ends at once
    expect(timers.size()).toBe(1);
    timers.fire();
    expect(server.calls).toHaveLength(1);
  });

  it("drops a reply that comes back after a newer change, and the older refinement", async () => {
    const timers = fakeTimers();
    const server = deferredServer();
    const got = [];
    const r = createRanges({ request: server.request, onRanges: (x) => got.push(x), ...timers });
    const first = r.changed();
    timers.fire(); // the first change's quick request is out
    const second = r.changed();
    expect(timers.size()).toBe(1); // the first change's refinement was cancelled
    timers.fire(); // the second change's quick request
    server.calls[1].resolve({ which: "second" });
    server.calls[0].resolve({ which: "first" }); // late
    await Promise.all([first, second]);
    expect(got).toEqual([{ which: "second" }]);
  });

  it("keeps quiet when the server refuses (the panel keeps the plain figures)", async () => {
    const got = [];
    const timers = fakeTimers();
    const r = createRanges({ request: () => Promise.reject(new Error("offline")), onRanges: (x) => got.push(x), ...timers });
    const done = r.changed();
    timers.fire();
    await done;
    expect(got).toEqual([]);
  });
});

describe("figureRange and criterionShares", () => {
  const reply = { summary: { draws: { draws: 64 }, figures: {
    "current/stranded:yazidi": { point: 0.68, p05: 0.51, p50: 0.64, p95: 1.0, verdict: "fragile", reason: "why" },
    "current/stranded:kurd": { point: 0.0, p05: null, p50: null, p95: null },
  }, criteria: [{ name: "inclusive", census: "current", pass_share: 0.3, verdict: "fragile" }] } };

  it("reads a figure's 90% range and verdict", () => {
    expect(figureRange(reply, "current", "stranded", "yazidi")).toEqual({ lo: 0.51, hi: 1.0, verdict: "fragile", reason: "why", draws: 64 });
    expect(figureRange(reply, "current", "stranded", "kurd")).toBeNull();
    expect(figureRange(reply, "baseline", "stranded", "yazidi")).toBeNull();
    expect(figureRange(null, "current", "stranded", "yazidi")).toBeNull();
  });

  it("indexes the criteria by name and census", () => {
    expect(criterionShares(reply).get("inclusive|current").pass_share).toBe(0.3);
    expect(criterionShares(null).size).toBe(0);
  });
});
