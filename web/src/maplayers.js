// What makes the map legible: region labels (name and largest community), governorate and district
// outlines (from the shared borders: a border is an outline where its two units' admin codes
// differ), the offline reference layers (Natural Earth rivers, lakes, towns, international
// boundaries) and the place search. Labels are HTML markers: the map has no glyphs (nothing is
// fetched from elsewhere) and the browser shapes Arabic and Kurdish text itself.
import maplibregl from "maplibre-gl";
import { $, el } from "./dom.js";
import { communityLabel, pct, t } from "./i18n.js";

function labelOf(S, key) {
  const c = S.meta.communities.find((x) => x.key === key);
  return communityLabel(key, c ? c.label : key);
}

export const OUTLINE_STYLE = {
  governorate: { color: "#1a1a1a", width: 2.4, dash: [3, 1.5] },
  district: { color: "#4d4d4d", width: 1.2, dash: [1.5, 1.5] },
};
export const RIVER = "#2b6cb0";
export const LAKE = "#9cc3e6";

/**
 * Where to put each region's label: the unit of the region whose box centre is nearest to the
 * region's centre (the mean of its units' box centres, weighted by box area), so the label sits
 * on the region even when the region is not convex. Returns [lon, lat] or null per region.
 */
export function labelPositions(bboxes, assignment, k) {
  const sx = new Array(k).fill(0);
  const sy = new Array(k).fill(0);
  const sw = new Array(k).fill(0);
  const centres = bboxes.map((b) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, Math.max((b[2] - b[0]) * (b[3] - b[1]), 1e-12)]);
  for (let i = 0; i < assignment.length; i++) {
    const j = assignment[i];
    if (j < 0 || j >= k) continue;
    const [x, y, w] = centres[i];
    sx[j] += x * w; sy[j] += y * w; sw[j] += w;
  }
  const best = new Array(k).fill(null);
  const dist = new Array(k).fill(Infinity);
  for (let i = 0; i < assignment.length; i++) {
    const j = assignment[i];
    if (j < 0 || j >= k) continue;
    const d = (centres[i][0] - sx[j] / sw[j]) ** 2 + (centres[i][1] - sy[j] / sw[j]) ** 2;
    if (d < dist[j]) { dist[j] = d; best[j] = [centres[i][0], centres[i][1]]; }
  }
  return best;
}

/** A region's label: its name, and its largest community with its share on the census shown. */
export function regionLabel(S, j) {
  const r = S.draft.regions[j];
  const ev = S.evaluation && S.evaluation.censuses && S.evaluation.censuses[S.census];
  const row = ev && ev.regions[j];
  if (!row || !row.largest) return { name: r.name, detail: "" };
  return { name: r.name, detail: t("maplabel.largest", { community: labelOf(S, row.largest), share: pct(row.largest_share, 0) }) };
}

let markers = [];

/** Draw (again) the region labels of the main map. */
export function updateRegionLabels(S) {
  const map = S.map;
  for (const m of markers) m.remove();
  markers = [];
  if (!map || !S.bboxes || !S.draft || !S.showLabels) return;
  const pos = labelPositions(S.bboxes, S.assignment, S.draft.regions.length);
  pos.forEach((p, j) => {
    if (!p) return;
    const { name, detail } = regionLabel(S, j);
    const node = el("div", { class: "region-label", "aria-hidden": "true" }, el("bdi", { class: "rl-name", text: name }),
      detail ? el("bdi", { class: "rl-detail", text: detail }) : null);
    markers.push(new maplibregl.Marker({ element: node, anchor: "center" }).setLngLat(p).addTo(map));
  });
}

/** Mark the shared borders that are governorate or district outlines (once, after the map loads). */
export function addOutlines(S, map) {
  if (!S.borders || !map.getSource("borders")) return;
  const admin = S.units.admin || {};
  const before = map.getLayer("region-borders") ? "region-borders" : undefined;
  for (const level of ["district", "governorate"]) {
    const codes = admin[level];
    if (!codes) continue;
    for (const f of S.borders.features) {
      const [u, v] = S.edgeEnds.get(f.id);
      if (codes[u] !== codes[v]) map.setFeatureState({ source: "borders", id: f.id }, { [level]: true });
    }
    const st = OUTLINE_STYLE[level];
    map.addLayer({
      id: `${level}-outlines`, type: "line", source: "borders",
      layout: { visibility: S.showOutlines ? "visible" : "none" },
      paint: {
        "line-color": st.color, "line-dasharray": st.dash,
        "line-width": ["case", ["boolean", ["feature-state", level], false], st.width, 0],
      },
    }, before);
  }
}

let placeMarkers = [];

