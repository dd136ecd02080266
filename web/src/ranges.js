// Ranges over census draws for the metrics panel. After every change of the draft the panel asks
// the server for a quick answer (64 draws, a few milliseconds once the draws are made) and, when
// the user pauses, for a refined one (1,000 draws; the first 64 are the quick answer's draws, so
// the range narrows instead of jumping). A reply that comes back after a newer change of the draft
// is dropped: the panel never shows the ranges of a plan it no longer shows.

export const QUICK_DRAWS = 64;
export const REFINED_DRAWS = 1000;

/**
 * Make the scheduler of range requests.
 * @param {object} o
 * @param {Function} o.request (path) -> Promise of the server's reply (api.request)
 * @param {Function} o.onRanges (reply) called with every reply still current
 * @param {number} [o.pause] ms without a change before the refined request
 * @param {Function} [o.setTimer] setTimeout (tests pass a fake)
 * @param {Function} [o.clearTimer] clearTimeout
 */
export function createRanges({ request, onRanges, pause = 700, quick = QUICK_DRAWS, refined = REFINED_DRAWS,
  setTimer = (f, ms) => globalThis.setTimeout(f, ms), clearTimer = (h) => globalThis.clearTimeout(h) }) {
  let seq = 0;
  let timer = null;
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
      const done = ask(my, quick);
      timer = setTimer(() => { timer = null; if (my === seq) ask(my, refined); }, pause);
      return done;
    },
    /** Forget pending replies (a plan was closed). */
    reset() { seq++; if (timer !== null) clearTimer(timer); timer = null; },
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
