// The region list: pick the region to paint with, edit a region's name, authority, status and colour,
// lock it, delete it (its units become unassigned; undoable).
import { regionColor, UNASSIGNED } from "../colors.js";
import { $, el } from "../dom.js";
import { t } from "../i18n.js";
import { regionSizes } from "../store.js";

export function renderRegions(ctx) {
  const { store } = ctx;
  const S = store.get();
  const box = $("regions");
  if (!S.draft) return;
  const colors = S.draft.colors || [];
  const list = el("div", { role: "radiogroup", "aria-label": t("regions.active") });
  const pick = (j) => () => store.set({ active: j });
  list.append(el("label", { class: "region-pick" },
    el("input", { type: "radio", name: "active-region", value: "-1", checked: S.active === -1, disabled: S.readOnly, onchange: pick(-1) }),
    el("span", { class: "swatch", style: `background:${UNASSIGNED}` }), " ", t("regions.erase")));
  const sizes = regionSizes(S.assignment, S.draft.regions.length);
  S.draft.regions.forEach((r, j) => {
    const locked = S.draft.locked.includes(j);
    const row = el("div", { class: "region" });
    row.append(el("label", { class: "region-pick" },
      el("input", { type: "radio", name: "active-region", value: String(j), checked: S.active === j, disabled: S.readOnly, onchange: pick(j) }),
      el("span", { class: "swatch", style: `background:${regionColor(j, colors)}` }), " ",
      el("bdi", { text: r.name }), ` ${t("regions.units", { n: sizes[j] })}`));
    if (!S.readOnly) {
      const edit = el("div", { class: "region-edit" });
      for (const field of ["name", "authority", "status"]) {
        const id = `region-${j}-${field}`;
        edit.append(el("label", { for: id, class: "small", text: t(`regions.field.${field}`) }),
          el("input", { id, type: "text", size: 12, value: r[field], onchange: async (e) => {
            ctx.applyDraft(await ctx.api.request(`draft/regions/${j}`, { method: "PATCH", json: { [field]: e.target.value } }));
          } }));
      }
      const lockId = `region-${j}-lock`;
      edit.append(el("label", { for: lockId, class: "small" },
        el("input", { id: lockId, type: "checkbox", checked: locked, onchange: async (e) => {
          const res = await ctx.api.request(`draft/regions/${j}/lock`, { method: "PUT", json: { locked: e.target.checked } });
          ctx.applyDraft(res);
          ctx.status(t(e.target.checked ? "regions.locked" : "regions.unlocked", { region: r.name }));
        } }), " ", t("regions.lock")));
      const colorId = `region-${j}-color`;
      edit.append(el("label", { for: colorId, class: "small", text: t("regions.color") }),
        el("input", { id: colorId, type: "color", value: regionColor(j, colors).toLowerCase(), onchange: async (e) => {
          ctx.applyDraft(await ctx.api.request(`draft/regions/${j}`, { method: "PATCH", json: { color: e.target.value } }));
        } }));
      if (S.draft.regions.length > 1) {
        edit.append(" ", el("button", { type: "button", class: "small", text: t("regions.delete"),
          "aria-label": t("regions.delete_aria", { region: r.name }), onclick: async () => {
            if (sizes[j] > 0 && !window.confirm(t("regions.delete_confirm", { region: r.name, n: sizes[j] }))) return;
            ctx.applyDraft(await ctx.api.request(`draft/regions/${j}`, { method: "DELETE" }), { full: true });
            ctx.status(t("regions.deleted", { region: r.name }));
          } }));
      }
      row.append(edit);
    }
    list.append(row);
  });
  box.replaceChildren(list);
}

export function setupRegions(ctx) {
  $("add-region").onsubmit = async (e) => {
    e.preventDefault();
    const name = $("new-region").value.trim();
    if (!name) return;
    ctx.applyDraft(await ctx.api.request("draft/regions", { method: "POST", json: { name } }));
    $("new-region").value = "";
    ctx.status(t("regions.added", { region: name }));
  };
}
