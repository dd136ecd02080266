// dayafter workbench front end: map (MapLibre, no tiles), painting, live metrics, scenarios,
// comparison, jobs and files. All state that matters (plans, undo, metrics) lives on the server;
// this file draws it and sends the user's edits.
import maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import "./style.css";

// Okabe-Ito: a palette distinguishable with the common colour-vision deficiencies.
// Beyond its seven colours, Paul Tol's muted and light schemes (also designed for colour-blind
// readers) give regions 8-20 their own colour before the list repeats.
const REGION_COLORS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
  "#999933", "#882255", "#44AA99", "#117733", "#332288", "#DDCC77", "#AA4499", "#88CCEE", "#CC6677",
  "#BBCC33", "#EE8866", "#99DDFF", "#FFAABB"];
const UNASSIGNED = "#ffffff";
// viridis stops (perceptually uniform, colour-blind safe) for shares and metrics
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
  "#6ece58", "#b5de2b", "#fde725"];

const S = {
  meta: null, units: null, draft: null, evaluation: null, assignment: [], active: 0, mode: "click",
  census: null, colorBy: "region", plans: [], brush: null, hover: null, centroids: [], ready: false,
  filter: [],
};
window.dayafter = S; // for the end-to-end tests and the console

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid);
  return e;
};
const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? "–"
  : Number(x).toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }));
