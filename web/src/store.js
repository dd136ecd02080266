// The front end's state in one store: the server's draft as this tab last saw it (with its
// version), the territory's static data, and the view's choices (active region, census, colouring,
// language, unit-table page). Panels subscribe to changes; the reducers below are pure functions
// of (state, server reply) so they can be unit-tested without a browser.

export function createStore(initial = {}) {
  let state = { ...initial };
  const subs = new Set();
  return {
    get state() { return state; },
    get: () => state,
    /** Merge ``patch`` into the state and tell the subscribers which keys changed. */
    set(patch) {
      if (!patch) return state;
      const keys = Object.keys(patch).filter((k) => state[k] !== patch[k]);
      if (!keys.length) return state;
      state = { ...state, ...patch };
      for (const f of [...subs]) f(state, keys);
      return state;
    },
    subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
  };
}

export const INITIAL = {
  meta: null, units: null, draft: null, evaluation: null, assignment: [], control: [],
  active: 0, mode: "click", census: null, colorBy: "region", plans: [], filter: [], page: 0,
  pageSize: 25, ready: false, locale: "en", online: true, readOnly: false,
  showLabels: true, showOutlines: true, showReference: true, referenceLayers: [], highlight: [],
};

/**
 * The state after a draft reply of the server ({draft, evaluation?, changed?, region?}).
 * A reply older than the draft the tab shows (a lower version) changes nothing.
 */
export function applyDraftReply(state, reply) {
  const d = reply && reply.draft;
  if (!d) return {};
  const have = state.draft ? state.draft.version : undefined;
  if (have !== undefined && d.version !== undefined && d.version < have) return {};
  const patch = { draft: { ...(state.draft || {}), ...d } };
  delete patch.draft.assignment;
  delete patch.draft.control;
  if (Array.isArray(d.assignment)) patch.assignment = d.assignment.slice();
  else if (Array.isArray(reply.changed) && reply.changed.length && reply.region !== undefined) {
    const a = state.assignment.slice();
    for (const i of reply.changed) a[i] = reply.region;
    patch.assignment = a;
  }
  if (Array.isArray(d.control)) patch.control = d.control.slice();
  if (reply.evaluation) patch.evaluation = reply.evaluation;
  const k = patch.draft.regions ? patch.draft.regions.length : 0;
  if (state.active >= k) patch.active = k > 0 ? 0 : -1;
  return patch;
}

/** Units per region (index k counts nothing: unassigned units are left out). */
export function regionSizes(assignment, k) {
  const out = new Array(k).fill(0);
  for (const j of assignment) if (j >= 0 && j < k) out[j]++;
  return out;
}

/** One page of a list: {items, page, pages, from, to} with the page clamped to the list. */
export function pageOf(list, page, size) {
  const pages = Math.max(1, Math.ceil(list.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  const from = p * size;
  const items = list.slice(from, from + size);
  return { items, page: p, pages, from, to: from + items.length, total: list.length };
}
