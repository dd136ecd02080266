// Small DOM helpers shared by the panels (no state here).

export const $ = (id) => document.getElementById(id);

/** Create an element: attributes (class, text, on<event>, others as attributes) and children. */
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined && kid !== false) e.append(kid);
  return e;
}

export function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

/** A table with a caption, column headers and rows of cells (each cell: text, a node, or
 * {text, class, th} for a row header or a styled cell). */
export function table(caption, headers, rows, attrs = {}) {
  const t = el("table", attrs, el("caption", { text: caption }));
  t.append(el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))));
  const body = el("tbody");
  for (const row of rows) {
    const tr = el("tr");
    for (const cell of row) {
      if (cell && typeof cell === "object" && !(cell instanceof Node)) {
        const tag = cell.th ? "th" : "td";
        const a = { class: cell.class, lang: cell.lang, dir: cell.dir };
        if (cell.th) a.scope = "row";
        tr.append(el(tag, a, ...(cell.nodes || [cell.text ?? ""])));
      } else tr.append(el("td", {}, cell ?? ""));
    }
    body.append(tr);
  }
  t.append(body);
  return t;
}

/** The status line at the bottom of the page (role=status). */
export function status(text, isError = false) {
  const s = $("status");
  if (!s) return;
  s.textContent = text;
  s.classList.toggle("error", isError);
  s.dataset.kind = isError ? "error" : "info";
}
