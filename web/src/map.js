// The map: MapLibre on a blank style (no tiles, no glyphs, nothing fetched from elsewhere), the
// units coloured by region or by a share or metric, region boundaries drawn from the shared borders,
// hovering, painting by click, brush or whole admin unit.
import maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import { MISSING, UNASSIGNED, VIRIDIS, authorityColor, ramp, regionColor } from "./colors.js";
import { $, el, escapeHtml } from "./dom.js";
import { communityLabel, fmt, pct, t, tOr } from "./i18n.js";
import { layerLabels } from "./comparing.js";
import { legendKeys } from "./maplayers.js";

const BLANK_STYLE = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#eef0f2" } }],
};

/** An authority or control label in the interface language (unknown labels as they are). */
export function tOrLabel(label) {
  return tOr(`authority.${label || "none"}`, label);
}

export function labelOf(S, key) {
  const c = S.meta.communities.find((x) => x.key === key);
  return communityLabel(key, c ? c.label : key);
}

export function unitName(S, i) {
  const L = S.units.labels;
  return (L.name_en && L.name_en[i]) || S.units.ids[i];
}

export function kurdish(S, i) {
  const L = S.units.labels;
  const key = ["name_ckb", "name_ku", "name_kmr"].find((k) => L[k]);
  return key ? L[key][i] : "";
}

function shares(S, g) {
  return S.units.censuses[S.census].map((row) => {
    const tot = row.reduce((a, b) => a + b, 0);
    return tot > 0 ? row[g] / tot : null;
  });
}

export function regionMetric(S, key) {
  const ev = S.evaluation;
  if (!ev) return [];
  const cen = ev.censuses[S.census].regions;
  if (key === "polsby_popper" || key === "pieces") return ev.regions.map((r) => r[key]);
  if (key === "abs_deviation") return cen.map((r) => (r.deviation === null ? null : Math.abs(r.deviation)));
  return cen.map((r) => r[key]);
}

export function draftColors(S) {
  return (S.draft && S.draft.colors) || [];
}

/** The fill colour of every unit for the store's colouring choice. */
export function unitColors(S, assignment, colors = draftColors(S)) {
  const n = assignment.length;
  const out = new Array(n);
  const cb = S.colorBy;
  if (cb === "authority" || cb === "control") {
    const labels = layerLabels(S, assignment, cb);
    for (let i = 0; i < n; i++) out[i] = authorityColor(labels[i]);
  } else if (cb.startsWith("share:")) {
    const g = S.meta.communities.findIndex((c) => c.key === cb.slice(6));
    const share = shares(S, g);
    const hi = Math.max(...share.filter((v) => v !== null), 1e-9);
    for (let i = 0; i < n; i++) out[i] = share[i] === null ? MISSING : ramp(share[i] / hi);
  } else if (cb.startsWith("metric:")) {
    const vals = regionMetric(S, cb.slice(7));
    const finite = vals.filter((v) => v !== null && Number.isFinite(v));
    const lo = Math.min(...finite, 0);
    const hi = Math.max(...finite, lo + 1e-9);
    for (let i = 0; i < n; i++) {
      const j = assignment[i];
      out[i] = j < 0 ? UNASSIGNED : ramp((vals[j] - lo) / (hi - lo));
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = regionColor(assignment[i], colors);
  }
  return out;
}

export function updateLegend(S) {
  const box = $("legend");
  if (!box) return;
  const cb = S.colorBy;
  if (cb === "authority" || cb === "control") {
    const counts = new Map();
    for (const x of layerLabels(S, S.assignment, cb)) counts.set(x, (counts.get(x) || 0) + 1);
    const items = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([x, k]) => el("li", {},
      el("span", { class: "swatch", style: `background:${authorityColor(x)}` }), " ",
      el("bdi", { text: x ? tOrLabel(x) : t("region.unassigned") }), ` (${fmt(k)})`));
    box.replaceChildren(el("strong", { text: t(`legend.${cb}`) }), el("ul", { class: "legend-keys" }, ...items));
    return;
  }
  if (!cb.startsWith("share:") && !cb.startsWith("metric:")) {
    const { keys, lines } = legendKeys(S, (j) => regionColor(j, draftColors(S)));
    const items = keys.map((k) => el("li", {}, el("span", { class: "swatch", style: `background:${k.swatch}` }), " ", el("bdi", { text: k.text })));
    for (const l of lines) {
      items.push(el("li", {}, el("span", { class: "line-key", style: `border-top: ${l.width}px ${l.dash ? "dashed" : "solid"} ${l.line}` }), " ", el("span", { text: l.text })));
    }
    box.replaceChildren(el("strong", { text: t("legend.title") }), el("ul", { class: "legend-keys" }, ...items));
    return;
  }
  let lo = 0;
  let hi = 0;
  let what;
  if (cb.startsWith("share:")) {
    const g = S.meta.communities.findIndex((c) => c.key === cb.slice(6));
    hi = Math.max(...shares(S, g).filter((v) => v !== null), 0);
    what = t("legend.share", { community: labelOf(S, cb.slice(6)), census: S.census });
  } else {
    const vals = regionMetric(S, cb.slice(7)).filter((v) => v !== null && Number.isFinite(v));
    lo = Math.min(...vals, 0);
    hi = Math.max(...vals, 0);
    what = t("legend.metric", { metric: t(`colorby.metric.${cb.slice(7)}`) });
  }
  const bar = el("span", { class: "bar", style: `background: linear-gradient(to right, ${VIRIDIS.join(", ")})` });
  box.replaceChildren(`${what}: `, el("bdi", { text: fmt(lo, 3) }), bar, el("bdi", { text: fmt(hi, 3) }));
}

