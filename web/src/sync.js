// Keeping a tab in step with its browser session's draft. The server streams the session's draft
// version (server-sent events, GET api/draft/events) after every change; a tab that shows an older
// version than one made elsewhere reloads the draft. The tab's own edits come back in the replies
// to its requests, so their events are ignored.

/**
 * What a tab does with a draft event: "reload" when the draft changed elsewhere since the tab
 * last saw it, else "ignore".
 * @param {object|null} draft the draft the tab shows (with its version), or null before the first
 * @param {{version: number, tab: string}} event the event's data
 * @param {string} tab this tab's id
 */
export function eventAction(draft, event, tab) {
  if (!event || typeof event.version !== "number") return "ignore";
  if (!draft || typeof draft.version !== "number") return "ignore";
  // versions only grow: an event not newer than the draft shown tells nothing new
  if (event.version <= draft.version) return "ignore";
  // the tab's own edit: its reply (already applied, or on its way) carries the draft
  if (event.tab && event.tab === tab) return "ignore";
  return "reload";
}

/**
 * Listen to the session's draft events.
 * @param {object} o
 * @param {string} [o.url] the stream's address
 * @param {Function} o.onEvent called with each event's data ({version, tab})
 * @param {Function} [o.onOpen] the stream is (again) connected: the server is reachable
 * @param {Function} [o.onLost] the stream broke: the server may be down (EventSource retries)
 * @param {Function} [o.EventSourceImpl] EventSource (tests pass a fake)
 * @returns {{close: Function}}
 */
export function listenDraftEvents({ url = "api/draft/events", onEvent, onOpen = () => {}, onLost = () => {},
  EventSourceImpl = globalThis.EventSource } = {}) {
  if (!EventSourceImpl) return { close() {} };
  const es = new EventSourceImpl(url, { withCredentials: true });
  es.addEventListener("draft", (e) => {
    let data = null;
    try { data = JSON.parse(e.data); } catch { return; }
    onEvent(data);
  });
  es.onopen = () => onOpen();
  es.onerror = () => onLost();
  return { close: () => es.close() };
}
