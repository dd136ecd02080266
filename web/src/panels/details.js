// The draft's title and notes (what a saved plan is called in lists and reports, and why it was
// made). Saved with the plan; a scenario's copy starts with no title of its own.
import { $ } from "../dom.js";
import { t } from "../i18n.js";

/** Show the draft's title and notes, unless the user is typing in them. */
export function renderDetails(ctx) {
  const S = ctx.store.get();
  const d = S.draft;
  if (!d) return;
  const title = $("plan-title");
  const notes = $("plan-notes");
  if (!title || !notes) return;
  for (const [input, value] of [[title, d.title || ""], [notes, d.notes || ""]]) {
    if (document.activeElement !== input || input.dataset.shown !== value) {
      if (document.activeElement !== input) input.value = value;
      input.dataset.shown = value;
    }
    input.readOnly = Boolean(S.readOnly);
  }
  $("details-save").disabled = Boolean(S.readOnly);
  const purpose = $("plan-purpose");
  if (purpose) {
    purpose.value = d.purpose || "districts";
    purpose.disabled = Boolean(S.readOnly);
  }
}

export function setupDetails(ctx) {
  const form = $("details-form");
  if (!form) return;
  const purpose = $("plan-purpose");
  // the purpose decides which metrics fit (population deviation: districts only): a change is an edit
  if (purpose) {
    purpose.onchange = () => ctx.api.request("draft", { method: "PATCH", json: { purpose: purpose.value } }).then((r) => {
      ctx.applyDraft(r);
      ctx.status(t("details.purpose_saved", { purpose: t(`purpose.${purpose.value}`) }));
    }).catch(() => {});
  }
  form.onsubmit = async (e) => {
    e.preventDefault();
    const title = $("plan-title").value.trim();
    const notes = $("plan-notes").value;
    const d = ctx.store.get().draft;
    if (d && title === (d.title || "") && notes === (d.notes || "")) return;
    const r = await ctx.api.request("draft", { method: "PATCH", json: { title, notes } });
    $("plan-title").blur();
    $("plan-notes").blur();
    ctx.applyDraft(r);
    ctx.status(t("details.saved"));
  };
}
