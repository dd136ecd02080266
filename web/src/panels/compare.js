// Comparison of two plans side by side: both maps and a table of their metrics.
import { $, el } from "../dom.js";
import { fmt, t } from "../i18n.js";
import { makeMap, paintMap } from "../map.js";

const maps = {};

function show(v) {
  if (typeof v === "number") return Math.abs(v) < 1 && v !== 0 ? fmt(v, 3) : fmt(v, Number.isInteger(v) ? 0 : 2);
  return v ?? "–";
}

export async function compare(ctx) {
  const a = $("cmp-a").value;
  const b = $("cmp-b").value;
  const r = await ctx.api.request(`compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  $("compare").hidden = false;
  $("cmp-a-name").textContent = t("compare.a", { plan: r.plans[0].name });
  $("cmp-b-name").textContent = t("compare.b", { plan: r.plans[1].name });
  $("cmp-h-a").textContent = t("compare.a", { plan: r.plans[0].name });
  $("cmp-h-b").textContent = t("compare.b", { plan: r.plans[1].name });
  const tbody = $("cmp-table").querySelector("tbody");
  tbody.replaceChildren();
  for (const row of r.table) {
    const d = row.delta;
    tbody.append(el("tr", {}, el("td", { text: row.section }), el("th", { scope: "row", text: row.metric }),
      el("td", { class: "num", text: show(row.a) }), el("td", { class: "num", text: show(row.b) }),
      el("td", { class: `num ${d > 0 ? "up" : d < 0 ? "down" : ""}`, text: d === undefined ? "" : show(d) })));
  }
  const S = { ...ctx.store.get(), colorBy: "region" };
  for (const [k, id] of [[0, "map-a"], [1, "map-b"]]) {
    if (maps[k]) maps[k].remove();
    const m = makeMap(S, id, true);
    maps[k] = m;
    // regions of B that share a name with a region of A take A's colour
    let asg = r.plans[k].assignment;
    if (k === 1) {
      const namesA = r.plans[0].regions.map((x) => x.name);
      let next = namesA.length;
      const remap = r.plans[1].regions.map((x) => (namesA.includes(x.name) ? namesA.indexOf(x.name) : next++));
      asg = asg.map((j) => (j < 0 ? j : remap[j]));
    }
    m.on("load", () => paintMap(S, m, asg, []));
  }
  $("compare").scrollIntoView({ block: "nearest" });
  ctx.status(t("compare.status", { a: r.plans[0].name, b: r.plans[1].name }));
}

export function setupCompare(ctx) {
  $("do-compare").onclick = () => compare(ctx);
  $("close-compare").onclick = () => { $("compare").hidden = true; };
}