const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`);

function status(text, isError = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

// Edits go to the server one at a time, in order, so a fast sequence of strokes, undos and redos
// is applied (and its replies drawn) in the order the user made it.
let editQueue = Promise.resolve();
function api(path, opts = {}) {
  if (!opts.method || opts.method === "GET") return request(path, opts);
  const p = editQueue.then(() => request(path, opts));
  editQueue = p.catch(() => {});
  return p;
}

async function request(path, opts) {
  const init = { method: opts.method || "GET", headers: {} };
  if (opts.json !== undefined) {
    init.body = JSON.stringify(opts.json);
    init.headers["Content-Type"] = "application/json";
  } else if (opts.body !== undefined) {
    init.body = opts.body;
    // a FormData body sets its own multipart Content-Type (with the boundary)
    if (!(opts.body instanceof FormData)) init.headers["Content-Type"] = "application/octet-stream";
  }
  const r = await fetch(`api/${path}`, init);
  const data = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) {
    const msg = data && data.message ? `${data.source ? `${data.source}: ` : ""}${data.message}${data.hint ? ` Fix: ${data.hint}` : ""}` : `HTTP ${r.status}`;
    status(msg, true);
    throw new Error(msg);
  }
  return data;
}

// ------------------------------------------------------------------------------ colours
function regionColor(j) {
  return j < 0 ? UNASSIGNED : REGION_COLORS[j % REGION_COLORS.length];
}
function ramp(t) {
  if (t === null || t === undefined || Number.isNaN(t)) return "#dddddd";
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  return VIRIDIS[Math.round(x)];
}

function unitColors(assignment) {
  const n = assignment.length;
  const out = new Array(n);
  const cb = S.colorBy;
  if (cb === "region") {
    for (let i = 0; i < n; i++) out[i] = regionColor(assignment[i]);
  } else if (cb.startsWith("share:")) {
    const g = S.meta.communities.findIndex((c) => c.key === cb.slice(6));
    const share = shares(g);
    const hi = Math.max(...share.filter((v) => v !== null), 1e-9);
    for (let i = 0; i < n; i++) out[i] = share[i] === null ? "#dddddd" : ramp(share[i] / hi);
  } else if (cb.startsWith("metric:")) {
    const key = cb.slice(7);
    const vals = regionMetric(key);
    const finite = vals.filter((v) => v !== null && Number.isFinite(v));
    const lo = Math.min(...finite, 0);
    const hi = Math.max(...finite, lo + 1e-9);
    for (let i = 0; i < n; i++) {
      const j = assignment[i];
      out[i] = j < 0 ? UNASSIGNED : ramp((vals[j] - lo) / (hi - lo));
    }
  }
  return out;
}

function shares(g) {
  return S.units.censuses[S.census].map((row) => {
    const tot = row.reduce((a, b) => a + b, 0);
    return tot > 0 ? row[g] / tot : null;
  });
}

function regionMetric(key) {
  const ev = S.evaluation;
  if (!ev) return [];
  const cen = ev.censuses[S.census].regions;
  if (key === "polsby_popper" || key === "pieces") return ev.regions.map((r) => r[key]);
  if (key === "abs_deviation") return cen.map((r) => (r.deviation === null ? null : Math.abs(r.deviation)));
  return cen.map((r) => r[key]);
}

function updateLegend(lo, hi, what) {
  const box = $("legend");
  if (S.colorBy === "region") {
    box.textContent = "Colours: regions (see the region list); white: unassigned.";
    return;
  }
  const bar = el("span", { class: "bar", style: `background: linear-gradient(to right, ${VIRIDIS.join(", ")})` });
  box.replaceChildren(`${what}: `, fmt(lo, 3), bar, fmt(hi, 3));
}

function paintMap(map, assignment) {
  if (map === S.map) {
    if (S.colorBy.startsWith("share:")) {
      const g = S.meta.communities.findIndex((c) => c.key === S.colorBy.slice(6));
      const hi = Math.max(...shares(g).filter((v) => v !== null), 0);
      updateLegend(0, hi, `Share of ${labelOf(S.colorBy.slice(6))} in each unit (${S.census})`);
    }
    else if (S.colorBy.startsWith("metric:")) {
      const vals = regionMetric(S.colorBy.slice(7)).filter((v) => v !== null && Number.isFinite(v));
      updateLegend(Math.min(...vals, 0), Math.max(...vals, 0), `Region ${S.colorBy.slice(7).replaceAll("_", " ")}`);
    } else updateLegend();
  }
  if (!map || !map.getSource("units")) return;
  const colors = unitColors(assignment);
  for (let i = 0; i < colors.length; i++) map.setFeatureState({ source: "units", id: i }, { color: colors[i] });
  paintBorders(map, assignment);
}

// ------------------------------------------------------------------------------ map
const BLANK_STYLE = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#eef0f2" } }],
};

function makeMap(container, interactive = true) {
  const map = new maplibregl.Map({
    container, style: BLANK_STYLE, bounds: S.meta.bounds, fitBoundsOptions: { padding: 20 },
    attributionControl: false, interactive, fadeDuration: 0,
  });
  map.on("load", () => {
    map.addSource("units", { type: "geojson", data: S.geojson });
    map.addLayer({
      id: "units-fill", type: "fill", source: "units",
      paint: { "fill-color": ["coalesce", ["feature-state", "color"], "#dddddd"], "fill-opacity": 0.85 },
    });
    map.addLayer({
      id: "units-line", type: "line", source: "units",
      paint: {
        "line-color": ["case", ["boolean", ["feature-state", "hover"], false], "#000000", "#555555"],
        "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 3, 0.5],
      },
    });
    if (S.borders) {
      map.addSource("borders", { type: "geojson", data: S.borders });
      map.addLayer({
        id: "region-borders", type: "line", source: "borders",
        paint: { "line-color": "#000000", "line-width": ["case", ["boolean", ["feature-state", "cut"], false], 2.2, 0] },
      });
    }
  });
  return map;
}

// Region boundaries: the shared borders whose two units lie in different regions.
function paintBorders(map, assignment, units = null) {
  if (!map || !S.borders || !map.getSource("borders")) return;
  const edges = units === null ? S.borders.features.map((f) => f.id) : [...new Set(units.flatMap((i) => S.unitEdges[i] || []))];
  for (const e of edges) {
    const [u, v] = S.edgeEnds.get(e);
    map.setFeatureState({ source: "borders", id: e }, { cut: assignment[u] !== assignment[v] });
  }
}

function setupMainMap() {
  const map = makeMap("map");
  S.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.on("load", () => {
    paintMap(map, S.assignment);
    map.once("idle", () => {
      S.ready = true;
      document.body.dataset.ready = "1";
    });
  });
  map.on("mousemove", "units-fill", (e) => {
    const f = e.features[0];
    if (!f) return;
    setHover(f.id);
    showHover(f.id, e.point);
    if (S.brush) S.brush.add(f.id), brushPreview(f.id);
  });
  map.on("mouseleave", "units-fill", () => {
    setHover(null);
    $("hover").style.display = "none";
  });
  map.on("mousedown", "units-fill", (e) => {
    if (S.mode !== "brush" || e.originalEvent.button !== 0) return;
    e.preventDefault();
    map.dragPan.disable();
    S.brush = new Set([e.features[0].id]);
    brushPreview(e.features[0].id);
  });
  map.on("mouseup", () => {
    if (!S.brush) return;
    const units = [...S.brush];
    S.brush = null;
    map.dragPan.enable();
    paint({ units });
  });
  map.on("click", "units-fill", (e) => {
    const i = e.features[0].id;
    if (S.mode === "click") paint({ units: [i] });
    else if (S.mode === "district" || S.mode === "governorate") {
      paint({ admin_level: S.mode, admin_code: S.units.admin[S.mode][i] });
    }
    showDetail(i);
  });
}

function brushPreview(i) {
  S.map.setFeatureState({ source: "units", id: i }, { color: regionColor(S.active) });
}

function setHover(i) {
  if (S.hover !== null && S.hover !== undefined) S.map.setFeatureState({ source: "units", id: S.hover }, { hover: false });
  S.hover = i;
  if (i !== null) S.map.setFeatureState({ source: "units", id: i }, { hover: true });
}

function unitName(i) {
  const L = S.units.labels;
  return (L.name_en && L.name_en[i]) || S.units.ids[i];
}

function showHover(i, point) {
  const h = $("hover");
  const row = S.units.censuses[S.census][i];
  const tot = row.reduce((a, b) => a + b, 0);
  const j = S.assignment[i];
  const L = S.units.labels;
  const lines = [
    `<strong>${escapeHtml(unitName(i))}</strong> <span class="muted">${escapeHtml(S.units.ids[i])}</span>`,
    L.name_ar ? `<span lang="ar" dir="rtl">${escapeHtml(L.name_ar[i])}</span>` : "",
    kurdish(i) ? `<span lang="ku">${escapeHtml(kurdish(i))}</span>` : "",
    `Region: ${j >= 0 ? escapeHtml(S.draft.regions[j].name) : "unassigned"}`,
    `Population (${escapeHtml(S.census)}): ${fmt(tot)}`,
    ...S.meta.communities.map((c, g) => (row[g] > 0 ? `${escapeHtml(c.label)}: ${fmt(row[g])} (${pct(row[g] / tot)})` : "")),
  ].filter(Boolean);
  h.innerHTML = lines.join("<br>");
  h.style.display = "block";
  h.style.left = `${point.x + 16}px`;
  h.style.top = `${point.y + 16}px`;
}

function kurdish(i) {
  const L = S.units.labels;
  const key = ["name_ku", "name_ckb", "name_kmr"].find((k) => L[k]);
  return key ? L[key][i] : "";
}

function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function showDetail(i) {
  const d = await api(`units/${i}`);
  const box = $("detail-body");
  box.replaceChildren();
  $("unit-detail").hidden = false;
  $("detail-h").textContent = `Unit ${d.unit_id}: ${d.labels.name_en || ""}`;
  const dl = el("dl");
  for (const [k, v] of Object.entries(d.labels)) {
    const isAr = k.endsWith("_ar");
    dl.append(el("dt", { text: k }), el("dd", isAr ? { lang: "ar", dir: "rtl", text: v } : { text: v }));
  }
  for (const [k, v] of Object.entries(d.admin)) dl.append(el("dt", { text: k }), el("dd", { text: v }));
  dl.append(el("dt", { text: "region" }), el("dd", { text: d.region ?? "unassigned" }));
  box.append(dl);
  const t = el("table", {}, el("caption", { text: "Population by community" }));
  const head = el("tr", {}, el("th", { scope: "col", text: "Community" }));
  for (const c of Object.keys(d.censuses)) head.append(el("th", { scope: "col", text: c }));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  for (const c of S.meta.communities) {
    const tr = el("tr", {}, el("th", { scope: "row", text: c.label }));
    for (const cen of Object.keys(d.censuses)) tr.append(el("td", { text: fmt(d.censuses[cen][c.key]) }));
    body.append(tr);
  }
  t.append(body);
  box.append(t);
  if (d.sources.length) {
    const cols = Object.keys(d.sources[0]).filter((k) => k !== "unit_id");
    const st = el("table", { class: "sources-table" }, el("caption", { text: "Sources of these figures (ids refer to the data sources below)" }),
      el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { scope: "col", text: c.replaceAll("_", " ") })))));
    const sb = el("tbody");
    for (const s of d.sources) sb.append(el("tr", {}, ...cols.map((c) => el("td", { text: s[c] }))));
    st.append(sb);
    box.append(el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Sources of the figures" }, st));
  } else {
    box.append(el("p", { class: "muted small", text: "Sources: see “Data sources” (no per-unit notes)." }));
  }
}

// ------------------------------------------------------------------------------ edits
async function paint(target) {
  const body = { region: S.active, ...target };
  const r = await api("draft/paint", { method: "POST", json: body });
  for (const i of r.changed) S.assignment[i] = r.region;
  // repaint what the stroke touched too: a brush preview over a locked region must be undone
  r.changed = [...new Set([...r.changed, ...(target.units || [])])];
  applyDraft(r);
  const skipped = r.skipped_locked ? `, ${r.skipped_locked} left in locked regions` : "";
  status(`${r.changed.length} unit(s) moved${skipped}.`);
  return r;
}

function applyDraft(r) {
  if (r.draft.assignment) S.assignment = r.draft.assignment;
  S.draft = r.draft;
  if (r.evaluation) S.evaluation = r.evaluation;
  if (S.active >= S.draft.regions.length) S.active = 0;
  $("draft-name").textContent = S.draft.name || "(unnamed)";
  $("dirty").textContent = S.draft.dirty ? "(unsaved changes)" : "";
  $("undo").disabled = S.draft.undo === 0;
  $("redo").disabled = S.draft.redo === 0;
  $("undo").textContent = `Undo (${S.draft.undo})`;
  $("redo").textContent = `Redo (${S.draft.redo})`;
  if (r.server_ms !== undefined) $("server-ms").textContent = `server ${r.server_ms.toFixed(1)} ms`;
  if (r.changed && S.colorBy === "region" && S.map && S.map.getSource("units")) {
    for (const i of r.changed) S.map.setFeatureState({ source: "units", id: i }, { color: regionColor(S.assignment[i]) });
    paintBorders(S.map, S.assignment, r.changed);
  } else paintMap(S.map, S.assignment);
  renderRegions();
  renderMetrics();
  renderUnitTable();
  fillColorBy();
  refreshEngines();
}

// ------------------------------------------------------------------------------ settlement
async function setupSettle() {
  const info = await api("settle");
  if (!info.available) { $("settle-box").hidden = true; return; }
  const method = el("select", { id: "settle-method" }, ...info.methods.map((m) => el("option", { value: m, text: m })));
  const budget = el("input", { id: "settle-budget", type: "number", min: "0", value: "0" });
  const run = (apply) => async () => {
    const r = await api("draft/settle", { method: "POST", json: { method: method.value, budget: Number(budget.value), census: S.census, apply } });
    renderSettlement(r, info);
    if (apply) { applyDraft(r); status(`Settlement applied (${r.units_changing_region} units change region); undo reverts it.`); }
  };
  $("settle-form").replaceChildren(el("span", { class: "small", text: `${info.units} disputed units among ${info.parties.join(", ")}.` }),
    el("label", { for: "settle-method", text: "Method" }), method,
    el("label", { for: "settle-budget", text: "Outside fund" }), budget,
    el("button", { type: "button", text: "Show the allocation", onclick: run(false) }),
    el("button", { type: "button", text: "Apply to the draft", onclick: run(true) }));
}

function renderSettlement(r, info) {
  const s = r.settlement;
  const t = el("table", {}, el("caption", { text: `${s.method}: ${s.envy_free ? "envy-free" : "not envy-free"}, ${s.proportional ? "proportional" : "not proportional"}; values in ${info.value_unit}` }),
    el("thead", {}, el("tr", {}, ...["Party", "Units held", "Value held", "Transfer", "Utility"].map((h) => el("th", { scope: "col", text: h })))));
  const tb = el("tbody");
  for (const p of s.parties) {
    tb.append(el("tr", {}, el("th", { scope: "row", text: p }), el("td", { class: "num", text: String(r.holders[p]) }),
      el("td", { class: "num", text: fmt(s.values_held[p]) }), el("td", { class: "num", text: fmt(s.transfers[p]) }),
      el("td", { class: "num", text: fmt(s.utilities[p]) })));
  }
  t.append(tb);
  $("settle").replaceChildren(t, el("p", { class: "small", text: `${r.units_changing_region} units would change region${r.applied ? " (applied)" : ""}. ${s.notes.join(" ")}` }));
}

// ------------------------------------------------------------------------------ engines
let enginesTimer = null;
function refreshEngines() {
  clearTimeout(enginesTimer);
  enginesTimer = setTimeout(async () => {
    if ($("councils-box").open) renderCouncils(await api(`draft/councils?census=${encodeURIComponent(S.census)}`).catch(() => null));
    if ($("security-box").open) renderSecurity(await api(`draft/security?census=${encodeURIComponent(S.census)}`).catch((e) => ({ error: e.message })));
  }, 150);
}

function renderCouncils(r) {
  const box = $("councils");
  if (!r) return;
  const t = el("table", {}, el("caption", { text: `Councils on ${r.census} (${r.rules})` }),
    el("thead", {}, el("tr", {}, ...["Region", "Seats", "Reserved", "Seats by community", "Gallagher"].map((h) => el("th", { scope: "col", text: h })))));
  const tb = el("tbody");
  for (const g of r.regions) {
    const seats = Object.entries(g.seats).map(([c, n]) => `${labelOf(c)} ${n}`).join(", ");
    tb.append(el("tr", {}, el("th", { scope: "row", text: g.name }), el("td", { class: "num", text: String(g.council_size) }),
      el("td", { class: "num", text: String(g.reserved_seats) }), el("td", { text: seats + (g.ties ? ` (tie: ${g.ties})` : "") }),
      el("td", { class: "num", text: fmt(g.gallagher, 1) })));
  }
  t.append(tb);
  box.replaceChildren(t);
  if (r.note) box.append(el("p", { class: "small muted", text: r.note }));
  for (const n of r.notes) box.append(el("p", { class: "small muted", text: n }));
}

function renderSecurity(r) {
  const box = $("security");
  if (r.error) { box.replaceChildren(el("p", { class: "small", text: r.error })); return; }
  const t = el("table", {}, el("caption", { text: `Requisite forces on ${r.census}: ${fmt(r.requirement_total)} needed, ${fmt(r.shortfall_total)} short` }),
    el("thead", {}, el("tr", {}, ...["Region", "Authority", "Needed", "Covered", "Short"].map((h) => el("th", { scope: "col", text: h })))));
  const tb = el("tbody");
  for (const g of r.regions) {
    tb.append(el("tr", {}, el("th", { scope: "row", text: g.name }), el("td", { text: g.authority }), el("td", { class: "num", text: fmt(g.requirement) }),
      el("td", { class: "num", text: fmt(g.covered) }), el("td", { class: "num", text: fmt(g.shortfall) })));
  }
  t.append(tb);
  const f = el("ul", { class: "small" }, ...r.forces.map((x) => el("li", { text: `${x.name}: ${fmt(x.used)} of ${fmt(x.strength)} deployed` })));
  box.replaceChildren(t, f);
}

async function undo() { applyDraft(await api("draft/undo", { method: "POST" })); status("Undone."); }
async function redo() { applyDraft(await api("draft/redo", { method: "POST" })); status("Redone."); }

function renderRegions() {
  const box = $("regions");
  box.replaceChildren();
  const list = el("div", { role: "radiogroup", "aria-label": "Active region" });
  const erase = el("label", { class: "region-pick" },
    el("input", { type: "radio", name: "active-region", value: "-1", checked: S.active === -1, onchange: () => { S.active = -1; } }),
    el("span", { class: "swatch", style: `background:${UNASSIGNED}` }), " Erase (unassign)");
  list.append(erase);
  const sizes = new Array(S.draft.regions.length).fill(0);
  for (const j of S.assignment) if (j >= 0) sizes[j]++;
  S.draft.regions.forEach((r, j) => {
    const locked = S.draft.locked.includes(j);
    const row = el("div", { class: "region" });
    row.append(el("label", { class: "region-pick" },
      el("input", { type: "radio", name: "active-region", value: String(j), checked: S.active === j, onchange: () => { S.active = j; } }),
      el("span", { class: "swatch", style: `background:${regionColor(j)}` }), ` ${r.name} (${sizes[j]} units)`));
    const edit = el("div", { class: "region-edit" });
    for (const field of ["name", "authority", "status"]) {
      const id = `region-${j}-${field}`;
      edit.append(el("label", { for: id, class: "small", text: field }),
        el("input", { id, type: "text", size: 12, value: r[field], onchange: async (e) => {
          applyDraft(await api(`draft/regions/${j}`, { method: "PATCH", json: { [field]: e.target.value } }));
        } }));
    }
    const lockId = `region-${j}-lock`;
    edit.append(el("label", { for: lockId, class: "small" },
      el("input", { id: lockId, type: "checkbox", checked: locked, onchange: async (e) => {
        const res = await api(`draft/regions/${j}/lock`, { method: "PUT", json: { locked: e.target.checked } });
        S.draft.locked = res.draft.locked;
        status(e.target.checked ? `${r.name} locked.` : `${r.name} unlocked.`);
      } }), " locked"));
    row.append(edit);
    list.append(row);
  });
  box.append(list);
}

// ------------------------------------------------------------------------------ metrics
function renderMetrics() {
  const ev = S.evaluation;
  if (!ev) return;
  const cens = Object.keys(ev.censuses);
  // criteria
  const crit = $("criteria");
  crit.replaceChildren(el("h3", { text: "Criteria" }));
  if (!ev.criteria.length) crit.append(el("p", { class: "muted small", text: "No criteria defined." }));
  const ul = el("ul", { class: "criteria" });
  for (const c of ev.criteria) {
    const fails = c.failing.map((f) => `${f.item}=${typeof f.value === "number" ? f.value.toFixed(3) : f.value}`).join(", ");
    ul.append(el("li", { class: c.passed ? "pass" : "fail" },
      el("strong", { text: c.passed ? "PASS " : "FAIL " }), `${c.name} [${c.census}] ${c.metric} ${c.bounds}${fails ? `: ${fails}` : ""}`));
  }
  crit.append(ul);
  // contiguity
  const cont = $("contiguity");
  cont.replaceChildren(el("h3", { text: "Contiguity" }));
  if (!ev.contiguity.length) cont.append(el("p", { class: "small", text: "Every region is in one piece." }));
  for (const p of ev.contiguity) {
    const item = el("p", { class: "small fail" }, `${p.region}: ${p.pieces} pieces. `);
    p.detached.forEach((units, k) => item.append(el("button", { type: "button", class: "link", onclick: () => zoomTo(units), text: `Zoom to detached piece ${k + 1} (${units.length} units)` }), " "));
    cont.append(item);
  }
  // regions table: both censuses side by side
  const box = $("metrics");
  box.replaceChildren();
  const t = el("table", { class: "metrics" }, el("caption", { text: "Regions (population and deviation on each census)" }));
  const head = el("tr", {}, el("th", { scope: "col", text: "Region" }), el("th", { scope: "col", text: "Authority" }));
  for (const c of cens) head.append(el("th", { scope: "col", text: `Pop. ${c}` }), el("th", { scope: "col", text: `Dev. ${c}` }), el("th", { scope: "col", text: `Largest ${c}` }));
  head.append(el("th", { scope: "col", text: "Polsby-Popper" }), el("th", { scope: "col", text: "Pieces" }));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  ev.regions.forEach((r, j) => {
    const tr = el("tr", {}, el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${regionColor(j)}` }), ` ${r.name}`), el("td", { text: r.authority }));
    for (const c of cens) {
      const cr = ev.censuses[c].regions[j];
      const lab = cr.largest ? `${labelOf(cr.largest)} ${pct(cr.largest_share)}` : "–";
      tr.append(el("td", { class: "num", text: fmt(cr.population) }), el("td", { class: "num", text: pct(cr.deviation) }), el("td", { text: lab }));
    }
    tr.append(el("td", { class: "num", text: fmt(r.polsby_popper, 3) }), el("td", { class: "num", text: String(r.pieces) }));
    body.append(tr);
  });
  t.append(body);
  box.append(t);
  // communities: empowerment and stranded per census
  const t2 = el("table", { class: "metrics" }, el("caption", { text: "Communities: empowered (largest / majority) and stranded (< threshold)" }));
  const h2 = el("tr", {}, el("th", { scope: "col", text: "Community" }));
  for (const c of cens) h2.append(el("th", { scope: "col", text: `Pop. ${c}` }), el("th", { scope: "col", text: `Largest ${c}` }), el("th", { scope: "col", text: `Majority ${c}` }), el("th", { scope: "col", text: `Stranded ${c}` }));
  t2.append(el("thead", {}, h2));
  const b2 = el("tbody");
  for (const com of S.meta.communities) {
    const tr = el("tr", {}, el("th", { scope: "row", text: com.label }));
    for (const c of cens) {
      const m = ev.censuses[c].communities[com.key];
      tr.append(el("td", { class: "num", text: fmt(m.population) }), el("td", { class: "num", text: pct(m.empowerment_plurality) }),
        el("td", { class: "num", text: pct(m.empowerment_majority) }), el("td", { class: "num", text: `${pct(m.stranded)} (${fmt(m.stranded_people)})` }));
    }
    b2.append(tr);
  }
  t2.append(b2);
  box.append(t2);
  // composition of every region on the census chosen in the toolbar
  const comms = S.meta.communities;
  const t3 = el("table", { class: "metrics", id: "composition" }, el("caption", { text: `Composition of each region (${S.census}), share of its population` }));
  t3.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Region" }), ...comms.map((c) => el("th", { scope: "col", text: c.label })))));
  const b3 = el("tbody");
  ev.censuses[S.census].regions.forEach((r) => {
    const tot = r.population;
    b3.append(el("tr", {}, el("th", { scope: "row", text: r.name }),
      ...comms.map((c) => el("td", { class: "num", text: tot > 0 ? pct(r.composition[c.key] / tot) : "–" }))));
  });
  t3.append(b3);
  box.append(el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Composition table" }, t3));
  const g = ev.geometry;
  const facts = [`Cut edges: ${g.cut_edges}`, `Unassigned units: ${g.unassigned_units}`,
    ...Object.entries(g.splits).map(([lvl, v]) => `${lvl}s split: ${v}`)];
  if (ev.change) facts.push(`Units changing authority vs ${ev.change.reference}: ${ev.change.units_moved}`);
  box.append(el("p", { class: "small", id: "facts", text: facts.join(" · ") }));
}

