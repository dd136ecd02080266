// Scenarios and saved plans: open, duplicate, rename, delete; save the draft.
import { $, el } from "../dom.js";
import { t } from "../i18n.js";
import { fillComparePickers } from "./compare.js";

export async function loadPlans(ctx, list) {
  const plans = list || await ctx.api.request("plans");
  ctx.store.set({ plans });
  renderPlans(ctx);
}

export function renderPlans(ctx) {
  const S = ctx.store.get();
  const ul = $("plans");
  ul.replaceChildren();
  for (const p of S.plans) {
    const kind = t(p.kind === "scenario" ? "plans.kind.scenario" : "plans.kind.saved");
    const li = el("li", {}, el("bdi", { text: p.title || p.name }),
      el("span", { class: "muted small", text: ` ${kind}${p.reference ? `, ${t("plans.reference")}` : ""}, ${t("plans.regions", { n: p.regions })} ` }));
    if (!S.readOnly) {
      li.append(el("button", { type: "button", text: t("plans.open"), "aria-label": t("plans.open_aria", { plan: p.name }), onclick: () => ctx.openPlan(p.name) }), " ");
      li.append(el("button", { type: "button", text: t("plans.duplicate"), "aria-label": t("plans.duplicate_aria", { plan: p.name }), onclick: async () => {
        const name = window.prompt(t("plans.duplicate_prompt", { plan: p.name }), t("plans.copy_name", { plan: p.name }));
        if (name) {
          await loadPlans(ctx, await ctx.api.request(`plans/${encodeURIComponent(p.name)}/duplicate`, { method: "POST", json: { new_name: name }, noVersion: true }));
          ctx.status(t("plans.copied", { plan: name }));
        }
      } }));
      if (p.kind === "saved") {
        li.append(" ", el("button", { type: "button", text: t("plans.rename"), "aria-label": t("plans.rename_aria", { plan: p.name }), onclick: async () => {
          const name = window.prompt(t("plans.rename_prompt", { plan: p.name }), p.name);
          if (name && name !== p.name) {
            await loadPlans(ctx, await ctx.api.request(`plans/${encodeURIComponent(p.name)}/rename`, { method: "POST", json: { new_name: name }, noVersion: true }));
            ctx.status(t("plans.renamed", { plan: name }));
          }
        } }), " ", el("button", { type: "button", text: t("plans.delete"), "aria-label": t("plans.delete_aria", { plan: p.name }), onclick: async () => {
          if (window.confirm(t("plans.delete_confirm", { plan: p.name }))) {
            await loadPlans(ctx, await ctx.api.request(`plans/${encodeURIComponent(p.name)}`, { method: "DELETE", noVersion: true }));
            ctx.status(t("plans.deleted", { plan: p.name }));
          }
        } }));
      }
    }
    ul.append(li);
  }
  fillComparePickers(ctx);
}

export async function save(ctx) {
  const S = ctx.store.get();
  const name = $("save-name").value.trim() || S.draft.name;
  const r = await ctx.api.request("draft/save", { method: "POST", json: { name } });
  ctx.applyDraft(r);
  await loadPlans(ctx, r.plans);
  ctx.status(t("plans.saved", { plan: name }));
}
