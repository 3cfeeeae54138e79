// Pins: a pin/unpin action on messages (for whoever may pin here), a 📌 on pinned ones, and
// the conversation's pinned messages in a panel opened from the header (a click jumps there).
import { jumpTo } from "./messages.js";
import { $, button, ctx, el, guarded, myRole, state } from "./state.js";

function mayPin(conv) {
  return conv.type === "direct" || myRole(conv) === "admin" || conv.members_can_pin;
}

function pinsPath(conversationId, messageId) {
  const base = `/api/conversations/${encodeURIComponent(conversationId)}/pins`;
  return messageId ? `${base}/${encodeURIComponent(messageId)}` : base;
}

// The action under a message, or null where the reader may not pin.
export function pinAction(m, conv) {
  if (!conv || !mayPin(conv)) return null;
  return button(m.pinned ? "unpin" : "pin", async () => {
    await ctx.api.call(m.pinned ? "DELETE" : "PUT", pinsPath(m.conversation_id, m.id));
  }, m.pinned ? "unpin-action" : "pin-action");
}

export function pinMark() {
  const mark = el("span", "pin-mark", "📌");
  mark.title = "pinned";
  mark.setAttribute("data-testid", "pinned-mark");
  return mark;
}

// The header's button: how many are pinned (hidden when none).
export function renderPinsButton() {
  const conv = state.conversations.get(state.current);
  const open = $("#pins-open");
  open.hidden = !conv || !conv.pin_count;
  if (conv) open.textContent = `📌 ${conv.pin_count}`;
  if (open.hidden) $("#pins-panel").hidden = true;
  else if (!$("#pins-panel").hidden) showPins().catch(() => {});
}

async function showPins() {
  const conversationId = state.current;
  const { messages } = await ctx.api.call("GET", pinsPath(conversationId));
  const items = messages.map((m) => {
    const item = el("li");
    item.setAttribute("data-testid", "pinned-message");
    item.append(el("div", "last", (m.text || "📎 attachment").slice(0, 140)));
    item.addEventListener("click", guarded(() => jumpTo(conversationId, m.id)));
    return item;
  });
  $("#pinned-list").replaceChildren(...items);
}

// In the members panel, for a group's admins: whether every member may pin.
export function renderPinSetting(conv) {
  const admin = conv.type === "group" && myRole(conv) === "admin";
  $("#members-can-pin-label").hidden = !admin;
  $("#members-can-pin").checked = Boolean(conv.members_can_pin);
}

export function wirePins() {
  $("#members-can-pin").addEventListener("change", guarded(async (event) => {
    const body = { members_can_pin: event.target.checked };
    const conv = await ctx.api.call("PATCH", `/api/conversations/${encodeURIComponent(state.current)}`, body);
    state.conversations.set(conv.id, conv);
  }));
  $("#pins-open").addEventListener("click", guarded(async () => {
    const panel = $("#pins-panel");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) await showPins();
  }));
}
