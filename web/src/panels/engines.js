// Engines on the draft: councils, security and the settlement of the disputed units.
import { $, el, table } from "../dom.js";
import { fmt, has, t, tOr } from "../i18n.js";
import { labelOf, tOrLabel } from "../map.js";

let timer = null;

export function refreshEngines(ctx) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const S = ctx.store.get();
    const c = encodeURIComponent(S.census);
    if ($("councils-box").open) renderCouncils(ctx, await ctx.api.request(`draft/councils?census=${c}`).catch(() => null));
    if ($("security-box").open) renderSecurity(await ctx.api.request(`draft/security?census=${c}`).catch((e) => ({ error: e.message })));
  }, 150);
}

/** A councils text from the server in the reader's language: ``councils.<key>`` with the server's
 * arguments, else the server's English. */
export function councilsText(text, i18n) {
  if (i18n && i18n.key && has(`councils.${i18n.key}`)) return t(`councils.${i18n.key}`, i18n.args || {});
  return text || "";
}

/** A force's name: ``security.force_name.<key>``, else the catalog's own name. */
export function forceName(x) { return tOr(`security.force_name.${x.force}`, x.name || x.force); }

/** A settlement method or party by the catalogue, else as the server names it. */
export function methodName(m) { return tOr(`settle.method.${m}`, m); }
export function partyName(p) { return tOr(`settle.party.${p}`, p); }

function renderCouncils(ctx, r) {
  const box = $("councils");
  if (!r) return;
  const S = ctx.store.get();
  const rows = r.regions.map((g) => {
    const seats = Object.entries(g.seats).map(([c, n]) => `${labelOf(S, c)} ${fmt(n)}`).join(", ");
    return [{ th: true, text: g.name }, { class: "num", text: fmt(g.council_size) }, { class: "num", text: fmt(g.reserved_seats) },
      seats + (g.ties ? ` (${t("councils.tie", { ties: g.ties })})` : ""), { class: "num", text: fmt(g.gallagher, 1) }];
  });
  box.replaceChildren(table(t("councils.caption", { census: r.census, rules: councilsText(r.rules, r.rules_i18n) }),
    [t("councils.col.region"), t("councils.col.seats"), t("councils.col.reserved"), t("councils.col.by_community"), t("councils.col.gallagher")], rows));
  if (r.note) box.append(el("p", { class: "small muted", text: councilsText(r.note, r.note_i18n) }));
  for (const n of r.notes) box.append(el("p", { class: "small muted", text: n }));
}

function renderSecurity(r) {
  const box = $("security");
  if (r.error) { box.replaceChildren(el("p", { class: "small", text: r.error })); return; }
  const rows = r.regions.map((g) => [{ th: true, text: g.name }, tOrLabel(g.authority), { class: "num", text: fmt(g.requirement) },
    { class: "num", text: fmt(g.covered) }, { class: "num", text: fmt(g.shortfall) }]);
  const tb = table(t("security.caption", { census: r.census, needed: fmt(r.requirement_total), short: fmt(r.shortfall_total) }),
    [t("security.col.region"), t("security.col.authority"), t("security.col.needed"), t("security.col.covered"), t("security.col.short")], rows);
  const f = el("ul", { class: "small" }, ...r.forces.map((x) => el("li", { text: t("security.force", { force: forceName(x), used: fmt(x.used), strength: fmt(x.strength) }) })));
  box.replaceChildren(tb, f);
}

export async function setupSettle(ctx) {
  const info = await ctx.api.request("settle");
  const S = ctx.store.get();
  if (!info.available) { $("settle-box").hidden = true; return; }
  const method = el("select", { id: "settle-method" }, ...info.methods.map((m) => el("option", { value: m, text: methodName(m) })));
  const budget = el("input", { id: "settle-budget", type: "number", min: "0", value: "0" });
  const run = (apply) => async () => {
    const r = await ctx.api.request("draft/settle", { method: "POST", json: { method: method.value, budget: Number(budget.value), census: ctx.store.get().census, apply }, noVersion: !apply });
    renderSettlement(r, info);
    if (apply) {
      ctx.applyDraft(r);
      ctx.status(t("settle.applied", { n: r.units_changing_region }));
    }
  };
  const form = [el("span", { class: "small", text: t("settle.intro", { n: info.units, parties: info.parties.map(partyName).join(t("a140.sep")) }) }),
    el("label", { for: "settle-method", text: t("settle.method") }), method,
    el("label", { for: "settle-budget", text: t("settle.budget") }), budget,
    el("button", { type: "button", text: t("settle.show"), onclick: run(false) })];
  if (!S.readOnly) form.push(el("button", { type: "button", text: t("settle.apply"), onclick: run(true) }));
  $("settle-form").replaceChildren(...form);
}

function renderSettlement(r, info) {
  const s = r.settlement;
  const cap = t("settle.caption", { method: methodName(s.method), envy: s.envy_free ? t("settle.envy_free") : t("settle.not_envy_free"),
    prop: s.proportional ? t("settle.proportional") : t("settle.not_proportional"), unit: info.value_unit });
  const rows = s.parties.map((p) => [{ th: true, text: partyName(p) }, { class: "num", text: fmt(r.holders[p]) }, { class: "num", text: fmt(s.values_held[p]) },
    { class: "num", text: fmt(s.transfers[p]) }, { class: "num", text: fmt(s.utilities[p]) }]);
  const tb = table(cap, [t("settle.col.party"), t("settle.col.units"), t("settle.col.value"), t("settle.col.transfer"), t("settle.col.utility")], rows);
  const note = t(r.applied ? "settle.changing_applied" : "settle.changing", { n: r.units_changing_region });
  $("settle").replaceChildren(tb, el("p", { class: "small", text: `${note} ${s.notes.join(" ")}` }));
}

export function setupEngines(ctx) {
  const S = ctx.store.get();
  if (!S.meta.engines.security) $("security-box").hidden = true;
  $("councils-box").addEventListener("toggle", () => refreshEngines(ctx));
  $("security-box").addEventListener("toggle", () => refreshEngines(ctx));
}
