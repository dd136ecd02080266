// The Article 140 road for the draft: a settlement of the case (normalise, census, referendum,
// transfer, deploy, elect) run from the plan being edited. The panel shows the timeline with each
// step's preconditions and effects, the referendum by area with the probability of its outcome over
// draws, who returns, and what the property claims cost. It runs when asked (a button), not after
// every stroke: a run takes about a second once the engines are warm.
import { $, el, table } from "../dom.js";
import { fmt, pct, t } from "../i18n.js";

/** Rows of the timeline: years, step, status, preconditions (pass/FAIL with reason), effects. */
export function timelineRows(result) {
  return result.timeline.map((o) => {
    const pre = o.preconditions.map((p) => `${p.name}: ${p.passed ? "pass" : "FAIL"}${p.reason ? ` (${p.reason})` : ""}`).join("; ");
    const eff = Object.entries(o.effects)
      .filter(([k, v]) => !["budget", "forces", "plan", "censuses_added"].includes(k) && (typeof v === "number" || typeof v === "string"))
      .map(([k, v]) => `${k} ${typeof v === "number" ? (Math.abs(v) > 1 ? fmt(v) : fmt(v, 2)) : v}`).join(", ");
    return [`${fmt(o.start, 1)}–${fmt(o.end, 1)}`, { th: true, text: o.name }, o.status, pre, eff];
  });
}

/** Rows of the referendum: area, outcome with its probability over draws (marked below 95%),
 * margin range, status quo. */
export function referendumRows(ref) {
  const label = (k) => (ref.option_labels && ref.option_labels[k]) || k;
  return ref.areas.map((a) => [{ th: true, text: a.name },
    { class: a.certainty < 0.95 ? "fragile" : "", text: `${label(a.winner)} (${pct(a.certainty, 0)})${a.certainty < 0.95 ? ` ⚠ ${t("a140.uncertain")}` : ""}` },
    `${pct(a.margin_p05, 0)}–${pct(a.margin_p95, 0)}`, label(a.status_quo)]);
}

export async function setupArticle140(ctx) {
  const box = $("a140-box");
  if (!box) return;
  let info;
  try { info = await ctx.api.request("article140"); } catch { info = { available: false }; }
  if (!info.available) { box.hidden = true; return; }
  const sel = el("select", { id: "a140-settlement" }, ...info.settlements.map((s) => el("option", { value: s.name, text: s.title })));
  const draws = el("input", { id: "a140-draws", type: "number", min: "10", max: String(info.max_draws), value: "200" });
  const button = el("button", { type: "button", text: t("a140.run") });
  button.onclick = async () => {
    button.disabled = true;
    $("a140").replaceChildren(el("p", { class: "small muted", text: t("a140.running") }));
    try {
      const n = Math.min(Math.max(10, Number(draws.value) || 200), info.max_draws);
      const r = await ctx.api.request(`draft/article140?settlement=${encodeURIComponent(sel.value)}&draws=${n}`);
      renderArticle140(r);
      ctx.status(t("a140.done", { years: fmt(r.years, 1) }));
    } catch (e) {
      $("a140").replaceChildren(el("p", { class: "small fail", text: e.message }));
    } finally {
      button.disabled = false;
    }
  };
  $("a140-form").replaceChildren(el("label", { for: "a140-settlement", text: t("a140.settlement") }), sel,
    el("label", { for: "a140-draws", text: t("a140.draws") }), draws, button);
}

function renderArticle140(r) {
  const m = r.metrics;
  const head = el("p", { class: "small" }, t("a140.summary", {
    title: r.settlement.title || r.settlement.name, state: r.completed ? t("a140.completed") : t("a140.stopped"),
    years: fmt(r.years, 1), census: r.census_of_record, plan: r.plan }));
  const facts = el("p", { class: "small" }, t("a140.facts", {
    returned: pct(m.returned_share), claims: pct(m.claims_resolved_share), moved: fmt(m.people_moved),
    certainty: pct(m.referendum_certainty), security: pct(m.security_coverage) }));
  const parts = [head, facts,
    el("h4", { text: t("a140.timeline") }),
    // a list, not a table: the panel is narrow and preconditions and effects are sentences
    el("ol", { class: "timeline small" }, ...timelineRows(r).map(([years, step, state, pre, eff]) => el("li", {},
      el("strong", { text: `${years} · ${step.text}` }), ` — ${state}`,
      ...(pre ? [el("br"), `${t("a140.col.pre")}: ${pre}`] : []),
      ...(eff ? [el("br"), `${t("a140.col.effects")}: ${eff}`] : []))))];
  if (r.referendum) {
    parts.push(table(t("a140.referendum", { level: r.referendum.level, census: r.referendum.census, n: fmt(r.referendum.draws) }),
      [t("a140.col.area"), t("a140.col.winner"), t("a140.col.margin"), t("a140.col.status_quo")],
      referendumRows(r.referendum)));
    parts.push(el("p", { class: "small muted", text: r.referendum.tie_rule }));
  }
  if (r.returns) {
    const rt = r.returns.totals;
    parts.push(el("p", { class: "small" }, t("a140.returns", { returns: fmt(rt.returns), lo: fmt(rt.returns_p05), hi: fmt(rt.returns_p95),
      displaced: fmt(rt.displaced), years: fmt(r.returns.horizon, 1) })));
    parts.push(table(t("a140.returns_caption"), [t("a140.col.community"), t("a140.col.displaced"), t("a140.col.returns"), t("a140.col.range")],
      r.returns.communities.map((c) => [{ th: true, text: c.community }, { class: "num", text: fmt(c.displaced) },
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
