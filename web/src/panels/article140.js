// The Article 140 road for the draft: a settlement of the case (normalise, census, referendum,
// transfer, deploy, elect) run from the plan being edited. The panel shows the timeline with each
// step's preconditions and effects, the referendum by area with the probability of its outcome over
// draws, who returns, and what the property claims cost. It runs when asked (a button), not after
// every stroke: a run takes about a second once the engines are warm.
//
// The server sends its English text with a key and arguments next to it (``name_i18n``,
// ``status_i18n``, ``reason_i18n``, ``title_i18n``, ``tie_rule_i18n``); the panel shows the
// catalogue's ``a140.<key>`` in the reader's language and falls back to the English.
import { $, el, table } from "../dom.js";
import { communityLabel, fmt, has, pct, t, tOr } from "../i18n.js";

const HIDDEN_EFFECTS = ["budget", "forces", "plan", "censuses_added"];
let last = null; // the last run, drawn again when the language changes

/** A sequence or plan metric's name in the reader's language (the key when no catalogue has it). */
export function metricName(m) { return tOr(`a140.metric.${m}`, tOr(`metric.${m}`, m)); }

/** A census name (``normalised``, ``article140``, or one of the data's). */
export function censusName(c) { return tOr(`a140.census.${c}`, c); }

/** A referendum option (``krg``, ``federal``, ...) by the catalogue, else the server's label. */
export function optionName(k, labels = {}) { return tOr(`a140.option.${k}`, (labels && labels[k]) || k); }

/** A referendum level: ``unit``, ``scope`` or an admin level. */
export function levelName(l) { return tOr(`a140.level.${l}`, tOr(`admin.${l}`, l)); }

/** A number the way its metric reads: shares (``*_share``, certainty, coverage, stranded and
 * empowered shares) as a percentage, whole numbers and those of 100 or more without decimals, the
 * others with two. */
export function a140Number(metric, v) {
  if (typeof v !== "number") return v === null || v === undefined ? "–" : String(v);
  if (/share|certainty|coverage|^stranded|^empowerment/.test(metric || "")) return pct(v, 1);
  return Number.isInteger(v) || Math.abs(v) >= 100 ? fmt(v) : fmt(v, 2);
}

/** A precondition's bounds (``{min, max, abs_max}``) in words: "≥ 10%", "≤ 0.25", both joined. */
export function boundsText(metric, b) {
  const parts = [];
  if (b.min !== null && b.min !== undefined) parts.push(t("a140.bound.min", { v: a140Number(metric, b.min) }));
  if (b.max !== null && b.max !== undefined) parts.push(t("a140.bound.max", { v: a140Number(metric, b.max) }));
  if (b.abs_max !== null && b.abs_max !== undefined) parts.push(t("a140.bound.abs_max", { v: a140Number(metric, b.abs_max) }));
  return parts.join(t("a140.and"));
}

/** The arguments of a server message with names translated and numbers formatted. */
export function a140Args(args, labels = {}) {
  const out = { ...args };
  const m = args.metric;
  if (m !== undefined) out.metric = metricName(m);
  if ("value" in args) out.value = a140Number(m, args.value);
  if ("min" in args || "max" in args || "abs_max" in args) out.bounds = boundsText(m, args);
  if (args.census !== undefined) out.census = censusName(args.census);
  if (args.level !== undefined) out.level = levelName(args.level);
  if (Array.isArray(args.order)) out.order = args.order.map((k) => optionName(k)).join(t("a140.sep"));
  if (Array.isArray(args.failing)) {
    out.items = args.failing.map((f) => t(f.regions && f.regions.length ? "a140.failing_in" : "a140.failing", {
      item: communityLabel(f.item, labels[f.item] || f.item), value: a140Number(m, f.value),
      regions: (f.regions || []).join(t("a140.sep")) })).join(t("a140.sep"));
  }
  return out;
}

