// dayafter workbench front end: wires the modules together. All state that matters (plans, undo,
// metrics) lives on the server; the store (store.js) holds what this tab last saw of it, the panels
// (panels/*) draw it, api.js sends the user's edits, map.js draws the map, i18n.js the language.
import "./style.css";
import { createApi, withShare } from "./api.js";
import { $, el, status } from "./dom.js";
import { LOCALES, applyDom, communityLabel, initialLocale, onLocale, setLocale, t } from "./i18n.js";
import { bboxes, paintMap, repaintUnits, setupMainMap, updateLegend, zoomTo } from "./map.js";
import { setupArticle140 } from "./panels/article140.js";
import { setupCompare } from "./panels/compare.js";
import { refreshEngines, setupEngines, setupSettle } from "./panels/engines.js";
import { setupFiles, updateExportLink } from "./panels/files.js";
import { setupJobs, startReport } from "./panels/jobs.js";
import { setupShare } from "./panels/share.js";
import { refreshPolities, setupPolities } from "./panels/polities.js";
import { renderMetrics } from "./panels/metrics.js";
import { loadPlans, renderPlans, save } from "./panels/plans.js";
import { renderRegions, setupRegions } from "./panels/regions.js";
import { renderUnitTable, setupUnits, showDetail } from "./panels/units.js";
import { fits, metricEntry } from "./comparing.js";
import { createRanges } from "./ranges.js";
import { INITIAL, applyDraftReply, createStore } from "./store.js";
import { eventAction, listenDraftEvents } from "./sync.js";
import { addOutlines, addReferenceLayers, setOutlinesVisible, setReferenceVisible, setupPlaceSearch, updateRegionLabels } from "./maplayers.js";
import { renderDetails, setupDetails } from "./panels/details.js";

// a read-only link (?share=TOKEN): the server refuses every change made through it
const shareToken = new URLSearchParams(window.location.search).get("share") || null;
const store = createStore({ ...INITIAL, readOnly: Boolean(shareToken) });
// the state as the end-to-end tests and the console read it: window.dayafter.draft, .assignment...
window.dayafter = new Proxy({}, { get: (_, k) => store.get()[k], has: (_, k) => k in store.get() });
window.dayafterStore = store;

const api = createApi({
  version: () => (store.get().draft ? store.get().draft.version ?? null : null),
  share: () => shareToken,
  readOnly: () => store.get().readOnly,
  offlineText: t("error.offline"),
  onError: (err) => {
    if (err.kind === "offline") { setOnline(false); status(t("error.offline"), true); }
    else if (err.kind === "stale") {
      status(t("error.stale"), true);
      reloadDraft().then(() => status(t("error.stale"), true)).catch(() => {});
    } else status(err.message, true);
  },
  onOk: () => setOnline(true),
});

/** Show or hide the banner that says the server cannot be reached (it stays until a request
 * or the draft event stream gets through again). */
function setOnline(online) {
  if (store.get().online === online) return;
  store.set({ online });
  const b = $("offline");
  if (b) b.hidden = online;
  document.body.dataset.online = online ? "1" : "0";
}

/** Fetch the session's draft as the server has it now (after a stale edit, or a change made in
 * another tab) and show it. */
async function reloadDraft() {
  const reply = await api.request("draft");
  applyDraft(reply, { full: true });
  return reply;
}

// ranges over census draws: asked again after every change of the draft, drawn when they arrive
const ranges = createRanges({
  request: (path) => api.request(path),
  onRanges: (reply) => { store.set({ ranges: reply }); if (store.get().draft) renderMetrics(ctx); },
});

const ctx = {
  store, api, status, share: shareToken,
  applyDraft, paint,
  openPlan, loadPlans: (list) => loadPlans(ctx, list),
  confirmDiscard,
};