export function makeMap(S, container, interactive = true) {
  const map = new maplibregl.Map({
    container, style: BLANK_STYLE, bounds: S.meta.bounds, fitBoundsOptions: { padding: 20 },
    attributionControl: false, interactive, fadeDuration: 0,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  map.on("load", () => {
    map.addSource("units", { type: "geojson", data: S.geojson });
    map.addLayer({
      id: "units-fill", type: "fill", source: "units",
      paint: { "fill-color": ["coalesce", ["feature-state", "color"], MISSING], "fill-opacity": 0.85 },
    });
    map.addLayer({
      id: "units-line", type: "line", source: "units",
      paint: {
        "line-color": ["case", ["boolean", ["feature-state", "hover"], false], "#000000",
          ["boolean", ["feature-state", "found"], false], "#c00000", "#555555"],
        "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 3,
          ["boolean", ["feature-state", "found"], false], 3, 0.5],
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

/** Region boundaries: the shared borders whose two units lie in different regions. */
export function paintBorders(S, map, assignment, units = null) {
  if (!map || !S.borders || !map.getSource("borders")) return;
  const edges = units === null ? S.borders.features.map((f) => f.id) : [...new Set(units.flatMap((i) => S.unitEdges[i] || []))];
  for (const e of edges) {
    const [u, v] = S.edgeEnds.get(e);
    map.setFeatureState({ source: "borders", id: e }, { cut: assignment[u] !== assignment[v] });
  }
}

export function paintMap(S, map, assignment, colors = draftColors(S)) {
  if (!map || !map.getSource("units")) return;
  const c = unitColors(S, assignment, colors);
  for (let i = 0; i < c.length; i++) map.setFeatureState({ source: "units", id: i }, { color: c[i] });
  paintBorders(S, map, assignment);
}

/** Repaint only the units a stroke changed (region colouring), else everything. */
export function repaintUnits(S, map, units) {
  if (!map || !map.getSource("units")) return;
  if (S.colorBy !== "region" || units === null) {
    paintMap(S, map, S.assignment);
    return;
  }
  const colors = draftColors(S);
  for (const i of units) map.setFeatureState({ source: "units", id: i }, { color: regionColor(S.assignment[i], colors) });
  paintBorders(S, map, S.assignment, units);
}

export function bboxes(gj) {
  return gj.features.map((f) => {
    let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
    const walk = (c) => {
      if (typeof c[0] === "number") { x0 = Math.min(x0, c[0]); x1 = Math.max(x1, c[0]); y0 = Math.min(y0, c[1]); y1 = Math.max(y1, c[1]); } else c.forEach(walk);
    };
    walk(f.geometry.coordinates);
    return [x0, y0, x1, y1];
  });
}

/**
 * The main (editable) map. ``actions``: paint(target), detail(i).
 */
export function setupMainMap(store, actions) {
  const S0 = store.get();
  const map = makeMap(S0, "map");
  let hover = null;
  let brush = null;
  store.set({ map });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  const setHover = (i) => {
    if (hover !== null) map.setFeatureState({ source: "units", id: hover }, { hover: false });
    hover = i;
    if (i !== null) map.setFeatureState({ source: "units", id: i }, { hover: true });
  };
  const preview = (i) => {
    const S = store.get();
    map.setFeatureState({ source: "units", id: i }, { color: regionColor(S.active, draftColors(S)) });
  };
  map.on("load", () => {
    paintMap(store.get(), map, store.get().assignment);
    map.once("idle", () => store.set({ ready: true })); // main.js marks the page ready
  });
  map.on("mousemove", "units-fill", (e) => {
    const f = e.features[0];
    if (!f) return;
    setHover(f.id);
    showHover(store.get(), f.id, e.point);
    if (brush) { brush.add(f.id); preview(f.id); }
  });
  map.on("mouseleave", "units-fill", () => {
    setHover(null);
    $("hover").style.display = "none";
  });
  map.on("mousedown", "units-fill", (e) => {
    const S = store.get();
    if (S.mode !== "brush" || e.originalEvent.button !== 0 || S.readOnly) return;
    e.preventDefault();
    map.dragPan.disable();
    brush = new Set([e.features[0].id]);
    preview(e.features[0].id);
  });
  map.on("mouseup", () => {
    if (!brush) return;
    const units = [...brush];
    brush = null;
    map.dragPan.enable();
    actions.paint({ units });
  });
  map.on("click", "units-fill", (e) => {
    const S = store.get();
    const i = e.features[0].id;
    if (!S.readOnly) {
      if (S.mode === "click") actions.paint({ units: [i] });
      else if (S.mode === "district" || S.mode === "governorate") {
        actions.paint({ admin_level: S.mode, admin_code: S.units.admin[S.mode][i] });
      }
    }
    actions.detail(i);
  });
  return map;
}

function showHover(S, i, point) {
  const h = $("hover");
  const row = S.units.censuses[S.census][i];
  const tot = row.reduce((a, b) => a + b, 0);
  const j = S.assignment[i];
  const L = S.units.labels;
  const region = j >= 0 ? escapeHtml(S.draft.regions[j].name) : escapeHtml(t("region.unassigned"));
  const lines = [
    `<strong>${escapeHtml(unitName(S, i))}</strong> <span class="muted">${escapeHtml(S.units.ids[i])}</span>`,
    L.name_ar ? `<span lang="ar" dir="rtl">${escapeHtml(L.name_ar[i])}</span>` : "",
    kurdish(S, i) ? `<span lang="ckb" dir="rtl">${escapeHtml(kurdish(S, i))}</span>` : "",
    `${escapeHtml(t("hover.region"))}: ${region}`,
    escapeHtml(t("hover.population", { census: S.census, people: fmt(tot) })),
    ...S.meta.communities.map((c, g) => (row[g] > 0 ? `${escapeHtml(communityLabel(c.key, c.label))}: ${fmt(row[g])} (${pct(row[g] / tot)})` : "")),
  ].filter(Boolean);
  h.innerHTML = lines.join("<br>");
  h.style.display = "block";
  h.style.left = `${point.x + 16}px`;
  h.style.top = `${point.y + 16}px`;
}

export function zoomTo(S, units) {
  let b = null;
  for (const i of units) {
    const [x0, y0, x1, y1] = S.bboxes[i];
    b = b ? [Math.min(b[0], x0), Math.min(b[1], y0), Math.max(b[2], x1), Math.max(b[3], y1)] : [x0, y0, x1, y1];
  }
  if (b && S.map) S.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 11, duration: 0 });
  return b;
}
