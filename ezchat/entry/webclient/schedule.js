// Scheduled sends: a ⏰ beside Send opens a time field; with a time set, Send keeps the message
// for then. The "Scheduled" list shows what waits (or failed, with why) and cancels it.
import { $, button, ctx, el, guarded, showError } from "./state.js";

// The time picked in the composer, as RFC 3339, or null to send now.
export function scheduleAt() {
  const field = $("#schedule-at");
  if (field.hidden || !field.value) return null;
  return new Date(field.value).toISOString(); // the local time the person picked, with its offset
}

export async function scheduleSend(conversationId, body) {
  const { scheduled } = await ctx.api.call(
    "POST", `/api/conversations/${encodeURIComponent(conversationId)}/messages`, body);
  $("#schedule-at").value = "";
  $("#schedule-at").hidden = true;
  $("#schedule-note").textContent = `Scheduled for ${new Date(scheduled.send_at).toLocaleString()}`;
  $("#schedule-note").hidden = false;
  setTimeout(() => { $("#schedule-note").hidden = true; }, 4000);
  if ($("#scheduled").open) await renderScheduled();
}

async function renderScheduled() {
  const { scheduled } = await ctx.api.call("GET", "/api/scheduled");
  const items = scheduled.map((s) => {
    const item = el("li");
    item.setAttribute("data-testid", "scheduled-item");
    item.append(el("div", "last", s.text || "📎 attachment"));
    const when = el("div", "where", new Date(s.send_at).toLocaleString());
    if (s.state === "failed") when.append(" · not sent: ", el("span", "error-text", s.error));
    item.append(when);
    item.append(button("cancel", async () => {
      await ctx.api.call("DELETE", `/api/scheduled/${encodeURIComponent(s.id)}`);
      await renderScheduled();
    }, "scheduled-cancel"));
    return item;
  });
  $("#scheduled-list").replaceChildren(...items);
  if (!items.length) $("#scheduled-list").append(el("li", "note", "Nothing scheduled"));
}

export function wireSchedule() {
  $("#schedule").addEventListener("click", () => {
    const field = $("#schedule-at");
    field.hidden = !field.hidden;
    if (!field.hidden) {
      // Ten minutes from now, in the local time the field shows, as a starting point.
      const start = new Date(Date.now() + 10 * 60 * 1000 - new Date().getTimezoneOffset() * 60000);
      field.value = start.toISOString().slice(0, 16);
      field.focus();
    }
  });
  $("#scheduled").addEventListener("toggle", guarded(async () => {
    if ($("#scheduled").open) await renderScheduled();
  }));
  window.addEventListener("focus", () => { if ($("#scheduled").open) renderScheduled().catch(showError); });
}