/** A server text of the panel in the reader's language: the catalogue's ``a140.<key>`` with the
 * arguments translated, else the server's English ``text``. */
export function a140Text(text, i18n, labels = {}) {
  if (i18n && i18n.key && has(`a140.${i18n.key}`)) return t(`a140.${i18n.key}`, a140Args(i18n.args || {}, labels));
  return text || "";
}

/** One effect of a step, "name value", with the value formatted or translated. */
function effectText(k, v) {
  const value = typeof v === "number" ? a140Number(k, v) : (k === "census_of_record" ? censusName(v) : v);
  return t("a140.effect", { name: tOr(`a140.effect.${k}`, k), value });
}

/** Rows of the timeline: years, step, status, preconditions (pass/fail with reason), effects.
 * ``labels``: community labels by key (the territory's), for names no catalogue has. */
export function timelineRows(result, labels = {}) {
  return result.timeline.map((o) => {
    const pre = o.preconditions.map((p) => {
      const reason = a140Text(p.reason, p.reason_i18n, labels);
      return t(reason ? "a140.pre_reason" : "a140.pre", { name: a140Text(p.name, p.name_i18n),
        state: p.passed ? t("a140.pass") : t("a140.fail"), reason });
    }).join(t("a140.list_sep"));
    const eff = Object.entries(o.effects)
      .filter(([k, v]) => !HIDDEN_EFFECTS.includes(k) && (typeof v === "number" || typeof v === "string"))
      .map(([k, v]) => effectText(k, v)).join(t("a140.sep"));
    return [`${fmt(o.start, 1)}–${fmt(o.end, 1)}`, { th: true, text: a140Text(o.name, o.name_i18n) },
      a140Text(o.status, o.status_i18n), pre, eff];
  });
}

/** Rows of the referendum: area, outcome with its probability over draws (marked below 95%),
 * margin range, status quo. */
export function referendumRows(ref) {
  const label = (k) => optionName(k, ref.option_labels);
  return ref.areas.map((a) => [{ th: true, text: a.name },
    { class: a.certainty < 0.95 ? "fragile" : "", text: `${label(a.winner)} (${pct(a.certainty, 0)})${a.certainty < 0.95 ? ` ⚠ ${t("a140.uncertain")}` : ""}` },
    `${pct(a.margin_p05, 0)}–${pct(a.margin_p95, 0)}`, label(a.status_quo)]);
}

/** Set the panel up; ``keep`` (a change of language) keeps the chosen settlement and draws, and
 * draws the last run again in the new language. */
export async function setupArticle140(ctx, { keep = false } = {}) {
  const box = $("a140-box");
  if (!box) return;
  if (!keep) last = null;
  let info;
  try { info = await ctx.api.request("article140"); } catch { info = { available: false }; }
  if (!info.available) { box.hidden = true; return; }
  const labels = communityLabels(ctx);
  const chosen = keep && $("a140-settlement") && $("a140-settlement").value;
  const sel = el("select", { id: "a140-settlement" }, ...info.settlements.map((s) => el("option", { value: s.name, text: a140Text(s.title, s.title_i18n) })));
  if (chosen && info.settlements.some((s) => s.name === chosen)) sel.value = chosen;
  const drawn = (keep && $("a140-draws") && $("a140-draws").value) || "200";
  const draws = el("input", { id: "a140-draws", type: "number", min: "10", max: String(info.max_draws), value: drawn });
  const button = el("button", { type: "button", text: t("a140.run") });
  button.onclick = async () => {
    button.disabled = true;
    $("a140").replaceChildren(el("p", { class: "small muted", text: t("a140.running") }));
    try {
      const n = Math.min(Math.max(10, Number(draws.value) || 200), info.max_draws);
      const r = await ctx.api.request(`draft/article140?settlement=${encodeURIComponent(sel.value)}&draws=${n}`);
      last = r;
      renderArticle140(r, labels);
      ctx.status(t("a140.done", { years: fmt(r.years, 1) }));
    } catch (e) {
      $("a140").replaceChildren(el("p", { class: "small fail", text: e.message }));
    } finally {
      button.disabled = false;
    }
  };
  $("a140-form").replaceChildren(el("label", { for: "a140-settlement", text: t("a140.settlement") }), sel,
    el("label", { for: "a140-draws", text: t("a140.draws") }), draws, button);
  // a change of language sets the panel up again: the last run is drawn again in the new language
  if (last) renderArticle140(last, labels);
}