/** Take a draft reply of the server into the store and redraw what it changed. */
function applyDraft(reply, { full = false } = {}) {
  const before = store.get();
  const patch = applyDraftReply(before, reply);
  if (!patch.draft) return;
  const changedPlan = patch.assignment !== undefined || patch.control !== undefined || patch.evaluation !== undefined;
  if (changedPlan) patch.ranges = null; // the old ranges are of another plan
  store.set(patch);
  if (changedPlan) ranges.changed();
  const S = store.get();
  renderHeader();
  if (S.map) {
    if (!full && reply.changed && !patch.control) repaintUnits(S, S.map, [...new Set([...reply.changed, ...(reply.touched || [])])]);
    else paintMap(S, S.map, S.assignment);
    updateLegend(S);
    updateRegionLabels(S);
  }
  if (reply.server_ms !== undefined) $("server-ms").textContent = t("metrics.server_ms", { ms: reply.server_ms.toFixed(1) });
  renderRegions(ctx);
  renderDetails(ctx);
  renderMetrics(ctx);
  renderUnitTable(ctx);
  fillColorBy();
  refreshEngines(ctx);
  refreshPolities(ctx);
  updateExportLink(ctx);
}

function renderHeader() {
  const S = store.get();
  const d = S.draft;
  if (!d) return;
  $("draft-name").textContent = d.title || d.name || t("draft.unnamed");
  $("dirty").textContent = d.dirty ? t("draft.unsaved") : "";
  $("undo").disabled = d.undo === 0 || S.readOnly;
  $("redo").disabled = d.redo === 0 || S.readOnly;
  $("undo").textContent = t("toolbar.undo_n", { n: d.undo });
  $("redo").textContent = t("toolbar.redo_n", { n: d.redo });
}

async function paint(target, region = null) {
  const S = store.get();
  const body = { region: region === null ? S.active : region, ...target };
  let r;
  try {
    r = await api.request("draft/paint", { method: "POST", json: body });
  } catch (e) {
    // the stroke did not happen: the map shows the draft as it is (a brush preview is undone)
    if (target.units && store.get().map) repaintUnits(store.get(), store.get().map, target.units);
    throw e;
  }
  // repaint what the stroke touched too: a brush preview over a locked region must be undone
  r.touched = target.units || [];
  applyDraft(r);
  const skipped = r.skipped_locked ? t("status.skipped_locked", { n: r.skipped_locked }) : "";
  status(t("status.moved", { n: r.changed.length }) + skipped);
  return r;
}

async function confirmDiscard() {
  const d = store.get().draft;
  if (!d || !d.dirty) return true;
  return window.confirm(t("confirm.discard", { plan: d.name || t("draft.unnamed") }));
}

async function openPlan(name) {
  if (!(await confirmDiscard())) return;
  applyDraft(await api.request(`plans/${encodeURIComponent(name)}/open`, { method: "POST" }), { full: true });
  status(t("status.opened", { plan: name }));
}

async function undo() { applyDraft(await api.request("draft/undo", { method: "POST" }), { full: true }); status(t("status.undone")); }
async function redo() { applyDraft(await api.request("draft/redo", { method: "POST" }), { full: true }); status(t("status.redone")); }

function fillColorBy() {
  const S = store.get();
  const sel = $("color-by");
  const want = [["region", t("colorby.region")], ["authority", t("colorby.authority")], ["control", t("colorby.control")]];
  for (const c of S.meta.communities) want.push([`share:${c.key}`, t("colorby.share", { community: communityLabel(c.key, c.label) })]);
  // population deviation is offered only where it fits the plan's purpose (or with "show all")
  const dev = metricEntry(S.meta.metrics, "deviation");
  const devFits = Boolean(S.showAllMetrics) || !dev || fits(dev.purposes, [(S.draft && S.draft.purpose) || "districts"]);
  for (const k of ["abs_deviation", "largest_share", "fractionalization", "polarization", "polsby_popper"]) {
    if (k === "abs_deviation" && !devFits) continue;
    want.push([`metric:${k}`, t("colorby.metric", { metric: t(`colorby.metric.${k}`) })]);
  }
  if (!want.some(([v]) => v === S.colorBy)) { // the colouring shown is no longer offered
    store.set({ colorBy: "region" });
    if (S.map) { paintMap(store.get(), S.map, S.assignment); updateLegend(store.get()); }
  }
  const have = [...sel.options].map((o) => `${o.value}|${o.text}`).join(",");
  if (have === want.map(([v, x]) => `${v}|${x}`).join(",")) return;
  sel.replaceChildren(...want.map(([v, x]) => el("option", { value: v, text: x })));
  sel.value = store.get().colorBy;
}

