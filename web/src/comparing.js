// Pure functions behind the comparison of N plans (panels/compare.js) and the metrics that fit a
// plan's purpose (panels/metrics.js): which rows to show, how to mark a cell, what a map of the
// units changing authority paints. Unit-tested in test/comparing.test.js.

/** The plans to compare from the pickers: A (compared against) first, then B, then the extra
 * plans ticked, each once. */
export function chosenPlans(a, b, extra = []) {
  const out = [];
  for (const x of [a, b, ...extra]) if (x && !out.includes(x)) out.push(x);
  return out;
}

/** The query string of a comparison of ``plans`` against the first. */
export function compareQuery(plans) {
  const q = new URLSearchParams();
  for (const p of plans) q.append("plans", p);
  if (plans.length) q.set("against", plans[0]);
  return `compare?${q}`;
}

/** Whether a metric (its registry entry's ``purposes``) fits any of ``purposes``. Metrics that
 * name no purposes (plain counts, criteria) fit every plan. */
export function fits(metricPurposes, purposes) {
  if (!metricPurposes || !metricPurposes.length) return true;
  return purposes.some((p) => metricPurposes.includes(p));
}

/** The rows of a comparison to show: all of them with ``showAll``, else those whose metric fits
 * the purpose of some compared plan; ``hidden`` lists the others (for the note that explains). */
export function visibleRows(rows, purposes, showAll = false) {
  const shown = [];
  const hidden = [];
  for (const r of rows) (showAll || fits(r.purposes, purposes) ? shown : hidden).push(r);
  return { shown, hidden };
}

/** The class of a cell judged against the reference plan: ``better``, ``worse`` or ``""``
 * (same, neutral, missing, or the reference plan's own column). The sign of a difference says
 * nothing by itself: one more non-contiguous region is worse, one more empowered person better. */
export function verdictClass(verdict) {
  return verdict === "better" || verdict === "worse" ? verdict : "";
}

/** The registry entry of a metric name (``stranded:yazidi`` -> ``stranded``) in the metadata. */
export function metricEntry(metrics, key) {
  if (!key || !metrics) return null;
  const base = key.split("/").pop().split(":")[0];
  return metrics.find((m) => m.name === base) || null;
}

/** Metrics of the registry that do not fit a plan of ``purpose`` (names), for the metrics panel. */
export function unfitMetrics(metrics, purpose) {
  return (metrics || []).filter((m) => m.purposes && !m.purposes.includes(purpose)).map((m) => m.name);
}

/** Per unit, the colour of the change map: the new authority's colour where the authority
 * changes, ``same`` elsewhere. ``changes`` is the server's {units, new}. */
export function changeColors(n, changes, colorOf, same) {
  const out = new Array(n).fill(same);
  changes.units.forEach((i, k) => { out[i] = colorOf(changes.new[k]); });
  return out;
}

/** Per unit, who governs it (``authority``: its region's authority) or who holds it
 * (``control``: the plan's control layer), "" when unassigned. */
export function layerLabels(S, assignment, layer) {
  if (layer === "control") return S.control && S.control.length === assignment.length ? S.control : assignment.map(() => "");
  const auth = S.draft ? S.draft.regions.map((r) => r.authority || "") : [];
  return assignment.map((j) => (j >= 0 ? auth[j] ?? "" : ""));
}

/** The control labels of a region as text, largest first ("krg 10, federal 2"); ``count``
 * formats the numbers (the interface's digits). */
export function controlText(control, label = (x) => x, count = String) {
  return Object.entries(control || {}).sort((a, b) => b[1] - a[1]).map(([x, n]) => `${label(x)} ${count(n)}`).join(", ");
}
