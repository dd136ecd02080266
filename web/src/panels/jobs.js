// Jobs: start an ensemble or an optimization on the draft, follow its progress (server-sent
// events), cancel it, read its results.
import { defaultMessage, errorText, withShare } from "../api.js";
import { fits } from "../comparing.js";
import { $, el } from "../dom.js";
import { communityLabel, fmt, fmtSpec, has, pct, t, tOr } from "../i18n.js";

/** A job message or label from the server in the reader's language: the catalogue's
 * ``jobs.msg.<key>`` with the server's arguments, else the server's English text. */
export function jobText(text, i18n) {
  if (i18n && i18n.key && has(`jobs.msg.${i18n.key}`)) return t(`jobs.msg.${i18n.key}`, i18n.args || {});
  return text || "";
}

/** A job's label (what it does, to which plan) in the reader's language. */
export function jobLabel(job) { return jobText(job.label, job.label_i18n); }

/** What an ensemble column measures (the server's ``_column_info``): ``current/stranded:yazidi``
 * -> census ``current``, metric ``stranded``, community ``yazidi``; ``baseline/largest_share@2``
 * -> rank 2; ``cut_edges`` -> no census. */
export function columnInfo(column) {
  const slash = column.lastIndexOf("/");
  const census = slash >= 0 ? column.slice(0, slash) : null;
  let key = slash >= 0 ? column.slice(slash + 1) : column;
  let rank = null;
  const at = key.indexOf("@");
  if (at >= 0) { rank = Number(key.slice(at + 1)); key = key.slice(0, at); }
  const colon = key.indexOf(":");
  return { column, census, metric: colon >= 0 ? key.slice(0, colon) : key, community: colon >= 0 ? key.slice(colon + 1) : null, rank };
}

/** The label of an ensemble row: the metric (catalogue ``metric.<name>``, else the registry's
 * label) with its community (its name from the metadata) or its rank. */
export function columnLabel(info, meta) {
  const entry = ((meta && meta.metrics) || []).find((m) => m.name === info.metric);
  const metric = tOr(`metric.${info.metric}`, entry ? entry.label : info.metric);
  if (info.community) {
    const c = ((meta && meta.communities) || []).find((x) => x.key === info.community);
    return t("jobs.row_community", { metric, community: c ? c.label : info.community });
  }
  if (info.rank) return t("jobs.row_rank", { metric, rank: fmt(info.rank) });
  return metric;
}

/**
 * The rows of an ensemble's results to show: each column (``results.columns``, else the keys of
 * ``values``) with its registry entry's purposes; those whose metric does not fit ``purpose`` go
 * to ``hidden`` unless ``showAll``; ``census`` (when given) keeps the census-free rows and that
 * census's only (the live line). Each row: ``{column, census, metric, community, rank, purposes}``.
 */
export function ensembleRows(columns, meta, purpose, { showAll = false, census = null } = {}) {
  const metrics = (meta && meta.metrics) || [];
  const shown = [];
  const hidden = [];
  for (const c of columns) {
    const info = typeof c === "string" ? columnInfo(c) : c;
    if (census && info.census && info.census !== census) continue;
    const entry = metrics.find((m) => m.name === info.metric);
    const row = { ...info, purposes: entry && entry.purposes ? entry.purposes : [] };
    (showAll || fits(row.purposes, [purpose]) ? shown : hidden).push(row);
  }
  return { shown, hidden };
}

/** The explanation of an ensemble row hidden because its metric does not fit ``purpose``. */
export function whyHiddenRow(row, purpose, label) {
  const generic = t("purpose.why", { metric: label, fits: row.purposes.map((p) => t(`purpose.${p}`)).join(", "), purpose: t(`purpose.${purpose}`) });
  return tOr(`purpose.why.${row.metric}`, generic);
}

/** The open plan's percentile among the ensemble's steps so far, per streamed metric that fits
 * the plan's purpose (of ``census`` and census-free ones when ``census`` is given; "" until the
 * chain has written a block). */
