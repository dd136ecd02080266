// Import and export: plan files, project GeoPackages and units layers with census tables.
import { withShare } from "../api.js";
import { $ } from "../dom.js";
import { t } from "../i18n.js";

export function updateExportLink(ctx) {
  const S = ctx.store.get();
  const f = $("export-format").value;
  $("export-link").href = withShare(`api/export/plan?format=${f}`, ctx.share);
  $("export-project").href = withShare("api/export/project", ctx.share);
  $("export-link").setAttribute("download", `${S.draft ? S.draft.name || "plan" : "plan"}.${f}`);
}

async function importPlan(ctx, file) {
  if (!(await ctx.confirmDiscard())) { $("import-file").value = ""; return; }
  const buf = await file.arrayBuffer();
  const r = await ctx.api.request(`import/plan?filename=${encodeURIComponent(file.name)}`, { method: "POST", body: buf, noVersion: true });
  ctx.applyDraft(r, { full: true });
  await ctx.loadPlans(r.plans);
  ctx.status(t("files.imported", { plans: r.added.join(", ") }));
}

export function setupFiles(ctx) {
  $("export-format").onchange = () => updateExportLink(ctx);
  // a refused import is on the status line already (the api's onError): nothing else to do with it
  $("import-file").onchange = (e) => { if (e.target.files[0]) importPlan(ctx, e.target.files[0]).catch(() => {}); };
  $("add-census-table").onclick = () => {
    const n = document.querySelectorAll("#census-tables .census-table").length + 1;
    const row = document.createElement("div");
    row.className = "census-table";
    const fileLabel = document.createElement("label");
    fileLabel.htmlFor = `table-file-${n}`;
    fileLabel.textContent = t("files.table_n", { k: n });
    const file = document.createElement("input");
    Object.assign(file, { id: `table-file-${n}`, className: "table-file", type: "file", accept: ".csv,.txt,.tsv,.xlsx,.xlsm" });
    const nameLabel = document.createElement("label");
    nameLabel.htmlFor = `table-census-${n}`;
    nameLabel.textContent = t("files.table_census_n", { k: n });
    const name = document.createElement("input");
    Object.assign(name, { id: `table-census-${n}`, className: "table-census", type: "text" });
    row.append(fileLabel, file, nameLabel, name);
    $("add-census-table").before(row);
    file.focus();
  };
  $("layer-form").onsubmit = async (e) => {
    e.preventDefault();
    const file = $("layer-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("layer", file, file.name);
    form.append("id_col", $("layer-id").value.trim());
    for (const [k, id] of [["communities", "layer-communities"], ["censuses", "layer-censuses"], ["admin", "layer-admin"],
      ["labels", "layer-labels"], ["table_id_col", "table-id"]]) {
      if ($(id).value.trim()) form.append(k, $(id).value.trim());
    }
    const names = [];
    for (const row of document.querySelectorAll("#census-tables .census-table")) {
      const table = row.querySelector(".table-file").files[0];
      const census = row.querySelector(".table-census").value.trim();
      if (!table) continue;
      if (!census) { ctx.status(t("files.name_census", { file: table.name }), true); return; }
      form.append("tables", table, table.name);
      form.append("table_censuses", census);
      names.push(table.name);
    }
    if (!(await ctx.confirmDiscard())) return;
    ctx.status(t("files.building", { files: [file.name, ...names].join(", ") }));
    const r = await ctx.api.request("import/territory/files", { method: "POST", body: form, noVersion: true });
    ctx.status(t("files.opened", { title: r.title, n: r.n_units }));
    window.location.reload();
  };
  $("import-project").onchange = async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    if (!(await ctx.confirmDiscard())) { e.target.value = ""; return; }
    ctx.status(t("files.opening", { file: file.name }));
    const r = await ctx.api.request(`import/project?filename=${encodeURIComponent(file.name)}`, { method: "POST", body: await file.arrayBuffer(), noVersion: true });
    ctx.status(t("files.opened", { title: r.title, n: r.n_units }));
    window.location.reload();
  };
}