function labelOf(key) {
  const c = S.meta.communities.find((x) => x.key === key);
  return c ? c.label : key;
}

function zoomTo(units) {
  let b = null;
  for (const i of units) {
    const [x0, y0, x1, y1] = S.bboxes[i];
    b = b ? [Math.min(b[0], x0), Math.min(b[1], y0), Math.max(b[2], x1), Math.max(b[3], y1)] : [x0, y0, x1, y1];
  }
  if (b) S.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 11, duration: 0 });
  status(`Zoomed to ${units.length} unit(s): ${units.slice(0, 5).map((i) => S.units.ids[i]).join(", ")}`);
}

function fillColorBy() {
  const sel = $("color-by");
  const want = [["region", "Region"]];
  for (const c of S.meta.communities) want.push([`share:${c.key}`, `Share of ${c.label}`]);
  for (const [k, lab] of [["abs_deviation", "|deviation|"], ["largest_share", "largest community's share"],
    ["fractionalization", "fractionalization"], ["polarization", "polarization"], ["polsby_popper", "Polsby-Popper"]]) {
    want.push([`metric:${k}`, `Region ${lab}`]);
  }
  if (sel.options.length === want.length) return;
  sel.replaceChildren(...want.map(([v, t]) => el("option", { value: v, text: t })));
  sel.value = S.colorBy;
}