function fillLanguages() {
  const sel = $("language");
  sel.replaceChildren(...LOCALES.map((l) => el("option", { value: l.code, lang: l.code, text: l.name })));
  sel.value = store.get().locale;
  sel.onchange = (e) => {
    try { window.localStorage.setItem("dayafter.lang", e.target.value); } catch { /* private mode */ }
    setLocale(e.target.value);
  };
}

function rerenderAll() {
  const S = store.get();
  applyDom();
  document.title = `${S.meta ? S.meta.title : ""} · dayafter`;
  if (S.meta) $("title").textContent = S.meta.title;
  renderHeader();
  if (!S.draft) return;
  renderRegions(ctx);
  renderDetails(ctx);
  renderMetrics(ctx);
  renderUnitTable(ctx);
  renderPlans(ctx);
  fillColorBy();
  updateLegend(S);
  updateRegionLabels(S);
  refreshEngines(ctx);
  refreshPolities(ctx);
  setupSettle(ctx).catch(() => {});
  setupArticle140(ctx, { keep: true }).catch(() => {});
  setupJobsForm();
}

function setupJobsForm() {
  $("jobs").replaceChildren();
  setupJobs(ctx).catch(() => {});
}

async function main() {
  let stored = null;
  try { stored = window.localStorage.getItem("dayafter.lang"); } catch { /* private mode */ }
  const lang = setLocale(initialLocale(window.location.search, stored, navigator.languages || []));
  store.set({ locale: lang });
  applyDom();
  fillLanguages();
  onLocale((code) => { store.set({ locale: code }); rerenderAll(); });
  // a session of this browser's own: its draft is not another browser's, and survives a restart
  if (shareToken) {
    document.body.dataset.readonly = "1";
    $("readonly").hidden = false;
    for (const r of document.querySelectorAll("input[name=mode]")) r.disabled = r.value !== "inspect";
    const inspect = document.querySelector("input[name=mode][value=inspect]");
    if (inspect) { inspect.checked = true; store.set({ mode: "inspect" }); }
  }
  const session = await api.request("session");
  store.set({ persistent: Boolean(session.persistent) });
  const [meta, units, draft, plans] = await Promise.all([api.request("meta"), api.request("units"), api.request("draft"), api.request("plans")]);
  store.set({ meta, units, census: meta.censuses[0] });
  document.title = `${meta.title} · dayafter`;
  $("title").textContent = meta.title;
  $("census").replaceChildren(...meta.censuses.map((c) => el("option", { value: c, text: c })));
  $("sources").textContent = meta.sources_md || t("sources.none");
  applyDraft(draft, { full: true });
  await loadPlans(ctx, plans);
  if (meta.has_geometry) {
    const [geojson, borders] = await Promise.all([api.request("units.geojson"), api.request("borders.geojson")]);
    const unitEdges = [];
    const edgeEnds = new Map();
    for (const f of borders.features) {
      const { u, v } = f.properties;
      edgeEnds.set(f.id, [u, v]);
      (unitEdges[u] ||= []).push(f.id);
      (unitEdges[v] ||= []).push(f.id);
    }
    store.set({ geojson, borders, bboxes: bboxes(geojson), unitEdges, edgeEnds });
    const map = setupMainMap(store, { paint: (target) => paint(target).catch(() => {}), detail: (i) => showDetail(ctx, i).catch(() => {}) });
    map.on("load", () => {
      addOutlines(store.get(), map);
      updateRegionLabels(store.get());
      updateLegend(store.get());
      addReferenceLayers(store.get(), map, (p) => api.request(p)).then((layers) => {
        store.set({ referenceLayers: layers });
        $("show-reference-box").hidden = !layers.length;
        updateLegend(store.get());
      }).catch(() => {});
    });
    setupPlaceSearch(ctx, zoomTo);
    $("show-labels").onchange = (e) => { store.set({ showLabels: e.target.checked }); updateRegionLabels(store.get()); };
    $("show-outlines").onchange = (e) => { store.set({ showOutlines: e.target.checked }); setOutlinesVisible(map, e.target.checked); updateLegend(store.get()); };
    $("show-reference").onchange = (e) => { store.set({ showReference: e.target.checked }); setReferenceVisible(map, e.target.checked); updateLegend(store.get()); };
    let found = [];
    store.subscribe((S, keys) => {
      if (!keys.includes("highlight")) return;
      for (const i of found) map.setFeatureState({ source: "units", id: i }, { found: false });
      found = S.highlight || [];
      for (const i of found) map.setFeatureState({ source: "units", id: i }, { found: true });
    });
  } else {
    $("map").textContent = t("map.no_geometry");
    store.set({ ready: true });
  }
  await setupJobs(ctx);
  await setupSettle(ctx);
  setupArticle140(ctx).catch(() => {}); // not awaited: the handlers below must not wait for it
  setupEngines(ctx);
  setupPolities(ctx);
  setupRegions(ctx);
  setupDetails(ctx);
  setupUnits(ctx);
  setupCompare(ctx);
  setupFiles(ctx);
  // "show all metrics" (also those that do not fit the plan's purpose): redraw, keep the focus
  store.subscribe((S, keys) => {
    if (!keys.includes("showAllMetrics") || !S.draft) return;
    const focused = document.activeElement && document.activeElement.id;
    renderMetrics(ctx);
    fillColorBy();
    if (focused === "show-all-metrics") $("show-all-metrics").focus();
  });

  $("report-start").onclick = () => startReport(ctx).catch(() => {});
  $("print").onclick = () => window.print();
  setupShare(ctx);
  // print: the map's canvas as an image (WebGL canvases do not always print)
  window.addEventListener("beforeprint", () => {
    const m = store.get().map;
    const img = $("map-print");
    if (!m || !img) return;
    try { img.src = m.getCanvas().toDataURL("image/png"); } catch { /* a tainted canvas cannot be read */ }
    $("legend-print").replaceChildren(...[...$("legend").childNodes].map((n) => n.cloneNode(true)));
  });
  $("undo").onclick = () => undo().catch(() => {});
  $("redo").onclick = () => redo().catch(() => {});
  $("save").onclick = () => save(ctx).catch(() => {});
  $("census").onchange = (e) => {
    store.set({ census: e.target.value });
    const S = store.get();
    paintMap(S, S.map, S.assignment);
    updateLegend(S);
    updateRegionLabels(S);
    renderUnitTable(ctx);
    renderMetrics(ctx);
    refreshEngines(ctx);
    refreshPolities(ctx);
  };
  $("color-by").onchange = (e) => {
    store.set({ colorBy: e.target.value });
    const S = store.get();
    paintMap(S, S.map, S.assignment);
    updateLegend(S);
  };
  for (const r of document.querySelectorAll("input[name=mode]")) r.onchange = (e) => store.set({ mode: e.target.value });
  $("new-plan").onclick = async () => {
    if (!(await confirmDiscard())) return;
    applyDraft(await api.request("draft/new", { method: "POST" }), { full: true });
    status(t("status.new_plan"));
  };
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea")) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); (e.shiftKey ? redo : undo)().catch(() => {}); }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") { e.preventDefault(); redo().catch(() => {}); }
  });
  listenDraftEvents({
    url: withShare("api/draft/events", shareToken),
    onEvent: (ev) => {
      if (eventAction(store.get().draft, ev, api.tab) !== "reload") return;
      // wait for this tab's own edits in flight, then show what the other tab made
      api.idle().then(reloadDraft).then(() => status(t("status.changed_elsewhere"))).catch(() => {});
    },
    onOpen: () => setOnline(true),
    onLost: () => { setOnline(false); status(t("error.offline"), true); },
  });
  window.addEventListener("beforeunload", (e) => {
    // drafts are kept by the server, but an unsaved one is easy to lose track of
    const d = store.get().draft;
    if (d && d.dirty && !store.get().persistent) { e.preventDefault(); e.returnValue = ""; }
  });
  const warn = meta.warnings.length > 0;
  status(warn ? t("status.ready_skipped", { files: meta.warnings.join(" | ") }) : t("status.ready"), warn);
  // ready (body[data-ready], which the end-to-end tests wait for): the map has drawn once and
  // every control has its handler
  const markReady = () => { document.body.dataset.ready = "1"; };
  if (store.get().ready) markReady();
  else {
    const off = store.subscribe((S, keys) => { if (keys.includes("ready") && S.ready) { off(); markReady(); } });
  }
}

main().catch((e) => status(t("status.start_failed", { error: e.message }), true));
