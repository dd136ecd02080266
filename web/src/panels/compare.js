// Comparison of N plans: a table of every metric per plan, each cell marked better or worse than
// plan A by the metric registry's direction; a map of plan A and a map of the units whose
// authority changes from A to another compared plan (coloured by the new authority).
import { UNCHANGED, authorityColor } from "../colors.js";
import { changeColors, chosenPlans, compareQuery, metricEntry, verdictClass, visibleRows } from "../comparing.js";
import { $, el } from "../dom.js";
import { fmt, fmtSpec, t, tOr } from "../i18n.js";
import { makeMap, paintBorders, paintMap } from "../map.js";

const maps = {};
let last = null; // the last comparison reply (redrawn on a change of language or "show all")

const letter = (j) => String.fromCharCode(65 + j);

function show(v, spec) {
  if (typeof v === "number") {
    if (spec) return fmtSpec(v, spec);
    return Math.abs(v) < 1 && v !== 0 ? fmt(v, 3) : fmt(v, Number.isInteger(v) ? 0 : 2);
  }
  if (v === "pass") return t("metrics.pass");
  if (v === "FAIL") return t("metrics.fail");
  return v ?? "–";
}

/** The explanation of a metric hidden because it does not fit the plans' purpose. */
export function whyHidden(row, purposes) {
  const base = (row.key || "").split(":")[0];
  const generic = t("purpose.why", { metric: row.metric, fits: row.purposes.map((p) => t(`purpose.${p}`)).join(", "),
    purpose: purposes.map((p) => t(`purpose.${p}`)).join(", ") });
  return tOr(`purpose.why.${base}`, generic);
}

function renderTable(ctx) {
  if (!last) return;
  const S = ctx.store.get();
  const r = last;
  const purposes = [...new Set(r.plans.map((p) => p.purpose))];
  const { shown, hidden } = visibleRows(r.table, purposes, Boolean(S.showAllMetrics));
  const head = [el("th", { scope: "col", text: t("compare.section") }), el("th", { scope: "col", text: t("compare.metric") })];
  r.plans.forEach((p, j) => {
    head.push(el("th", { scope: "col", text: t("compare.col", { x: letter(j), plan: p.title || p.name }) }));
    if (j > 0) head.push(el("th", { scope: "col", text: t("compare.diff", { x: letter(j), a: "A" }) }));
  });
  const table = $("cmp-table");
  table.querySelector("thead").replaceChildren(el("tr", {}, ...head));
  table.querySelector("caption").textContent = t("compare.caption_n", { n: r.plans.length });
  const tbody = table.querySelector("tbody");
  tbody.replaceChildren();
  for (const row of shown) {
    const m = metricEntry(S.meta && S.meta.metrics, row.key);
    const spec = m ? m.format : null;
    const dirText = m && m.direction !== "neutral" ? t(`compare.dir.${m.direction}`) : t("compare.dir.neutral");
    const tr = el("tr", { "data-key": row.key || "" }, el("td", { text: row.section }),
      el("th", { scope: "row", title: dirText }, el("bdi", { text: row.metric })));
    row.values.forEach((v, j) => {
      const cls = j > 0 ? verdictClass(row.verdicts[j]) : "";
      const title = cls ? t(`compare.${cls}_than`, { a: r.plans[0].name, direction: dirText }) : undefined;
      tr.append(el("td", { class: `num ${cls}`.trim(), title, "data-verdict": j > 0 ? row.verdicts[j] : "reference", text: show(v, spec) }));
      if (j > 0) {
        const d = row.differences[j];
        tr.append(el("td", { class: `num diff ${cls}`.trim(), title, text: d === null || d === undefined ? "" : show(d, spec) }));
      }
    });
    tbody.append(tr);
  }
  const note = $("cmp-hidden-note");
  note.replaceChildren();
  if (hidden.length && !S.showAllMetrics) {
    note.append(t("purpose.hidden", { n: hidden.length, purpose: purposes.map((p) => t(`purpose.${p}`)).join(", ") }), " ");
    for (const h of hidden) {
      note.append(el("abbr", { class: "why", title: whyHidden(h, purposes), tabindex: "0", text: `${h.metric} (${h.section})` }), " ");
    }
  }
}

