// The unit table (search, a page of units at a time, assign from the keyboard) and a unit's details.
import { $, el } from "../dom.js";
import { communityLabel, fmt, t, tOr } from "../i18n.js";
import { kurdish, unitName, zoomTo } from "../map.js";
import { pageOf } from "../store.js";

function matchesOf(S, q) {
  const U = S.units;
  const L = U.labels;
  const dist = U.admin.district || U.admin[Object.keys(U.admin)[0]] || [];
  const distName = L.district_en || dist;
  const out = [];
  for (let i = 0; i < U.ids.length; i++) {
    if (!q || U.ids[i].toLowerCase().includes(q) || (L.name_en && L.name_en[i].toLowerCase().includes(q))
      || (L.name_ar && L.name_ar[i].includes(q)) || (kurdish(S, i) && kurdish(S, i).toLowerCase().includes(q))
      || (distName[i] && String(distName[i]).toLowerCase().includes(q))) out.push(i);
  }
  return out;
}

export function renderUnitTable(ctx) {
  const { store } = ctx;
  const S = store.get();
  if (!S.units || !S.draft) return;
  const q = $("unit-search").value.trim().toLowerCase();
  const matches = matchesOf(S, q);
  if (matches.length !== S.filter.length || matches.some((v, i) => v !== S.filter[i])) store.set({ filter: matches, page: 0 });
  renderPage(ctx);
}

function renderPage(ctx) {
  const S = ctx.store.get();
  const U = S.units;
  const L = U.labels;
  const dist = U.admin.district || U.admin[Object.keys(U.admin)[0]] || [];
  const distName = L.district_en || dist;
  const pg = pageOf(S.filter, S.page, S.pageSize);
  $("unit-count").textContent = t("units.count", { n: pg.total, from: pg.total ? pg.from + 1 : 0, to: pg.to });
  const tbody = $("unit-table").querySelector("tbody");
  tbody.replaceChildren();
  const table = U.censuses[S.census];
  for (const i of pg.items) {
    const name = unitName(S, i);
    const sel = el("select", { id: `unit-region-${i}`, "aria-label": t("units.region_of", { unit: name }), disabled: S.readOnly },
      el("option", { value: "-1", text: t("region.unassigned") }), ...S.draft.regions.map((r, j) => el("option", { value: String(j), text: r.name })));
    sel.value = String(S.assignment[i]);
    const actions = el("td", {});
    if (!S.readOnly) {
      actions.append(el("button", { type: "button", text: t("units.assign"), "aria-label": t("units.assign_aria", { unit: name }), onclick: () => {
        ctx.paint({ units: [i] }, Number(sel.value));
      } }), " ");
    }
    actions.append(el("button", { type: "button", text: t("units.details"), "aria-label": t("units.details_aria", { unit: name }), onclick: () => showDetail(ctx, i) }), " ",
      el("button", { type: "button", text: t("units.show"), "aria-label": t("units.show_aria", { unit: name }), onclick: () => {
        zoomTo(ctx.store.get(), [i]);
        ctx.status(t("status.zoomed", { n: 1, ids: U.ids[i] }));
      } }));
    tbody.append(el("tr", { "data-unit": String(i) },
      el("td", { text: U.ids[i] }), el("td", { text: L.name_en ? L.name_en[i] : "" }),
      el("td", { lang: "ar", dir: "rtl", text: L.name_ar ? L.name_ar[i] : "" }),
      el("td", { lang: "ckb", dir: "rtl", text: kurdish(S, i) || "" }),
      el("td", { text: distName[i] ?? "" }),
      el("td", { class: "num", text: fmt(table[i].reduce((a, b) => a + b, 0)) }),
      el("td", {}, sel), actions));
  }
  const pager = $("unit-pager");
  pager.hidden = pg.pages <= 1;
  $("unit-prev").disabled = pg.page === 0;
  $("unit-next").disabled = pg.page >= pg.pages - 1;
  $("unit-page").textContent = t("units.page", { page: pg.page + 1, pages: pg.pages });
}

export function setupUnits(ctx) {
  $("unit-search").oninput = () => renderUnitTable(ctx);
  $("assign-matches").onclick = () => ctx.paint({ units: ctx.store.get().filter });
  const go = (d) => () => {
    const S = ctx.store.get();
    ctx.store.set({ page: S.page + d });
    renderPage(ctx);
  };
  $("unit-prev").onclick = go(-1);
  $("unit-next").onclick = go(1);
}

export async function showDetail(ctx, i) {
  const S = ctx.store.get();
  const d = await ctx.api.request(`units/${i}`);
  const box = $("detail-body");
  box.replaceChildren();
  $("unit-detail").hidden = false;
  $("detail-h").textContent = t("detail.title", { id: d.unit_id, name: d.labels.name_en || "" });
  const dl = el("dl");
  for (const [k, v] of Object.entries(d.labels)) {
    const rtl = k.endsWith("_ar") || k.endsWith("_ckb");
    dl.append(el("dt", { text: tOr(`label.${k}`, k) }), el("dd", rtl ? { lang: k.split("_").pop(), dir: "rtl", text: v } : { text: v }));
  }
  for (const [k, v] of Object.entries(d.admin)) dl.append(el("dt", { text: tOr(`admin.${k}`, k) }), el("dd", { text: v }));
  dl.append(el("dt", { text: t("detail.region") }), el("dd", { text: d.region ?? t("region.unassigned") }));
  box.append(dl);
  const tb = el("table", {}, el("caption", { text: t("detail.population_caption") }));
  const head = el("tr", {}, el("th", { scope: "col", text: t("metrics.community") }));
  for (const c of Object.keys(d.censuses)) head.append(el("th", { scope: "col", text: c }));
  tb.append(el("thead", {}, head));
  const body = el("tbody");
  for (const c of S.meta.communities) {
    const tr = el("tr", {}, el("th", { scope: "row", text: communityLabel(c.key, c.label) }));
    for (const cen of Object.keys(d.censuses)) tr.append(el("td", { class: "num", text: fmt(d.censuses[cen][c.key]) }));
    body.append(tr);
  }
  tb.append(body);
  box.append(tb);
  if (d.sources.length) {
    const cols = Object.keys(d.sources[0]).filter((k) => k !== "unit_id");
    const st = el("table", { class: "sources-table" }, el("caption", { text: t("detail.sources_caption") }),
      el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { scope: "col", text: c.replaceAll("_", " ") })))));
    const sb = el("tbody");
    for (const s of d.sources) sb.append(el("tr", {}, ...cols.map((c) => el("td", { text: s[c] }))));
    st.append(sb);
    box.append(el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("detail.sources_table") }, st));
  } else {
    box.append(el("p", { class: "muted small", text: t("detail.no_sources") }));
  }
}