/** Add the reference layers the server offers for this territory (none elsewhere). */
export async function addReferenceLayers(S, map, request) {
  const info = await request("reference");
  if (!info.layers.length) return [];
  const data = {};
  for (const name of info.layers) data[name] = await request(`reference/${name}.geojson`);
  const before = map.getLayer("region-borders") ? "region-borders" : undefined;
  const vis = S.showReference ? "visible" : "none";
  if (data.lakes) {
    map.addSource("ref-lakes", { type: "geojson", data: data.lakes });
    map.addLayer({ id: "ref-lakes", type: "fill", source: "ref-lakes", layout: { visibility: vis }, paint: { "fill-color": LAKE, "fill-opacity": 0.9, "fill-outline-color": RIVER } }, before);
  }
  if (data.rivers) {
    map.addSource("ref-rivers", { type: "geojson", data: data.rivers });
    map.addLayer({ id: "ref-rivers", type: "line", source: "ref-rivers", layout: { visibility: vis }, paint: { "line-color": RIVER, "line-width": 2.2 } }, before);
  }
  if (data.boundaries) {
    map.addSource("ref-boundaries", { type: "geojson", data: data.boundaries });
    map.addLayer({ id: "ref-boundaries", type: "line", source: "ref-boundaries", layout: { visibility: vis }, paint: { "line-color": "#7a1f1f", "line-width": 1.5, "line-dasharray": [4, 2] } }, before);
  }
  if (data.places) {
    map.addSource("ref-places", { type: "geojson", data: data.places });
    map.addLayer({ id: "ref-places", type: "circle", source: "ref-places", layout: { visibility: vis }, paint: { "circle-radius": 3.5, "circle-color": "#1a1a1a", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } });
    for (const f of data.places.features) {
      const node = el("div", { class: "place-label", "aria-hidden": "true", text: f.properties.name });
      placeMarkers.push(new maplibregl.Marker({ element: node, anchor: "left", offset: [5, 0] }).setLngLat(f.geometry.coordinates).addTo(map));
    }
  }
  const attribution = el("div", { class: "map-attribution small", text: info.attribution });
  map.getContainer().append(attribution);
  return info.layers;
}

export function setReferenceVisible(map, on) {
  for (const id of ["ref-lakes", "ref-rivers", "ref-boundaries", "ref-places"]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  for (const m of placeMarkers) m.getElement().style.display = on ? "" : "none";
}

export function setOutlinesVisible(map, on) {
  for (const id of ["district-outlines", "governorate-outlines"]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

/** The legend's keys for region colouring: a swatch per region, unassigned, and the line styles. */
export function legendKeys(S, colorOf) {
  const keys = S.draft ? S.draft.regions.map((r, j) => ({ swatch: colorOf(j), text: r.name })) : [];
  keys.push({ swatch: "#ffffff", text: t("region.unassigned") });
  const lines = [{ line: "#000000", width: 2.2, text: t("legend.region_boundary") }];
  if (S.showOutlines && S.units && S.units.admin) {
    if (S.units.admin.governorate) lines.push({ line: OUTLINE_STYLE.governorate.color, width: 2.4, dash: true, text: t("legend.governorate") });
    if (S.units.admin.district) lines.push({ line: OUTLINE_STYLE.district.color, width: 1.2, dash: true, text: t("legend.district") });
  }
  if (S.showReference && S.referenceLayers && S.referenceLayers.length) {
    lines.push({ line: RIVER, width: 2.2, text: t("legend.river") });
    lines.push({ line: "#7a1f1f", width: 1.5, dash: true, text: t("legend.border") });
  }
  return { keys, lines };
}

/** The place search box: asks the server, lists the matches, zooms to the chosen one. */
export function setupPlaceSearch(ctx, zoomTo) {
  const form = $("place-search");
  if (!form) return;
  const input = $("place-q");
  const list = $("place-results");
  let seq = 0;
  const show = async () => {
    const q = input.value.trim();
    const my = ++seq;
    if (q.length < 2) { list.replaceChildren(); return false; }
    const r = await ctx.api.request(`search?q=${encodeURIComponent(q)}&limit=8`);
    if (my !== seq) return false; // a later keystroke asked again
    const S = ctx.store.get();
    list.replaceChildren(...r.results.map((x) => el("li", {}, el("button", { type: "button", class: "place-hit", onclick: () => {
      zoomTo(S, x.units);
      ctx.store.set({ highlight: x.units });
      ctx.status(t("search.found", { place: x.name, kind: t(`search.kind.${x.kind}`), matched: x.matched, n: x.units.length }));
    } }, el("bdi", { text: x.name }), " ", el("span", { class: "muted small", text: `${t(`search.kind.${x.kind}`)}${x.matched !== x.name ? ` · ${x.matched}` : ""}` })))));
    if (!r.results.length) list.replaceChildren(el("li", { class: "muted small", text: t("search.none", { q }) }));
    return true;
  };
  let timer = null;
  input.oninput = () => { clearTimeout(timer); timer = setTimeout(() => show().catch(() => {}), 150); };
  form.onsubmit = async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    // Enter (or Find) goes to the best match of what the box holds now, never of an older list
    if (!(await show())) return;
    const first = list.querySelector("button");
    if (first) first.click();
  };
}
