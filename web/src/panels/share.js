// A read-only link to the draft as it is now: the server copies the draft and signs a token; the
// link is this page's address with ?share=TOKEN. Whoever opens it sees the copy and cannot change
// anything (the server refuses every change made through it).
import { $ } from "../dom.js";
import { t } from "../i18n.js";

/** The link for a share reply ({query}) from the page's own address (without its query). */
export function shareLink(location, reply) {
  return `${location.origin}${location.pathname}${reply.query}`;
}

export function setupShare(ctx) {
  const button = $("share-start");
  if (!button) return;
  button.onclick = async () => {
    const reply = await ctx.api.request("share", { method: "POST", json: { hours: 24 * 7 }, noVersion: true });
    const link = shareLink(window.location, reply);
    const box = $("share-link");
    box.hidden = false;
    box.value = link;
    box.focus();
    box.select();
    let copied = false;
    try { await navigator.clipboard.writeText(link); copied = true; } catch { /* no clipboard here */ }
    const until = new Date(reply.expires * 1000).toLocaleString(ctx.store.get().locale);
    ctx.status(t(copied ? "share.made_copied" : "share.made", { until }));
  };
}