// ------------------------------------------------------------------------------ unit table
function renderUnitTable() {
  const q = $("unit-search").value.trim().toLowerCase();
  const U = S.units;
  const L = U.labels;
  const dist = U.admin.district || U.admin[Object.keys(U.admin)[0]] || [];
  const distName = L.district_en || dist;
  const matches = [];
  for (let i = 0; i < U.ids.length; i++) {
    if (!q || U.ids[i].toLowerCase().includes(q) || (L.name_en && L.name_en[i].toLowerCase().includes(q))
      || (L.name_ar && L.name_ar[i].includes(q)) || (kurdish(i) && kurdish(i).toLowerCase().includes(q))
      || (distName[i] && String(distName[i]).toLowerCase().includes(q))) matches.push(i);
  }
  S.filter = matches;
  const shown = matches.slice(0, 60);
  $("unit-count").textContent = `${matches.length} unit(s) match${matches.length > shown.length ? `, first ${shown.length} shown` : ""}.`;
  const tbody = $("unit-table").querySelector("tbody");
  tbody.replaceChildren();
  const table = U.censuses[S.census];
  for (const i of shown) {
    const selId = `unit-region-${i}`;
    const sel = el("select", { id: selId, "aria-label": `Region of ${unitName(i)}` },
      el("option", { value: "-1", text: "unassigned" }), ...S.draft.regions.map((r, j) => el("option", { value: String(j), text: r.name })));
    sel.value = String(S.assignment[i]);
    const tr = el("tr", { "data-unit": String(i) },
      el("td", { text: U.ids[i] }), el("td", { text: L.name_en ? L.name_en[i] : "" }),
      el("td", { lang: "ar", dir: "rtl", text: L.name_ar ? L.name_ar[i] : "" }),
      el("td", { lang: "ku", text: kurdish(i) || "" }),
      el("td", { text: distName[i] ?? "" }),
      el("td", { class: "num", text: fmt(table[i].reduce((a, b) => a + b, 0)) }),
      el("td", {}, sel),
      el("td", {},
        el("button", { type: "button", text: "Assign", "aria-label": `Assign ${unitName(i)} to the selected region`, onclick: () => {
          const prev = S.active;
          S.active = Number(sel.value);
          paint({ units: [i] }).finally(() => { S.active = prev; });
        } }), " ",
        el("button", { type: "button", text: "Details", "aria-label": `Details of ${unitName(i)}`, onclick: () => showDetail(i) }), " ",
        el("button", { type: "button", text: "Show", "aria-label": `Show ${unitName(i)} on the map`, onclick: () => zoomTo([i]) })));
    tbody.append(tr);
  }
}

