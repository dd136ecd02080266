// Colours: region palette (colour-blind safe), ramps for shares and metrics, and the choice of a
// distinct colour for a new region (pure functions, unit-tested).

// Okabe-Ito (distinguishable with the common colour-vision deficiencies), then Paul Tol's muted
// and light schemes (also designed for colour-blind readers): 20 colours before the list repeats.
export const REGION_COLORS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
  "#999933", "#882255", "#44AA99", "#117733", "#332288", "#DDCC77", "#AA4499", "#88CCEE", "#CC6677",
  "#BBCC33", "#EE8866", "#99DDFF", "#FFAABB"];
export const UNASSIGNED = "#ffffff";
export const MISSING = "#dddddd";
// viridis stops (perceptually uniform, colour-blind safe) for shares and metrics
export const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
  "#6ece58", "#b5de2b", "#fde725"];

export function ramp(t) {
  if (t === null || t === undefined || Number.isNaN(t)) return MISSING;
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  return VIRIDIS[Math.round(x)];
}

/** The colour of region ``j``: its own colour when the plan gives one, else the palette's. */
export function regionColor(j, colors = []) {
  if (j < 0) return UNASSIGNED;
  return colors[j] || REGION_COLORS[j % REGION_COLORS.length];
}

// authorities and control: the same colour for a label everywhere (the change and control maps)
export const AUTHORITY_COLORS = { federal: "#0072B2", krg: "#E69F00", joint: "#CC79A7",
  "self-administered": "#009E73", shared: "#CC79A7", contested: "#D55E00", "": UNASSIGNED };
export const UNCHANGED = "#e8e8e8";

/** The colour of an authority or control label (others: a palette colour picked by the name). */
export function authorityColor(label) {
  const key = String(label ?? "");
  if (Object.prototype.hasOwnProperty.call(AUTHORITY_COLORS, key)) return AUTHORITY_COLORS[key];
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return REGION_COLORS[7 + (h % (REGION_COLORS.length - 7))];
}