async function showChanges(ctx) {
  if (!last || last.plans.length < 2) return;
  const S = ctx.store.get();
  const before = last.names[0];
  const after = $("cmp-changes").value || last.names[1];
  const layer = $("cmp-layer").value || "polity";
  const q = new URLSearchParams({ before, after, layer });
  const ch = await ctx.api.request(`compare/changes?${q}`);
  const j = last.names.indexOf(after);
  const plan = last.plans[j];
  $("cmp-b-name").textContent = t("compare.changes_caption", { x: letter(j), plan: plan.title || plan.name, a: last.plans[0].title || last.plans[0].name });
  const people = Object.entries(ch.people).map(([c, v]) => t("compare.people_in", { people: fmt(v), census: c })).join(", ");
  $("cmp-changes-summary").textContent = t("compare.changes_summary", { n: ch.count, people: people || "–", layer: t(`compare.layer.${layer}`) });
  const keys = Object.entries(ch.by_authority).map(([a, n]) => el("li", {}, el("span", { class: "swatch", style: `background:${authorityColor(a)}` }), " ",
    el("bdi", { text: tOr(`authority.${a || "none"}`, a) }), ` (${fmt(n)})`));
  keys.push(el("li", {}, el("span", { class: "swatch", style: `background:${UNCHANGED}` }), " ", t("compare.unchanged")));
  $("cmp-changes-legend").replaceChildren(el("strong", { text: t("compare.new_authority") }), el("ul", { class: "legend-keys" }, ...keys));
  const m = maps[1];
  const paint = () => {
    const colors = changeColors(S.units.ids.length, ch, authorityColor, UNCHANGED);
    for (let i = 0; i < colors.length; i++) m.setFeatureState({ source: "units", id: i }, { color: colors[i] });
    paintBorders(S, m, plan.assignment);
  };
  if (m && m.getSource && m.getSource("units")) paint();
  else if (m) m.once("load", paint);
  ctx.store.set({ compareChanges: ch });
  return ch;
}

export async function compare(ctx) {
  const extra = [...document.querySelectorAll("#cmp-more input:checked")].map((x) => x.value);
  const names = chosenPlans($("cmp-a").value, $("cmp-b").value, extra);
  const r = await ctx.api.request(compareQuery(names));
  last = { ...r, names };
  $("compare").hidden = false;
  $("cmp-a-name").textContent = t("compare.col", { x: "A", plan: r.plans[0].title || r.plans[0].name });
  const sel = $("cmp-changes");
  sel.replaceChildren(...r.plans.slice(1).map((p, k) => el("option", { value: names[k + 1], text: t("compare.col", { x: letter(k + 1), plan: p.title || p.name }) })));
  $("cmp-changes-box").hidden = r.plans.length < 2;
  renderTable(ctx);
  const S = { ...ctx.store.get(), colorBy: "region" };
  for (const [k, id] of [[0, "map-a"], [1, "map-b"]]) {
    if (maps[k]) maps[k].remove();
    maps[k] = makeMap(S, id, true);
  }
  const a = r.plans[0];
  maps[0].on("load", () => paintMap(S, maps[0], a.assignment, a.regions.map((x) => x.color)));
  if (r.plans.length > 1) await showChanges(ctx);
  $("compare").scrollIntoView({ block: "nearest" });
  ctx.status(t("compare.status_n", { a: a.name, n: r.plans.length - 1, plans: r.plans.slice(1).map((p) => p.name).join(", ") }));
  return r;
}

/** Fill the pickers: A, B and the extra plans (checkboxes), keeping what was chosen. */
export function fillComparePickers(ctx) {
  const S = ctx.store.get();
  const options = [["(draft)", t("plans.the_draft")], ...S.plans.map((p) => [p.name, p.name])];
  for (const id of ["cmp-a", "cmp-b"]) {
    const sel = $(id);
    if (!sel) continue;
    const old = sel.value;
    sel.replaceChildren(...options.map(([v, x]) => el("option", { value: v, text: x })));
    if ([...sel.options].some((o) => o.value === old)) sel.value = old;
    else if (id === "cmp-a" && S.plans.length) sel.value = S.plans[0].name;
  }
  const box = $("cmp-more");
  if (!box) return;
  const ticked = new Set([...box.querySelectorAll("input:checked")].map((x) => x.value));
  box.replaceChildren(el("legend", { text: t("compare.more") }), ...options.map(([v, x], k) => el("label", {},
    el("input", { type: "checkbox", value: v, id: `cmp-more-${k}`, checked: ticked.has(v) }), " ", el("bdi", { text: x }))));
}

export function setupCompare(ctx) {
  $("do-compare").onclick = () => compare(ctx).catch(() => {});
  $("close-compare").onclick = () => { $("compare").hidden = true; };
  $("cmp-changes").onchange = () => showChanges(ctx).catch(() => {});
  $("cmp-layer").onchange = () => showChanges(ctx).catch(() => {});
  $("cmp-show-all").onchange = (e) => { ctx.store.set({ showAllMetrics: e.target.checked }); };
  ctx.store.subscribe((S, keys) => {
    if (keys.includes("showAllMetrics") || keys.includes("locale")) {
      $("cmp-show-all").checked = Boolean(S.showAllMetrics);
      renderTable(ctx);
      if (keys.includes("locale") && last && last.plans.length > 1 && !$("compare").hidden) showChanges(ctx).catch(() => {});
    }
  });
}