// ------------------------------------------------------------------------------ plans
async function loadPlans(list) {
  S.plans = list || await api("plans");
  const ul = $("plans");
  ul.replaceChildren();
  for (const p of S.plans) {
    const li = el("li", {}, el("span", { text: `${p.title || p.name}` }),
      el("span", { class: "muted small", text: ` ${p.kind}${p.reference ? ", reference" : ""}, ${p.regions} regions ` }));
    li.append(el("button", { type: "button", text: "Open", "aria-label": `Open ${p.name}`, onclick: async () => {
      applyDraft(await api(`plans/${encodeURIComponent(p.name)}/open`, { method: "POST" }));
      status(`Opened ${p.name}.`);
    } }), " ");
    li.append(el("button", { type: "button", text: "Duplicate", "aria-label": `Duplicate ${p.name}`, onclick: async () => {
      const name = window.prompt(`Name of the copy of ${p.name}`, `${p.name} copy`);
      if (name) { await loadPlans(await api(`plans/${encodeURIComponent(p.name)}/duplicate`, { method: "POST", json: { new_name: name } })); status(`Copied to ${name}.`); }
    } }));
    if (p.kind === "saved") {
      li.append(" ", el("button", { type: "button", text: "Rename", "aria-label": `Rename ${p.name}`, onclick: async () => {
        const name = window.prompt(`New name for ${p.name}`, p.name);
        if (name && name !== p.name) { await loadPlans(await api(`plans/${encodeURIComponent(p.name)}/rename`, { method: "POST", json: { new_name: name } })); status(`Renamed to ${name}.`); }
      } }), " ", el("button", { type: "button", text: "Delete", "aria-label": `Delete ${p.name}`, onclick: async () => {
        if (window.confirm(`Delete the saved plan ${p.name}?`)) { await loadPlans(await api(`plans/${encodeURIComponent(p.name)}`, { method: "DELETE" })); status(`Deleted ${p.name}.`); }
      } }));
    }
    ul.append(li);
  }
  for (const id of ["cmp-a", "cmp-b"]) {
    const sel = $(id);
    const old = sel.value;
    sel.replaceChildren(el("option", { value: "(draft)", text: "(the draft)" }), ...S.plans.map((p) => el("option", { value: p.name, text: p.name })));
    if ([...sel.options].some((o) => o.value === old)) sel.value = old;
    else if (id === "cmp-a" && S.plans.length) sel.value = S.plans[0].name;
  }
}

