import { describe, expect, it, vi } from "vitest";
import { INITIAL, applyDraftReply, createStore, pageOf, regionSizes } from "../src/store.js";

const draft = (version, extra = {}) => ({ name: "p", version, regions: [{ name: "A" }, { name: "B" }], locked: [], undo: 0, redo: 0, dirty: false, ...extra });

describe("store", () => {
  it("notifies subscribers of the keys that changed, only when something changed", () => {
    const s = createStore({ a: 1, b: 2 });
    const fn = vi.fn();
    s.subscribe(fn);
    s.set({ a: 1 });
    expect(fn).not.toHaveBeenCalled();
    s.set({ a: 3, b: 2 });
    expect(fn).toHaveBeenCalledWith({ a: 3, b: 2 }, ["a"]);
    expect(s.get().a).toBe(3);
  });
});

describe("applyDraftReply", () => {
  const base = { ...INITIAL, draft: draft(4), assignment: [0, 0, 1, 1], active: 1 };

  it("takes a full draft with its assignment", () => {
    const p = applyDraftReply(base, { draft: { ...draft(5), assignment: [1, 1, 1, 1], control: ["", "", "", ""] }, evaluation: { x: 1 } });
    expect(p.assignment).toEqual([1, 1, 1, 1]);
    expect(p.draft.version).toBe(5);
    expect(p.draft.assignment).toBeUndefined();
    expect(p.evaluation).toEqual({ x: 1 });
  });

  it("applies a stroke's changed units without the full assignment", () => {
    const p = applyDraftReply(base, { draft: draft(5), changed: [0, 3], region: 1 });
    expect(p.assignment).toEqual([1, 0, 1, 1]);
    expect(base.assignment).toEqual([0, 0, 1, 1]); // the old state is untouched
  });

  it("ignores a reply older than the draft the tab shows", () => {
    expect(applyDraftReply(base, { draft: draft(3), changed: [0], region: 1 })).toEqual({});
  });

  it("moves the active region back when the regions shrink", () => {
    const p = applyDraftReply({ ...base, active: 1 }, { draft: draft(5, { regions: [{ name: "A" }] }) });
    expect(p.active).toBe(0);
  });
});

describe("helpers", () => {
  it("counts units per region, leaving unassigned units out", () => {
    expect(regionSizes([0, -1, 1, 1, 2], 3)).toEqual([1, 2, 1]);
  });

  it("pages a list and clamps the page", () => {
    const list = Array.from({ length: 53 }, (_, i) => i);
    expect(pageOf(list, 0, 25)).toMatchObject({ page: 0, pages: 3, from: 0, to: 25, total: 53 });
    expect(pageOf(list, 2, 25).items).toEqual([50, 51, 52]);
    expect(pageOf(list, 9, 25).page).toBe(2);
    expect(pageOf([], 3, 25)).toMatchObject({ page: 0, pages: 1, items: [] });
  });
});
