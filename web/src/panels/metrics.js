// The metrics panel: criteria, contiguity, regions, communities and composition of the draft.
import { regionColor } from "../colors.js";
import { $, el } from "../dom.js";
import { communityLabel, fmt, pct, t, tOr } from "../i18n.js";
import { labelOf, zoomTo } from "../map.js";
import { fits, metricEntry } from "../comparing.js";
import { criterionShares, figureRange } from "../ranges.js";

/** A share with its 90% range over census draws under it (and the verdict: fragile is marked). */
function rangeCell(S, census, metric, community, text) {
  const td = el("td", { class: "num", text });
  const r = figureRange(S.ranges, census, metric, community);
  if (!r) return td;
  const span = el("span", { class: `range${r.verdict === "fragile" ? " fragile" : ""}`,
    text: t("ranges.span", { lo: pct(r.lo, 0), hi: pct(r.hi, 0) }) });
  if (r.verdict === "fragile") {
    span.prepend(el("span", { "aria-hidden": "true", text: "⚠ " }));
    span.append(el("span", { class: "sr-only", text: ` ${t("ranges.fragile")}` }));
  }
  if (r.reason) span.title = r.reason;
  td.append(el("br"), span);
  return td;
}

export function renderMetrics(ctx) {
  const S = ctx.store.get();
  const ev = S.evaluation;
  if (!ev || !S.meta) return;
  const cens = Object.keys(ev.censuses);
  const colors = (S.draft && S.draft.colors) || [];
  // criteria
  const crit = $("criteria");
  crit.replaceChildren(el("h3", { text: t("metrics.criteria") }));
  if (!ev.criteria.length) crit.append(el("p", { class: "muted small", text: t("metrics.no_criteria") }));
  const ul = el("ul", { class: "criteria" });
  const shares = criterionShares(S.ranges);
  for (const c of ev.criteria) {
    const fails = c.failing.map((f) => `${labelOf(S, f.item)}=${typeof f.value === "number" ? fmt(f.value, 3) : f.value}`).join(", ");
    const word = c.status === "n/a" ? t("metrics.na") : (c.passed ? t("metrics.pass") : t("metrics.fail"));
    ul.append(el("li", { class: c.status === "n/a" ? "na" : (c.passed ? "pass" : "fail") },
      el("strong", { text: `${word} ` }), `${tOr(`criterion.${c.name}`, c.name)} [${c.census}] ${tOr(`metric.${c.metric}`, c.metric)} ${c.bounds}${fails ? `: ${fails}` : ""}`));
    const sh = shares.get(`${c.name}|${c.census}`);
    if (sh && sh.pass_share !== null && sh.pass_share !== undefined) {
      const note = el("span", { class: `range${sh.verdict === "fragile" ? " fragile" : ""}`,
        text: ` ${t("ranges.passes_in", { share: pct(sh.pass_share, 0), n: sh.draws })}` });
      if (sh.verdict === "fragile") note.append(` ${t("ranges.fragile")}`);
      if (sh.reason) note.title = sh.reason;
      ul.lastChild.append(note);
    }
  }
  crit.append(ul);
  // contiguity
  const cont = $("contiguity");
  cont.replaceChildren(el("h3", { text: t("metrics.contiguity") }));
  if (!ev.contiguity.length) cont.append(el("p", { class: "small", text: t("metrics.contiguous") }));
  for (const p of ev.contiguity) {
    const item = el("p", { class: "small fail" }, el("bdi", { text: p.region }), `: ${t("metrics.pieces", { n: p.pieces })} `);
    p.detached.forEach((units, k) => item.append(el("button", {
      type: "button", class: "link", text: t("metrics.zoom_piece", { k: k + 1, n: units.length }),
      onclick: () => { zoomTo(ctx.store.get(), units); ctx.status(t("status.zoomed", { n: units.length, ids: units.slice(0, 5).map((i) => S.units.ids[i]).join(", ") })); },
    }), " "));
    cont.append(item);
  }
  // metrics that do not fit the plan's purpose (population deviation of provinces) are hidden
  // unless "show all" is ticked; a note says which and why
  const purpose = (S.draft && S.draft.purpose) || "districts";
  const dev = metricEntry(S.meta.metrics, "deviation");
  const showDev = Boolean(S.showAllMetrics) || !dev || fits(dev.purposes, [purpose]);
  const box = $("metrics");
  box.replaceChildren();
  const toggle = el("input", { type: "checkbox", id: "show-all-metrics", checked: Boolean(S.showAllMetrics),
    onchange: (e) => ctx.store.set({ showAllMetrics: e.target.checked }) });
  const opts = el("p", { class: "small row" }, el("label", {}, toggle, " ", t("purpose.show_all")));
  if (!showDev) {
    opts.append(el("span", { class: "muted", id: "metrics-hidden" }, t("purpose.hidden_here", { purpose: t(`purpose.${purpose}`) }), " ",
      el("abbr", { class: "why", tabindex: "0", title: t("purpose.why.deviation"), text: t("metric.deviation") })));
  }
  box.append(opts);
  // regions table: both censuses side by side
  const tbl = el("table", { class: "metrics" }, el("caption", { text: t("metrics.regions_caption") }));
  const head = el("tr", {}, el("th", { scope: "col", text: t("metrics.region") }), el("th", { scope: "col", text: t("metrics.authority") }));
  for (const c of cens) {
    head.append(el("th", { scope: "col", text: t("metrics.pop_c", { census: c }) }));
    if (showDev) head.append(el("th", { scope: "col", text: t("metrics.dev_c", { census: c }) }));
    head.append(el("th", { scope: "col", text: t("metrics.largest_c", { census: c }) }));
  }
  head.append(el("th", { scope: "col", text: t("metric.polsby_popper") }), el("th", { scope: "col", text: t("metric.pieces") }));
  tbl.append(el("thead", {}, head));
  const body = el("tbody");
  ev.regions.forEach((r, j) => {
    const tr = el("tr", {}, el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${regionColor(j, colors)}` }), " ", el("bdi", { text: r.name })),
      el("td", { text: r.authority }));
    for (const c of cens) {
      const cr = ev.censuses[c].regions[j];
      const lab = cr.largest ? `${labelOf(S, cr.largest)} ${pct(cr.largest_share)}` : "–";
      tr.append(el("td", { class: "num", text: fmt(cr.population) }));
      if (showDev) tr.append(el("td", { class: "num", text: pct(cr.deviation) }));
      tr.append(el("td", { text: lab }));
    }
    tr.append(el("td", { class: "num", text: fmt(r.polsby_popper, 3) }), el("td", { class: "num", text: fmt(r.pieces) }));
    body.append(tr);
  });
  tbl.append(body);
  box.append(tbl);
  // communities: empowerment and stranded per census
  const t2 = el("table", { class: "metrics" }, el("caption", { text: t("metrics.communities_caption") }));
  const h2 = el("tr", {}, el("th", { scope: "col", text: t("metrics.community") }));
  for (const c of cens) {
    h2.append(el("th", { scope: "col", text: t("metrics.pop_c", { census: c }) }), el("th", { scope: "col", text: t("metrics.largest_c", { census: c }) }),
      el("th", { scope: "col", text: t("metrics.majority_c", { census: c }) }), el("th", { scope: "col", text: t("metrics.stranded_c", { census: c }) }));
  }
  t2.append(el("thead", {}, h2));
  const b2 = el("tbody");
  for (const com of S.meta.communities) {
    const tr = el("tr", {}, el("th", { scope: "row", text: communityLabel(com.key, com.label) }));
    for (const c of cens) {
      const m = ev.censuses[c].communities[com.key];
      tr.append(el("td", { class: "num", text: fmt(m.population) }),
        rangeCell(S, c, "empowerment_plurality", com.key, pct(m.empowerment_plurality)),
        rangeCell(S, c, "empowerment_majority", com.key, pct(m.empowerment_majority)),
        rangeCell(S, c, "stranded", com.key, `${pct(m.stranded)} (${fmt(m.stranded_people)})`));
    }
    b2.append(tr);
  }
  t2.append(b2);
  box.append(t2);
  const rs = S.ranges && S.ranges.summary;
  box.append(el("p", { class: "small muted", id: "ranges-note",
    text: rs ? t("ranges.note", { n: rs.draws.draws }) : t("ranges.pending") }));
  // composition of every region on the census chosen in the toolbar
  const comms = S.meta.communities;
  const t3 = el("table", { class: "metrics", id: "composition" }, el("caption", { text: t("metrics.composition_caption", { census: S.census }) }));
  t3.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("metrics.region") }), ...comms.map((c) => el("th", { scope: "col", text: communityLabel(c.key, c.label) })))));
  const b3 = el("tbody");
  ev.censuses[S.census].regions.forEach((r) => {
    const tot = r.population;
    b3.append(el("tr", {}, el("th", { scope: "row" }, el("bdi", { text: r.name })),
      ...comms.map((c) => el("td", { class: "num", text: tot > 0 ? pct(r.composition[c.key] / tot) : "–" }))));
  });
  t3.append(b3);
  box.append(el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("metrics.composition_table") }, t3));
  const g = ev.geometry;
  const facts = [t("metrics.cut_edges", { n: g.cut_edges }), t("metrics.unassigned", { n: g.unassigned_units }),
    ...Object.entries(g.splits).map(([lvl, v]) => t("metrics.splits", { level: tOr(`admin.${lvl}`, lvl), n: v }))];
  if (ev.change) facts.push(t("metrics.change", { reference: ev.change.reference, n: ev.change.units_moved }));
  box.append(el("p", { class: "small", id: "facts", text: facts.join(" · ") }));
}
