// The one way the front end talks to the server. Every request goes through request():
// - it sends what the server asks of a request from its own page: a custom header that a
//   cross-site form or "simple" request cannot carry, this tab's id, and for edits the draft
//   version the tab shows (the server refuses an edit to a draft that changed since: 409);
// - edits (every method but GET) go one at a time, in order, so a fast sequence of strokes,
//   undos and redos is applied (and its replies drawn) in the order the user made it;
// - failures become ApiError with a kind: "offline" (the server cannot be reached), "stale"
//   (the draft changed in another tab or window), "http" (any other refusal, with the server's
//   message and hint).

import { fmt, has, t, tOr } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, { kind = "http", status = 0, data = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    this.data = data;
  }
}

/** A random id for this tab (not a secret: it only tells the tab's own changes from others'). */
export function newTabId() {
  const a = new Uint8Array(8);
  (globalThis.crypto || { getRandomValues: (x) => x.map(() => Math.floor(Math.random() * 256)) }).getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * @param {object} o
 * @param {Function} [o.fetchImpl] fetch (tests pass a fake)
 * @param {string} [o.base] prefix of the API paths
 * @param {Function} [o.version] the draft version this tab shows (sent with edits), or null
 * @param {string} [o.tab] this tab's id
 * @param {Function} [o.message] (error body) -> text shown to the user
 * @param {Function} [o.onError] called with every ApiError (after it is made, before it is thrown)
 * @param {Function} [o.onOk] called after every successful request (the server is reachable)
 * @param {Function} [o.readOnly] true when this page may not edit (a shared read-only view)
 */
export function createApi({ fetchImpl, base = "api/", version = () => null, tab = newTabId(),
  message = defaultMessage, onError = () => {}, onOk = () => {}, offlineText = "the server cannot be reached",
  readOnly = () => false, share = () => null } = {}) {
  const doFetch = fetchImpl || ((...a) => globalThis.fetch(...a));
  let queue = Promise.resolve();

  function headers(opts) {
    // X-Dayafter-CSRF: the server refuses every change that lacks it (a cross-site page cannot send it)
    const h = { "X-Requested-With": "dayafter", "X-Dayafter-CSRF": "1", "X-Dayafter-Tab": tab };
    const s = share();
    if (s) h["X-Dayafter-Share"] = s;
    const v = version();
    if (opts.method && opts.method !== "GET" && v !== null && v !== undefined && !opts.noVersion) {
      h["X-Dayafter-Draft-Version"] = String(v);
    }
    return h;
  }

  async function send(path, opts) {
    if (opts.method && opts.method !== "GET" && readOnly()) {
      throw report(new ApiError("read-only", { kind: "readonly" }));
    }
    const init = { method: opts.method || "GET", headers: headers(opts), credentials: "same-origin" };
    if (opts.json !== undefined) {
      init.body = JSON.stringify(opts.json);
      init.headers["Content-Type"] = "application/json";
    } else if (opts.body !== undefined) {
      init.body = opts.body;
      // a FormData body sets its own multipart Content-Type (with the boundary)
      if (!(typeof FormData !== "undefined" && opts.body instanceof FormData)) {
        init.headers["Content-Type"] = "application/octet-stream";
      }
    }
    let r;
    try {
      r = await doFetch(`${base}${path}`, init);
    } catch (e) {
      throw report(new ApiError(offlineText, { kind: "offline" }));
    }
    const type = (r.headers && r.headers.get && r.headers.get("content-type")) || "";
    let data;
    try {
      data = type.includes("json") ? await r.json() : (opts.blob ? await r.blob() : await r.text());
    } catch (e) {
      throw report(new ApiError(offlineText, { kind: "offline", status: r.status }));
    }
    if (!r.ok) {
      const kind = r.status === 409 && data && data.error === "StaleDraft" ? "stale" : "http";
      throw report(new ApiError(message(data, r.status), { kind, status: r.status, data }));
    }
    onOk();
    return data;
  }

  function report(err) {
    try { onError(err); } catch { /* a broken handler must not hide the error */ }
    return err;
  }

  /** GET runs at once; other methods wait for the edits before them. */
  function request(path, opts = {}) {
    if (!opts.method || opts.method === "GET") return send(path, opts);
    const p = queue.then(() => send(path, opts));
    queue = p.catch(() => {});
    return p;
  }

  return { request, tab, idle: () => queue };
}

/** ``url`` with the read-only link's token, for what the page fetches without request() (event
 * streams, downloads): the server serves those as the shared view too. */
export function withShare(url, token) {
  if (!token) return url;
  return `${url}${url.includes("?") ? "&" : "?"}share=${encodeURIComponent(token)}`;
}

/** A number of an error in the reader's digits, with the decimals it has (at most 6). */
function errorNumber(v) {
  const m = /\.(\d+)/.exec(String(v));
  return fmt(v, Number.isInteger(v) ? 0 : Math.min(6, m ? m[1].length : 2));
}

function errorValue(v) {
  if (typeof v === "number") return errorNumber(v);
  if (Array.isArray(v)) return v.map(errorValue).join(t("error.sep"));
  return v === null || v === undefined ? "" : String(v);
}

/** ``items`` as "a, b or c" in the reader's language. */
function orList(items) {
  if (items.length <= 1) return items.join("");
  return items.slice(0, -1).join(t("error.sep")) + t("error.or") + items[items.length - 1];
}

/** One constraint of a parameter (``{kind, ...}`` from the server's validation) in words. */
export function constraintText(c) {
  if (c.kind === "int_range" || c.kind === "float_range") {
    const lo = c.left === null || c.left === undefined ? "−∞" : errorNumber(c.left);
    const hi = c.right === null || c.right === undefined ? "∞" : errorNumber(c.right);
    const range = `${c.left_closed ? "[" : "("}${lo}${t("error.range_sep")}${hi}${c.right_closed ? "]" : ")"}`;
    return t(`error.constraint.${c.kind}`, { range });
  }
  if (c.kind === "options") return t("error.constraint.options", { options: (c.options || []).map((o) => `'${o}'`).join(t("error.sep")) });
  if (c.kind === "instance") return t("error.constraint.instance", { type: c.type });
  return tOr(`error.constraint.${c.kind}`, c.text || c.kind, { text: c.text || c.kind });
}

/** The arguments of an error's message with numbers, lists, admin levels, request places and
 * parameter constraints in the reader's language. */
export function errorArgs(args = {}) {
  const out = {};
  for (const [k, v] of Object.entries(args)) out[k] = errorValue(v);
  if (Array.isArray(args.constraints)) out.constraints = orList(args.constraints.map(constraintText));
  if (Array.isArray(args.examples)) out.examples = orList(args.examples.map(errorValue));
  if (typeof args.level === "string") out.level = tOr(`admin.${args.level}`, args.level);
  if (typeof args.place === "string") out.place = t(`error.request.place.${args.place}`);
  return out;
}

/** A server error's message or hint in the reader's language: the catalogue's ``error.<key>``
 * when the server sent a key (``message_i18n``/``hint_i18n``) the catalogues know, else its English. */
export function errorText(text, i18n) {
  if (i18n && i18n.key && has(`error.${i18n.key}`)) return t(`error.${i18n.key}`, errorArgs(i18n.args || {}));
  return text || "";
}

export function defaultMessage(data, status) {
  if (data && typeof data === "object" && data.message) {
    const src = data.source && data.source !== "request" ? `${data.source}: ` : "";
    const message = errorText(data.message, data.message_i18n);
    const hint = data.hint ? errorText(data.hint, data.hint_i18n) : "";
    return `${src}${hint ? t("error.with_hint", { message, hint }) : message}`;
  }
  return `HTTP ${status}`;
}
