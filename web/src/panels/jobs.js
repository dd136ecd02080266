// Jobs: start an ensemble or an optimization on the draft, follow its progress (server-sent
// events), cancel it, read its results.
import { withShare } from "../api.js";
import { $, el } from "../dom.js";
import { communityLabel, fmt, has, pct, t } from "../i18n.js";

/** A job message or label from the server in the reader's language: the catalogue's
 * ``jobs.msg.<key>`` with the server's arguments, else the server's English text. */
export function jobText(text, i18n) {
  if (i18n && i18n.key && has(`jobs.msg.${i18n.key}`)) return t(`jobs.msg.${i18n.key}`, i18n.args || {});
  return text || "";
}

/** A job's label (what it does, to which plan) in the reader's language. */
export function jobLabel(job) { return jobText(job.label, job.label_i18n); }

/** The open plan's percentile among the ensemble's steps so far, per streamed metric ("" until
 * the chain has written a block). */
export function livePercentileText(partial) {
  const p = partial && partial.percentile_live;
  if (!p) return "";
  const parts = Object.entries(p).map(([k, v]) => t("jobs.live_metric", { metric: t(`metric.${k}`), p: pct(v, 0) }));
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
  const syncKind = () => {
    const k = kinds.find((x) => x.kind === kindSel.value);
    steps.value = String(k.params.steps ?? 1000);
    objSel.hidden = objLabel.hidden = k.kind !== "optimize";
  };
  kindSel.onchange = syncKind;
  const tol = el("input", { id: "job-tolerance", type: "number", min: "0", max: "0.99", step: "0.05", value: "0.25", size: 5 });
  const balance = el("select", { id: "job-balance" },
    el("option", { value: "plan", text: t("jobs.balance.plan") }),
    el("option", { value: "equal", text: t("jobs.balance.equal") }));
  form.append(el("label", { for: "job-kind", text: t("jobs.job") }), kindSel, el("label", { for: "job-steps", text: t("jobs.steps") }), steps,
    el("label", { for: "job-seed", text: t("jobs.seed") }), seed, el("label", { for: "job-tolerance", text: t("jobs.tolerance") }), tol,
    el("label", { for: "job-balance", text: t("jobs.bounds") }), balance, objLabel, objSel,
    el("button", { id: "job-start", type: "button", text: t("jobs.start"), onclick: async () => {
      const params = { steps: Number(steps.value), seed: Number(seed.value), tolerance: Number(tol.value), balance: balance.value };
      if (kindSel.value === "optimize") {
        const [dir, metric, com] = objSel.value.split("|");
        const term = com ? { metric, communities: [com] } : { metric };
        params[dir === "max" ? "maximize" : "minimize"] = [term];
      }
      const job = await ctx.api.request("jobs", { method: "POST", json: { kind: kindSel.value, params }, noVersion: true });
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
    detail.textContent = jobText(s.message, s.message_i18n);
    const lp = livePercentileText(s.partial);
    if (lp) live.textContent = lp;
    li.dataset.state = s.state;
    if (s.state === "done" && s.results) out.replaceChildren(results(ctx, s));
    if (s.error) out.textContent = s.error.message;
  };
  es.addEventListener("progress", update);
  es.addEventListener("end", (ev) => { update(ev); es.close(); clearInterval(tick); cancel.disabled = true; });
  return { li, es };
}

function defaultResults(ctx, s) {
  if (s.kind === "report") return reportResults(ctx, s);
  return s.kind === "optimize" ? optimizeResults(ctx, s.results) : ensembleResults(s.results);
}

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
  if (r.top.length > 1) box.append(el("p", { text: t("jobs.top", { list: r.top.map((x) => fmt(x, 4)).join(", ") }) }));
  if (r.saved_as) {
    box.append(el("button", { type: "button", text: t("jobs.open_plan", { plan: r.saved_as }), onclick: () => ctx.openPlan(r.saved_as) }));
    ctx.loadPlans();
  }
  return box;
}

function ensembleResults(r) {
  const tb = el("table", {}, el("caption", { text: t("jobs.ensemble_caption", { steps: fmt(r.steps), census: r.census }) }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("jobs.col.metric") }), el("th", { scope: "col", text: t("jobs.col.plan") }),
      el("th", { scope: "col", text: t("jobs.col.percentile") }), el("th", { scope: "col", text: t("jobs.col.quantiles") }))));
  const body = el("tbody");
  for (const k of ["cut_edges", "max_abs_deviation"]) {
    const q = r.quantiles[k];
    body.append(el("tr", {}, el("th", { scope: "row", text: t(`metric.${k}`) }), el("td", { class: "num", text: fmt(r.plan[k], 3) }),
      el("td", { class: "num", text: pct(r.percentile[k]) }), el("td", { text: `${fmt(q[0], 3)} · ${fmt(q[2], 3)} · ${fmt(q[4], 3)}` })));
  }
  tb.append(body);
  return el("div", {}, tb, el("p", { text: t("jobs.ensemble_facts", { moves: fmt(r.moved), loops: fmt(r.self_loops), seconds: fmt(r.seconds, 2) }) }));
}
