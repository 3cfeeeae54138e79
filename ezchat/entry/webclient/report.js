// Reporting someone else's message to the server's admins: why, what kind, and whether to
// block the sender in the same step. Reporting the same message again is the same report.
import { $, button, ctx, guarded, showNotice, state } from "./state.js";

let target = null; // the message being reported

export function reportAction(m) {
  if (m.deleted || m.sender_id === state.me.id) return null;
  return button("report", () => {
    target = m;
    const form = $("#report-form");
    form.reset();
    $("#report-quote").textContent = (m.text || "📎 attachment").slice(0, 200);
    $("#report-panel").hidden = false;
    form.reason.focus();
  }, "report-action");
}

export function wireReport() {
  $("#report-cancel").addEventListener("click", () => { $("#report-panel").hidden = true; });
  $("#report-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    if (!target) return;
    const form = event.target;
    const body = { reason: form.reason.value.trim(), block: form.block.checked };
    if (form.category.value) body.category = form.category.value;
    const m = target;
    await ctx.api.call("POST",
      `/api/conversations/${encodeURIComponent(m.conversation_id)}/messages/${encodeURIComponent(m.id)}/report`, body);
    $("#report-panel").hidden = true;
    target = null;
    showNotice("Reported: the server's admins will look at it.");
  }));
}
