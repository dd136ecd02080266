// Ranges over census draws for the metrics panel. After a change of the draft (once strokes pause
// for a quarter of a second) the panel asks the server for a quick answer (64 draws, a few
// milliseconds once the draws are made) and then for a refined one (1,000 draws; the first 64 are the quick answer's draws, so
// the range narrows instead of jumping). A reply that comes back after a newer change of the draft
// is dropped: the panel never shows the ranges of a plan it no longer shows.

export const QUICK_DRAWS = 64;
export const REFINED_DRAWS = 1000;

/**
 * Make the scheduler of range requests.
 * @param {object} o
 * @param {Function} o.request (path) -> Promise of the server's reply (api.request)
 * @param {Function} o.onRanges (reply) called with every reply still current
 * @param {number} [o.settle] ms without a change before the quick request
 * @param {number} [o.pause] ms after the quick request before the refined one
 * @param {Function} [o.setTimer] setTimeout (tests pass a fake)
 * @param {Function} [o.clearTimer] clearTimeout
 */
export function createRanges({ request, onRanges, settle = 250, pause = 700, quick = QUICK_DRAWS, refined = REFINED_DRAWS,
  setTimer = (f, ms) => globalThis.setTimeout(f, ms), clearTimer = (h) => globalThis.clearTimeout(h) }) {
  let seq = 0;
  let timer = null;
  let settled = null;
  async function ask(my, draws) {
    let reply;
    try {
      reply = await request(`draft/ranges?draws=${draws}`);
    } catch {
      return; // the panel keeps the plain figures; the error is shown by the api's onError
    }
    if (my === seq) onRanges(reply);
  }
  return {
    /** The draft changed: ask for its quick ranges now and the refined ones after a pause. */
    changed() {
      const my = ++seq;
      if (timer !== null) clearTimer(timer);
      if (settled) settled(); // the previous change's wait ends: it was superseded
      // the quick answer waits for a short pause too: computed while strokes are still coming, it
      // would hold the server's loop and delay the next stroke's own metrics
      return new Promise((resolve) => {
        settled = resolve;
        timer = setTimer(() => {
          timer = null;
          settled = null;
          if (my !== seq) { resolve(); return; }
          const q = ask(my, quick);
          timer = setTimer(() => { timer = null; if (my === seq) ask(my, refined); }, pause);
          q.then(resolve);
        }, settle);
      });
    },
    /** Forget pending replies (a plan was closed). */
    reset() { seq++; if (timer !== null) clearTimer(timer); timer = null; if (settled) settled(); settled = null; },
  };
}

/**
 * One figure's range from a ranges reply: {lo, hi, verdict, reason, draws} or null.
 * @param {object|null} ranges the server's reply ({summary: {figures, draws}})
 * @param {string} census
 * @param {string} metric e.g. "stranded", "empowerment_plurality"
 * @param {string} community
 */
export function figureRange(ranges, census, metric, community) {
  if (!ranges || !ranges.summary) return null;
  const f = ranges.summary.figures[`${census}/${metric}:${community}`];
  if (!f || f.p05 === null || f.p95 === null || f.p05 === undefined || f.p95 === undefined) return null;
  return { lo: f.p05, hi: f.p95, verdict: f.verdict || null, reason: f.reason || "", draws: ranges.summary.draws.draws };
}

/** The criteria of a ranges reply by name and census: {pass_share, verdict, reason}. */
export function criterionShares(ranges) {
  const out = new Map();
  if (!ranges || !ranges.summary) return out;
  for (const c of ranges.summary.criteria || []) out.set(`${c.name}|${c.census}`, c);
  return out;
}