function communityLabels(ctx) {
  const S = ctx.store && ctx.store.get();
  return Object.fromEntries(((S && S.meta && S.meta.communities) || []).map((c) => [c.key, c.label]));
}

function renderArticle140(r, labels = {}) {
  const m = r.metrics;
  const head = el("p", { class: "small" }, t("a140.summary", {
    title: a140Text(r.settlement.title || r.settlement.name, r.settlement.title_i18n),
    state: r.completed ? t("a140.completed") : t("a140.stopped"),
    years: fmt(r.years, 1), census: censusName(r.census_of_record), plan: a140Text(r.plan, r.plan_i18n) }));
  const facts = el("p", { class: "small" }, t("a140.facts", {
    returned: pct(m.returned_share), claims: pct(m.claims_resolved_share), moved: fmt(m.people_moved),
    certainty: pct(m.referendum_certainty), security: pct(m.security_coverage) }));
  const parts = [head, facts,
    el("h4", { text: t("a140.timeline") }),
    // a list, not a table: the panel is narrow and preconditions and effects are sentences
    el("ol", { class: "timeline small" }, ...timelineRows(r, labels).map(([years, step, state, pre, eff]) => el("li", {},
      el("strong", { text: `${years} · ${step.text}` }), ` — ${state}`,
      ...(pre ? [el("br"), `${t("a140.col.pre")}: ${pre}`] : []),
      ...(eff ? [el("br"), `${t("a140.col.effects")}: ${eff}`] : []))))];
  if (r.referendum) {
    parts.push(table(t("a140.referendum", { level: levelName(r.referendum.level), census: censusName(r.referendum.census), n: fmt(r.referendum.draws) }),
      [t("a140.col.area"), t("a140.col.winner"), t("a140.col.margin"), t("a140.col.status_quo")],
      referendumRows(r.referendum)));
    parts.push(el("p", { class: "small muted", id: "a140-tie-rule", text: a140Text(r.referendum.tie_rule, r.referendum.tie_rule_i18n) }));
  }
  if (r.returns) {
    const rt = r.returns.totals;
    parts.push(el("p", { class: "small" }, t("a140.returns", { returns: fmt(rt.returns), lo: fmt(rt.returns_p05), hi: fmt(rt.returns_p95),
      displaced: fmt(rt.displaced), years: fmt(r.returns.horizon, 1) })));
    parts.push(table(t("a140.returns_caption"), [t("a140.col.community"), t("a140.col.displaced"), t("a140.col.returns"), t("a140.col.range")],
      r.returns.communities.map((c) => [{ th: true, text: communityLabel(c.community, labels[c.community] || c.community) }, { class: "num", text: fmt(c.displaced) },
        { class: "num", text: fmt(c.returns) }, `${fmt(c.returns_p05)}–${fmt(c.returns_p95)}`])));
  }
  if (r.claims) {
    const b = r.claims.budget;
    const c = r.claims.totals;
    parts.push(el("p", { class: "small" }, t("a140.claims", { claims: fmt(c.claims), resolved: fmt(c.resolved), restituted: fmt(c.restituted),
      move: fmt(c.people_move), spent: fmt(b.spent_usd), available: fmt(b.available_usd), unfunded: fmt(b.unfunded_claims_usd) })));
  }
  $("a140").replaceChildren(...parts);
}