export function livePercentileText(partial, { meta = null, purpose = "districts", showAll = false, census = null } = {}) {
  const p = partial && partial.percentile_live;
  if (!p) return "";
  const { shown } = ensembleRows(Object.keys(p), meta, purpose, { showAll, census });
  const parts = shown.filter((r) => p[r.column] !== null && p[r.column] !== undefined)
    .map((r) => t("jobs.live_metric", { metric: columnLabel(r, meta), p: pct(p[r.column], 0) }));
  return t("jobs.live", { metrics: parts.join(" · "), n: partial.sampled });
}

/**
 * Elapsed seconds of a job and the seconds it still needs at its pace so far (null until it
 * has done some of its work, and once it ended).
 */
export function timing(s, nowSeconds) {
  if (!s.started) return { elapsed: null, eta: null };
  const end = s.finished || nowSeconds;
  const elapsed = Math.max(0, end - s.started);
  const running = s.state === "running";
  const eta = running && s.done > 0 && s.total > s.done ? (elapsed / s.done) * (s.total - s.done) : null;
  return { elapsed, eta };
}

/** The line under a job's progress bar: state, steps, time so far and left (localised). */
export function progressText(s, nowSeconds) {
  const { elapsed, eta } = timing(s, nowSeconds);
  const parts = [t(`jobs.state.${s.state}`)];
  if (s.total) parts.push(t("jobs.done_of", { done: fmt(s.done), total: fmt(s.total) }));
  if (elapsed !== null) parts.push(t("jobs.elapsed", { s: fmt(elapsed, 0) }));
  if (eta !== null) parts.push(t("jobs.eta", { s: fmt(Math.ceil(eta), 0) }));
  return parts.join(" · ");
}

/** The lines stating what an optimization robust over census draws found (the server's
 * ``results.robust``): the census label (worst of the census and its draws, their seed), then per
 * census the plan's value on it and the range over its draws; none without draws. */
export function robustLines(robust) {
  if (!robust || !robust.draws) return [];
  const names = robust.censuses.map((c) => c.census).join(", ");
  const out = [t("jobs.robust", { census: names, n: fmt(robust.draws), seed: fmt(robust.seed) })];
  for (const c of robust.censuses) {
    out.push(t("jobs.robust_census", { census: c.census, value: fmt(c.value, 4), low: fmt(c.low, 4), high: fmt(c.high, 4) }));
  }
  return out;
}

/** The ``draws`` and ``draw_seed`` of an optimize job from the form's census-draws field: a
 * number of draws (0 or empty for none) adds both. The draws keep seed 0 (the CLI's default), so
 * the job's own seed changes the search, not the question. */
export function drawParams(drawsValue) {
  const n = Number(drawsValue || 0);
  if (!Number.isFinite(n) || n === 0) return {};
  return { draws: n, draw_seed: 0 };
}

/** The subsets an ensemble can be run on: each code of each admin level (``governorate=IQG15``)
 * with its number of units, levels in the metadata's order, codes sorted. */
export function subsetOptions(units, levels) {
  const out = [];
  for (const level of levels || []) {
    const codes = (units && units.admin && units.admin[level]) || [];
    const counts = new Map();
    for (const c of codes) counts.set(c, (counts.get(c) || 0) + 1);
    for (const code of [...counts.keys()].sort()) out.push({ value: `${level}=${code}`, level, code, n: counts.get(code) });
  }
  return out;
}

