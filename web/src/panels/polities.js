// Polities and control of the draft: who governs each region (its authority), which units are
// held by another force or authority (the control layer), and the security check's finding on
// that control (when the territory ships a force catalog).
import { authorityColor } from "../colors.js";
import { controlText } from "../comparing.js";
import { $, el, table } from "../dom.js";
import { fmt, t } from "../i18n.js";
import { tOrLabel, unitName, zoomTo } from "../map.js";

let timer = null;

export function refreshPolities(ctx) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!$("polities-box") || !$("polities-box").open) return;
    const S = ctx.store.get();
    const r = await ctx.api.request(`draft/polities?census=${encodeURIComponent(S.census)}`).catch((e) => ({ error: e.message }));
    ctx.store.set({ polities: r });
    renderPolities(ctx, r);
  }, 150);
}

function renderPolities(ctx, r) {
  const box = $("polities");
  if (r.error) { box.replaceChildren(el("p", { class: "small", text: r.error })); return; }
  const S = ctx.store.get();
  const census = S.census in (r.people || {}) ? S.census : Object.keys(r.people || {})[0];
  const swatch = (x) => el("span", { class: "swatch", style: `background:${authorityColor(x)}` });
  const rows = r.regions.map((g) => [{ th: true, nodes: [el("bdi", { text: g.name })] },
    { nodes: [swatch(g.authority), " ", tOrLabel(g.authority)] },
    controlText(g.control, tOrLabel, (n) => fmt(n)),
    { class: "num", text: fmt(g.held_by_others) },
    { class: "num", text: fmt(g.people_held_by_others[census]) }]);
  const tb = table(t("polities.caption", { census }), [t("polities.col.region"), t("polities.col.governs"),
    t("polities.col.held_by"), t("polities.col.others"), t("polities.col.people")], rows, { id: "polities-table" });
  const out = [el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("polities.title") }, tb)];
  const summary = el("p", { class: "small", id: "polities-summary",
    text: t("polities.summary", { n: r.count, people: fmt(r.people[census]), census }) });
  if (r.count) {
    const units = r.units;
    summary.append(" ", el("button", { type: "button", class: "link", text: t("polities.show_units"), onclick: () => {
      zoomTo(ctx.store.get(), units);
      ctx.store.set({ highlight: units.slice() });
      ctx.status(t("polities.shown", { n: units.length }));
    } }), " ", el("button", { type: "button", class: "link", text: t("polities.color_control"), onclick: () => {
      const sel = $("color-by");
      sel.value = "control";
      sel.dispatchEvent(new Event("change"));
    } }));
    const list = el("ul", { class: "small", id: "polities-units" });
    r.ids.slice(0, 20).forEach((id, k) => list.append(el("li", {}, el("bdi", { text: S.units ? unitName(S, r.units[k]) : id }),
      el("span", { class: "muted", text: ` (${id})` }), ": ",
      t("polities.unit_line", { control: tOrLabel(r.control[k]), authority: tOrLabel(r.authority[k]) }))));
    if (r.count > 20) list.append(el("li", { class: "muted", text: t("polities.more", { n: r.count - 20 }) }));
    out.push(summary, list);
  } else out.push(summary);
  if (r.security) {
    const s = r.security;
    const p = el("p", { class: `small ${s.shortfall_total > 0 ? "fail" : "pass"}`, id: "polities-security" },
      el("strong", { text: `${t("polities.security")} ` }),
      t("polities.security_finding", { short: fmt(s.shortfall_total), needed: fmt(s.requirement_total), n: s.units_short, census: s.census }));
    out.push(p);
    if (s.zero_capacity_count) {
      const z = el("ul", { class: "small" });
      for (const u of s.zero_capacity.slice(0, 10)) {
        z.append(el("li", {}, el("bdi", { text: u.unit_id }), `: ${Object.entries(u.barred_by).map(([f, why]) => `${f}: ${why}`).join("; ")}`));
      }
      out.push(el("p", { class: "small", text: t("polities.zero_capacity", { n: s.zero_capacity_count }) }), z);
    }
  } else if (S.meta && !S.meta.engines.security) {
    out.push(el("p", { class: "small muted", text: t("polities.no_security") }));
  }
  box.replaceChildren(...out);
}

export function setupPolities(ctx) {
  const box = $("polities-box");
  if (!box) return;
  box.addEventListener("toggle", () => refreshPolities(ctx));
}
