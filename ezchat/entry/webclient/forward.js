// Forwarding: "forward" under a message picks another conversation and sends a copy there
// (the server copies text and files, and marks where it came from).
import { title } from "./conversations.js";
import { $, button, ctx, el, guarded, showError, state } from "./state.js";

let source = null; // the message being forwarded

export function forwardAction(m) {
  return button("forward", () => {
    source = m;
    const choice = $("#forward-to");
    const targets = [...state.conversations.values()].filter((c) => c.id !== m.conversation_id);
    choice.replaceChildren(...targets.map((c) => {
      const option = el("option", "", title(c));
      option.value = c.id;
      return option;
    }));
    $("#forward-panel").hidden = targets.length === 0;
    if (!targets.length) showError(new Error("no other conversation to forward to"));
  }, "forward-action");
}

export function forwardedMark() {
  const mark = el("div", "forwarded", "↪ forwarded");
  mark.setAttribute("data-testid", "forwarded-mark");
  return mark;
}

export function wireForward() {
  $("#forward-cancel").addEventListener("click", () => { $("#forward-panel").hidden = true; });
  $("#forward-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const target = $("#forward-to").value;
    if (!source || !target) return;
    await ctx.api.call("POST", `/api/conversations/${encodeURIComponent(target)}/messages`, {
      client_id: crypto.randomUUID(),
      forward_of: { conversation_id: source.conversation_id, message_id: source.id },
    });
    $("#forward-panel").hidden = true;
    source = null;
  }));
}