export async function setupJobs(ctx) {
  const S = ctx.store.get();
  const all = await ctx.api.request("jobs/kinds");
  ctx.store.set({ jobKinds: all });
  const kinds = all.filter((k) => k.kind !== "report"); // the report has its own button
  const form = $("job-form");
  form.replaceChildren();
  if (!kinds.length || S.readOnly) {
    if (!kinds.length) form.append(el("p", { class: "muted small", text: t("jobs.none") }));
    return;
  }
  const kindSel = el("select", { id: "job-kind" }, ...kinds.map((k) => el("option", { value: k.kind, text: t(`jobs.kind.${k.kind}`) })));
  const steps = el("input", { id: "job-steps", type: "number", min: "1", value: String(kinds[0].params.steps ?? 1000), size: 8 });
  const seed = el("input", { id: "job-seed", type: "number", value: String(kinds[0].params.seed ?? 1), size: 6 });
  const objectives = [["max|homogeneity|", t("jobs.obj.homogeneity")]];
  for (const c of S.meta.communities) {
    objectives.push([`max|empowerment_plurality|${c.key}`, t("jobs.obj.empower", { community: communityLabel(c.key, c.label) })]);
    objectives.push([`min|stranded|${c.key}`, t("jobs.obj.stranded", { community: communityLabel(c.key, c.label) })]);
  }
  const objSel = el("select", { id: "job-objective" }, ...objectives.map(([v, x]) => el("option", { value: v, text: x })));
  const objLabel = el("label", { for: "job-objective", text: t("jobs.objective") });
  const draws = el("input", { id: "job-draws", type: "number", min: "0", max: "64", step: "1", value: "0", size: 4, "aria-describedby": "job-draws-help" });
  const drawsBox = el("span", { class: "job-draws" }, el("label", { for: "job-draws", text: t("jobs.draws") }), draws,
    el("span", { id: "job-draws-help", class: "small muted", text: t("jobs.draws_help") }));
  const syncKind = () => {
    const k = kinds.find((x) => x.kind === kindSel.value);
    steps.value = String(k.params.steps ?? 1000);
    objSel.hidden = objLabel.hidden = k.kind !== "optimize";
    drawsBox.hidden = k.kind !== "optimize";
    subset.hidden = subsetLabel.hidden = k.kind !== "ensemble";
  };
  kindSel.onchange = syncKind;
  const tol = el("input", { id: "job-tolerance", type: "number", min: "0", max: "0.99", step: "0.05", value: "0.25", size: 5 });
  const subset = el("select", { id: "job-subset" }, el("option", { value: "", text: t("jobs.subset_all") }),
    ...subsetOptions(S.units, S.meta.admin_levels).map((o) => el("option", { value: o.value, text: t("jobs.subset_one", { level: o.level, code: o.code, n: fmt(o.n) }) })));
  const subsetLabel = el("label", { for: "job-subset", text: t("jobs.subset") });
  const balance = el("select", { id: "job-balance" },
    el("option", { value: "plan", text: t("jobs.balance.plan") }),
    el("option", { value: "equal", text: t("jobs.balance.equal") }));
  form.append(el("label", { for: "job-kind", text: t("jobs.job") }), kindSel, el("label", { for: "job-steps", text: t("jobs.steps") }), steps,
    el("label", { for: "job-seed", text: t("jobs.seed") }), seed, el("label", { for: "job-tolerance", text: t("jobs.tolerance") }), tol,
    el("label", { for: "job-balance", text: t("jobs.bounds") }), balance, subsetLabel, subset, objLabel, objSel, drawsBox,
    el("button", { id: "job-start", type: "button", text: t("jobs.start"), onclick: async () => {
      const params = { steps: Number(steps.value), seed: Number(seed.value), tolerance: Number(tol.value), balance: balance.value };
      if (kindSel.value === "ensemble" && subset.value) params.subset = subset.value;
      if (kindSel.value === "optimize") {
        const [dir, metric, com] = objSel.value.split("|");
        const term = com ? { metric, communities: [com] } : { metric };
        params[dir === "max" ? "maximize" : "minimize"] = [term];
        Object.assign(params, drawParams(draws.value));
      }
      let job;
      try {
        job = await ctx.api.request("jobs", { method: "POST", json: { kind: kindSel.value, params }, noVersion: true });
      } catch { return; } // refused (a subset in one region, an unassigned unit): the status line says why
      watchJob(ctx, job);
      ctx.status(t("jobs.started", { job: jobLabel(job) }));
    } }));
  syncKind();
  for (const job of (await ctx.api.request("jobs")).reverse()) watchJob(ctx, job);
}

