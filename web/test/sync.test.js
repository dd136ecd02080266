import { describe, expect, it } from "vitest";
import { eventAction, listenDraftEvents } from "../src/sync.js";

describe("eventAction", () => {
  const shown = { version: 5 };
  it("reloads when another tab made a newer version", () => {
    expect(eventAction(shown, { version: 6, tab: "other" }, "me")).toBe("reload");
    expect(eventAction(shown, { version: 9, tab: "" }, "me")).toBe("reload");
  });
  it("ignores the tab's own edits and versions it already shows", () => {
    expect(eventAction(shown, { version: 6, tab: "me" }, "me")).toBe("ignore");
    expect(eventAction(shown, { version: 5, tab: "other" }, "me")).toBe("ignore");
    expect(eventAction(shown, { version: 4, tab: "other" }, "me")).toBe("ignore");
  });
  it("ignores events before the first draft and malformed events", () => {
    expect(eventAction(null, { version: 6, tab: "x" }, "me")).toBe("ignore");
    expect(eventAction(shown, { tab: "x" }, "me")).toBe("ignore");
    expect(eventAction(shown, null, "me")).toBe("ignore");
  });
});

describe("listenDraftEvents", () => {
  it("parses draft events and reports the connection's state", () => {
    let made = null;
    class FakeES {
      constructor(url, opts) { this.url = url; this.opts = opts; this.handlers = {}; made = this; }
      addEventListener(name, fn) { this.handlers[name] = fn; }
      close() { this.closed = true; }
    }
    const got = [];
    const state = [];
    const h = listenDraftEvents({ onEvent: (d) => got.push(d), onOpen: () => state.push("open"), onLost: () => state.push("lost"), EventSourceImpl: FakeES });
    expect(made.url).toBe("api/draft/events");
    made.onopen();
    made.handlers.draft({ data: '{"version":3,"tab":"a"}' });
    made.handlers.draft({ data: "not json" });
    made.onerror();
    h.close();
    expect(got).toEqual([{ version: 3, tab: "a" }]);
    expect(state).toEqual(["open", "lost"]);
    expect(made.closed).toBe(true);
  });
  it("does nothing without EventSource", () => {
    expect(() => listenDraftEvents({ onEvent: () => {}, EventSourceImpl: null }).close()).not.toThrow();
  });
});