async function save() {
  const name = $("save-name").value.trim() || S.draft.name;
  const r = await api("draft/save", { method: "POST", json: { name } });
  S.draft = { ...S.draft, ...r.draft };
  applyDraft({ draft: S.draft });
  await loadPlans(r.plans);
  status(`Saved as ${name}.`);
}

async function compare() {
  const a = $("cmp-a").value;
  const b = $("cmp-b").value;
  const r = await api(`compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  $("compare").hidden = false;
  $("cmp-a-name").textContent = `A: ${r.plans[0].name}`;
  $("cmp-b-name").textContent = `B: ${r.plans[1].name}`;
  $("cmp-h-a").textContent = `A: ${r.plans[0].name}`;
  $("cmp-h-b").textContent = `B: ${r.plans[1].name}`;
  const tbody = $("cmp-table").querySelector("tbody");
  tbody.replaceChildren();
  for (const row of r.table) {
    const show = (v) => (typeof v === "number" ? (Math.abs(v) < 1 && v !== 0 ? v.toFixed(3) : fmt(v, Number.isInteger(v) ? 0 : 2)) : (v ?? "–"));
    const d = row.delta;
    tbody.append(el("tr", {}, el("td", { text: row.section }), el("th", { scope: "row", text: row.metric }),
      el("td", { class: "num", text: show(row.a) }), el("td", { class: "num", text: show(row.b) }),
      el("td", { class: `num ${d > 0 ? "up" : d < 0 ? "down" : ""}`, text: d === undefined ? "" : show(d) })));
  }
  const saved = S.colorBy;
  S.colorBy = "region";
  for (const [k, id] of [[0, "map-a"], [1, "map-b"]]) {
    const key = `cmp${k}`;
    if (S[key]) S[key].remove();
    const m = makeMap(id, true);
    S[key] = m;
    // regions of B that share a name with a region of A take A's colour
    let asg = r.plans[k].assignment;
    if (k === 1) {
      const namesA = r.plans[0].regions.map((x) => x.name);
      let next = namesA.length;
      const remap = r.plans[1].regions.map((x) => (namesA.includes(x.name) ? namesA.indexOf(x.name) : next++));
      asg = asg.map((j) => (j < 0 ? j : remap[j]));
    }
    m.on("load", () => paintMap(m, asg));
  }
  S.colorBy = saved;
  $("compare").scrollIntoView({ block: "nearest" });
  status(`Comparing ${r.plans[0].name} with ${r.plans[1].name}.`);
}

// ------------------------------------------------------------------------------ jobs
async function setupJobs() {
  const kinds = await api("jobs/kinds");
  const form = $("job-form");
  form.replaceChildren();
  if (!kinds.length) {
    form.append(el("p", { class: "muted small", text: "No engine for jobs is installed." }));
    return;
  }
  const kindSel = el("select", { id: "job-kind" }, ...kinds.map((k) => el("option", { value: k.kind, text: k.label })));
  const steps = el("input", { id: "job-steps", type: "number", min: "1", value: String(kinds[0].params.steps ?? 1000), size: 8 });
  const seed = el("input", { id: "job-seed", type: "number", value: String(kinds[0].params.seed ?? 1), size: 6 });
  const objectives = [["max|homogeneity|", "Maximize homogeneity"]];
  for (const c of S.meta.communities) {
    objectives.push([`max|empowerment_plurality|${c.key}`, `Maximize empowerment of ${c.label}`]);
    objectives.push([`min|stranded|${c.key}`, `Minimize stranded ${c.label}`]);
  }
  const objSel = el("select", { id: "job-objective" }, ...objectives.map(([v, t]) => el("option", { value: v, text: t })));
  const objLabel = el("label", { for: "job-objective", text: "Objective" });
  const syncKind = () => {
    const k = kinds.find((x) => x.kind === kindSel.value);
    steps.value = String(k.params.steps ?? 1000);
    objSel.hidden = objLabel.hidden = k.kind !== "optimize";
  };
  kindSel.onchange = syncKind;
  const tol = el("input", { id: "job-tolerance", type: "number", min: "0", max: "0.99", step: "0.05", value: "0.25", size: 5 });
  const balance = el("select", { id: "job-balance" },
    el("option", { value: "plan", text: "each region within the tolerance of its population now" }),
    el("option", { value: "equal", text: "every region within the tolerance of equal populations" }));
  form.append(el("label", { for: "job-kind", text: "Job" }), kindSel, el("label", { for: "job-steps", text: "Steps" }), steps,
    el("label", { for: "job-seed", text: "Seed" }), seed, el("label", { for: "job-tolerance", text: "Tolerance" }), tol,
    el("label", { for: "job-balance", text: "Population bounds" }), balance, objLabel, objSel,
    el("button", { id: "job-start", type: "button", text: "Start", onclick: async () => {
      const params = { steps: Number(steps.value), seed: Number(seed.value), tolerance: Number(tol.value), balance: balance.value };
      if (kindSel.value === "optimize") {
        const [dir, metric, com] = objSel.value.split("|");
        const term = com ? { metric, communities: [com] } : { metric };
        params[dir === "max" ? "maximize" : "minimize"] = [term];
      }
      const job = await api("jobs", { method: "POST", json: { kind: kindSel.value, params } });
      watchJob(job);
      status(`Started: ${job.label}.`);
    } }));
  syncKind();
  for (const job of (await api("jobs")).reverse()) watchJob(job);
}

function watchJob(job) {
  const li = el("li", { id: `job-${job.id}`, class: "job" });
  const prog = el("progress", { max: String(job.total || 1), value: "0", "aria-label": `Progress of ${job.label}` });
  const msg = el("span", { class: "small", text: job.state });
  const cancel = el("button", { type: "button", text: "Cancel", "aria-label": `Cancel ${job.label}`, onclick: () => api(`jobs/${job.id}/cancel`, { method: "POST" }) });
  const out = el("div", { class: "small job-results" });
  li.append(el("div", { text: job.label }), prog, " ", msg, " ", cancel, out);
  $("jobs").prepend(li);
  const es = new EventSource(`api/jobs/${job.id}/events`);
  const update = (ev) => {
    const s = JSON.parse(ev.data);
    prog.max = s.total || 1;
    prog.value = s.done;
    const pc = s.partial && s.partial.cut_edges_percentile;
    msg.textContent = `${s.state}: ${s.message}${pc !== undefined ? ` · cut-edge percentile so far ${pct(pc)}` : ""}`;
    li.dataset.state = s.state;
    if (s.state === "done" && s.results) out.replaceChildren(s.kind === "optimize" ? optimizeResults(s.results) : jobResults(s.results));
    if (s.error) out.textContent = s.error.message;
  };
  es.addEventListener("progress", update);
  es.addEventListener("end", (ev) => { update(ev); es.close(); cancel.disabled = true; });
}

function optimizeResults(r) {
  const s = r.summary;
  const vals = Object.entries(s.values).map(([k, v]) => `${k} = ${fmt(v, 4)}`).join(", ");
  const box = el("div", {}, el("p", { text: `Best objective ${fmt(s.objective, 4)} (${vals}); ${s.feasible ? "feasible" : `not feasible: ${s.failing.join("; ")}`}; ${s.stats.steps} steps in ${s.elapsed.toFixed(1)} s.` }));
  if (r.top.length > 1) box.append(el("p", { text: `Best plans found: ${r.top.map((x) => fmt(x, 4)).join(", ")}` }));
  if (r.saved_as) {
    box.append(el("button", { type: "button", text: `Open ${r.saved_as}`, onclick: async () => {
      applyDraft(await api(`plans/${encodeURIComponent(r.saved_as)}/open`, { method: "POST" }));
      await loadPlans();
      status(`Opened ${r.saved_as}.`);
    } }));
    loadPlans();
  }
  return box;
}

function jobResults(r) {
  const t = el("table", {}, el("caption", { text: `Where the plan sits in ${r.steps} ensemble steps (${r.census})` }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Metric" }), el("th", { scope: "col", text: "Plan" }),
      el("th", { scope: "col", text: "Percentile" }), el("th", { scope: "col", text: "5% · 50% · 95% of the ensemble" }))));
  const tb = el("tbody");
  for (const k of ["cut_edges", "max_abs_deviation"]) {
    const q = r.quantiles[k];
    tb.append(el("tr", {}, el("th", { scope: "row", text: k.replaceAll("_", " ") }), el("td", { class: "num", text: fmt(r.plan[k], 3) }),
      el("td", { class: "num", text: pct(r.percentile[k]) }), el("td", { text: `${fmt(q[0], 3)} · ${fmt(q[2], 3)} · ${fmt(q[4], 3)}` })));
  }
  t.append(tb);
  return el("div", {}, t, el("p", { text: `${r.moved} moves, ${r.self_loops} self-loops, ${r.seconds.toFixed(2)} s.` }));
}

// ------------------------------------------------------------------------------ files
function updateExportLink() {
  const f = $("export-format").value;
  $("export-link").href = `api/export/plan?format=${f}`;
  $("export-link").setAttribute("download", `${S.draft ? S.draft.name || "plan" : "plan"}.${f}`);
}

async function importFile(file) {
  const buf = await file.arrayBuffer();
  const r = await api(`import/plan?filename=${encodeURIComponent(file.name)}`, { method: "POST", body: buf });
  applyDraft(r);
  await loadPlans(r.plans);
  status(`Imported ${r.added.join(", ")}.`);
}

// ------------------------------------------------------------------------------ start
function bboxes(gj) {
  return gj.features.map((f) => {
    let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
    const walk = (c) => {
      if (typeof c[0] === "number") { x0 = Math.min(x0, c[0]); x1 = Math.max(x1, c[0]); y0 = Math.min(y0, c[1]); y1 = Math.max(y1, c[1]); } else c.forEach(walk);
    };
    walk(f.geometry.coordinates);
    return [x0, y0, x1, y1];
  });
}

async function main() {
  const [meta, units, draft, plans] = await Promise.all([api("meta"), api("units"), api("draft"), api("plans")]);
  S.meta = meta;
  S.units = units;
  S.census = meta.censuses[0];
  document.title = `${meta.title} · dayafter`;
  $("title").textContent = meta.title;
  $("census").replaceChildren(...meta.censuses.map((c) => el("option", { value: c, text: c })));
  $("sources").textContent = meta.sources_md || "No source notes for this territory.";
  if (!kurdish(0)) $("unit-table").querySelectorAll("th")[3].textContent = "Kurdish (no data)";
  applyDraft(draft);
  await loadPlans(plans);
  updateExportLink();
  if (meta.has_geometry) {
    [S.geojson, S.borders] = await Promise.all([api("units.geojson"), api("borders.geojson")]);
    S.bboxes = bboxes(S.geojson);
    S.unitEdges = [];
    S.edgeEnds = new Map();
    for (const f of S.borders.features) {
      const { u, v } = f.properties;
      S.edgeEnds.set(f.id, [u, v]);
      (S.unitEdges[u] ||= []).push(f.id);
      (S.unitEdges[v] ||= []).push(f.id);
    }
    setupMainMap();
  } else {
    $("map").textContent = "This territory has no geometry: use the unit table.";
    S.ready = true;
    document.body.dataset.ready = "1";
  }
  await setupJobs();
  await setupSettle();

  $("undo").onclick = undo;
  $("redo").onclick = redo;
  $("save").onclick = save;
  $("census").onchange = (e) => { S.census = e.target.value; paintMap(S.map, S.assignment); renderUnitTable(); renderMetrics(); refreshEngines(); };
  if (!meta.engines.security) $("security-box").hidden = true;
  $("color-by").onchange = (e) => { S.colorBy = e.target.value; paintMap(S.map, S.assignment); };
  for (const r of document.querySelectorAll("input[name=mode]")) r.onchange = (e) => { S.mode = e.target.value; };
  $("add-region").onsubmit = async (e) => {
    e.preventDefault();
    const name = $("new-region").value.trim();
    if (!name) return;
    applyDraft(await api("draft/regions", { method: "POST", json: { name } }));
    $("new-region").value = "";
    status(`Region ${name} added.`);
  };
  $("unit-search").oninput = renderUnitTable;
  $("assign-matches").onclick = () => paint({ units: S.filter });
  $("new-plan").onclick = async () => applyDraft(await api("draft/new", { method: "POST" }));
  $("do-compare").onclick = compare;
  $("close-compare").onclick = () => { $("compare").hidden = true; };
  $("export-format").onchange = updateExportLink;
  $("councils-box").addEventListener("toggle", refreshEngines);
  $("security-box").addEventListener("toggle", refreshEngines);
  $("import-file").onchange = (e) => { if (e.target.files[0]) importFile(e.target.files[0]); };
  $("add-census-table").onclick = () => {
    const n = document.querySelectorAll("#census-tables .census-table").length + 1;
    const row = document.createElement("div");
    row.className = "census-table";
    row.innerHTML = `<label for="table-file-${n}">Table ${n}</label><input id="table-file-${n}" class="table-file" type="file" accept=".csv,.txt,.tsv,.xlsx,.xlsm">` +
      `<label for="table-census-${n}">Census name of table ${n}</label><input id="table-census-${n}" class="table-census" type="text">`;
    $("add-census-table").before(row);
    row.querySelector("input").focus();
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
      if (!census) { status(`${table.name}: name its census (e.g. baseline).`, true); return; }
      form.append("tables", table, table.name);
      form.append("table_censuses", census);
      names.push(table.name);
    }
    status(`Building a territory from ${[file.name, ...names].join(", ")}…`);
    const r = await api("import/territory/files", { method: "POST", body: form });
    status(`Opened ${r.title} (${r.n_units} units); reloading.`);
    window.location.reload();
  };
  $("import-project").onchange = async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    status(`Opening ${file.name}…`);
    const r = await api(`import/project?filename=${encodeURIComponent(file.name)}`, { method: "POST", body: await file.arrayBuffer() });
    status(`Opened ${r.title} (${r.n_units} units); reloading.`);
    window.location.reload();
  };
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea")) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); (e.shiftKey ? redo : undo)(); }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") { e.preventDefault(); redo(); }
  });
  status(meta.warnings.length ? `Ready. Skipped saved plans: ${meta.warnings.join(" | ")}` : "Ready.", meta.warnings.length > 0);
}

main().catch((e) => status(`Could not start: ${e.message}`, true));