export function watchJob(ctx, job, { results = defaultResults } = {}) {
  const li = el("li", { id: `job-${job.id}`, class: "job" });
  const label = jobLabel(job);
  const prog = el("progress", { max: String(job.total || 1), value: "0", "aria-label": t("jobs.progress_of", { job: label }) });
  const msg = el("span", { class: "small job-progress", text: t(`jobs.state.${job.state}`) });
  const detail = el("span", { class: "small muted", dir: "auto" });
  const live = el("span", { class: "small job-live", "aria-live": "polite" });
  const cancel = el("button", { type: "button", text: t("jobs.cancel"), "aria-label": t("jobs.cancel_aria", { job: label }),
    onclick: () => ctx.api.request(`jobs/${job.id}/cancel`, { method: "POST", noVersion: true }) });
  const out = el("div", { class: "small job-results" });
  li.append(el("div", { text: label, dir: "auto" }), prog, " ", msg, " ", cancel, el("div", {}, detail), el("div", {}, live), out);
  $("jobs").prepend(li);
  const es = new EventSource(withShare(`api/jobs/${job.id}/events`, ctx.share));
  let last = job;
  // the time so far and left move every second, between the job's own reports too
  const tick = setInterval(() => { msg.textContent = progressText(last, Date.now() / 1000); }, 1000);
  const update = (ev) => {
    const s = JSON.parse(ev.data);
    last = s;
    prog.max = s.total || 1;
    prog.value = s.done;
    msg.textContent = progressText(s, Date.now() / 1000);
    // a failed job's line is its error (``error``: the server's error body) in the reader's language
    detail.textContent = s.error && s.error.message ? defaultMessage(s.error, 0) : jobText(s.message, s.message_i18n);
    const S = ctx.store.get();
    const lp = livePercentileText(s.partial, { meta: S.meta, purpose: purposeOf(S), showAll: Boolean(S.showAllMetrics), census: S.census });
    if (lp) live.textContent = lp;
    li.dataset.state = s.state;
    if (s.state === "done" && s.results) out.replaceChildren(results(ctx, s));
    if (s.error) out.textContent = errorText(s.error.message, s.error.message_i18n);
  };
  es.addEventListener("progress", update);
  es.addEventListener("end", (ev) => { update(ev); es.close(); clearInterval(tick); cancel.disabled = true; });
  return { li, es };
}

function defaultResults(ctx, s) {
  if (s.kind === "report") return reportResults(ctx, s);
  return s.kind === "optimize" ? optimizeResults(ctx, s.results) : ensembleResults(ctx, s.results);
}

/** The purpose of the open plan (what its regions are for), which decides the metrics that fit. */
function purposeOf(S) { return (S.draft && S.draft.purpose) || "districts"; }

function reportResults(ctx, s) {
  const box = el("p", { class: "report-files" });
  for (const f of s.results.files) {
    const href = withShare(`api/jobs/${encodeURIComponent(s.id)}/files/${encodeURIComponent(f.name)}`, ctx.share);
    box.append(el("a", { class: "button", href, download: `${s.id}-${f.name}`, "data-format": f.format,
      text: t("report.download", { format: f.format.toUpperCase(), size: fmt(f.bytes / 1024, 0) }) }), " ");
  }
  return box;
}

/** The plans a report covers: the draft, and the plans picked for comparison (A, B and more). */
export function reportPlans(a, b, extra = []) {
  return [...new Set([a, b, ...extra].filter((x) => x && x !== "(draft)"))];
}

/** Start a report job (HTML and, when the server can, PDF) and follow it in the jobs list. */
export async function startReport(ctx) {
  const kinds = ctx.store.get().jobKinds || [];
  const k = kinds.find((x) => x.kind === "report");
  if (!k) { ctx.status(t("report.unavailable"), true); return null; }
  const extra = [...document.querySelectorAll("#cmp-more input:checked")].map((x) => x.value);
  const plans = reportPlans($("cmp-a") && $("cmp-a").value, $("cmp-b") && $("cmp-b").value, extra);
  const job = await ctx.api.request("jobs", { method: "POST", json: { kind: "report", params: { plans, formats: k.params.formats, maps: k.params.maps !== false } }, noVersion: true });
  watchJob(ctx, job);
  ctx.status(t("jobs.started", { job: jobLabel(job) }));
  return job;
}

function optimizeResults(ctx, r) {
  const s = r.summary;
  const vals = Object.entries(s.values).map(([k, v]) => `${k} = ${fmt(v, 4)}`).join(", ");
  const feasible = s.feasible ? t("jobs.feasible") : t("jobs.not_feasible", { why: s.failing.join("; ") });
  const box = el("div", {}, el("p", { text: t("jobs.best", { objective: fmt(s.objective, 4), values: vals, feasible, steps: fmt(s.stats.steps), seconds: fmt(s.elapsed, 1) }) }));
  for (const line of robustLines(r.robust)) box.append(el("p", { class: "job-robust", text: line }));
  if (r.top.length > 1) box.append(el("p", { text: t("jobs.top", { list: r.top.map((x) => fmt(x, 4)).join(", ") }) }));
  if (r.saved_as) {
    box.append(el("button", { type: "button", text: t("jobs.open_plan", { plan: r.saved_as }), onclick: () => ctx.openPlan(r.saved_as) }));
    ctx.loadPlans();
  }
  return box;
}

/** An ensemble's results: a row per recorded metric that fits the open plan's purpose (plan
 * value, percentile, quantiles), the hidden ones listed with why; redrawn when the purpose, the
 * "show all metrics" switch or the language changes. */
function ensembleResults(ctx, r) {
  const box = el("div", { class: "ensemble-results" });
  const draw = () => {
    const S = ctx.store.get();
    box.dataset.purpose = purposeOf(S);
    box.replaceChildren(...ensembleTable(S, r));
  };
  draw();
  const off = ctx.store.subscribe((S, keys) => {
    if (!box.isConnected) { off(); return; } // the job's entry is gone
    if (keys.includes("showAllMetrics") || keys.includes("locale") || keys.includes("meta") ||
        (keys.includes("draft") && purposeOf(S) !== box.dataset.purpose)) draw();
  });
  return box;
}

function ensembleTable(S, r) {
  const purpose = purposeOf(S);
  const columns = r.columns || ["cut_edges", "max_abs_deviation"];
  const { shown, hidden } = ensembleRows(columns, S.meta, purpose, { showAll: Boolean(S.showAllMetrics) });
  const metrics = (S.meta && S.meta.metrics) || [];
  const tb = el("table", { class: "ensemble-table" }, el("caption", { text: t("jobs.ensemble_caption", { steps: fmt(r.steps), census: r.census }) }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("jobs.col.metric") }), el("th", { scope: "col", text: t("jobs.col.census") }),
      el("th", { scope: "col", text: t("jobs.col.plan") }), el("th", { scope: "col", text: t("jobs.col.percentile") }),
      el("th", { scope: "col", text: t("jobs.col.quantiles") }))));
  const body = el("tbody");
  for (const row of shown) {
    const k = row.column;
    const entry = metrics.find((m) => m.name === row.metric);
    const show = (v) => (entry && entry.format ? fmtSpec(v, entry.format) : fmt(v, 3));
    const q = (r.quantiles && r.quantiles[k]) || [];
    const census = row.census || (row.metric === "max_abs_deviation" ? r.census : "");
    body.append(el("tr", { "data-column": k }, el("th", { scope: "row" }, el("bdi", { text: columnLabel(row, S.meta) })),
      el("td", { text: census || "–" }), el("td", { class: "num", text: show(r.plan[k]) }),
      el("td", { class: "num", text: pct(r.percentile[k]) }), el("td", { text: `${show(q[0])} · ${show(q[2])} · ${show(q[4])}` })));
  }
  tb.append(body);
  const out = [tb];
  if (r.subset) out.push(el("p", { text: t("jobs.ensemble_subset", { subset: r.subset, n: fmt(r.subset_units) }) }));
  if (hidden.length) {
    const note = el("p", { class: "small muted ensemble-hidden" },
      t("purpose.hidden", { n: hidden.length, purpose: t(`purpose.${purpose}`) }), " ");
    for (const h of hidden) {
      const label = columnLabel(h, S.meta);
      note.append(el("abbr", { class: "why", title: whyHiddenRow(h, purpose, label), tabindex: "0", text: label }), " ");
    }
    out.push(note);
  }
  out.push(el("p", { text: t("jobs.ensemble_facts", { moves: fmt(r.moved), loops: fmt(r.self_loops), seconds: fmt(r.seconds, 2) }) }));
  return out;
}
