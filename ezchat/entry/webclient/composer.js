// Writing: a textarea (Enter sends, Shift+Enter is a new line), a reply being written, files
// staged until the message goes, typing notices, and sends that survive a lost connection
// (pending, sent again with the same client_id) or a refusal (the text comes back to the box).
import { renderList } from "./conversations.js";
import { Staged } from "./files.js";
import { hooks, renderMessages, storeMessages } from "./messages.js";
import { scheduleAt, scheduleSend } from "./schedule.js";
import { $, ctx, displayName, guarded, showError, state } from "./state.js";

let staged = null;
let replyingTo = null; // the message being answered

function setReply(m) {
  replyingTo = m;
  const box = $("#replying");
  box.hidden = !m;
  if (m) {
    $("#replying-text").textContent = `Replying to ${displayName(m.sender_id)}: ${(m.text || "📎").slice(0, 120)}`;
    $("#message-input").focus();
  }
}

// Send one pending message. Offline, it stays pending and goes after the reconnect: the same
// client_id makes a repeat harmless (the server answers with the original).
export async function deliver(clientId) {
  const p = state.pending.get(clientId);
  if (!p || !ctx.socket.online) return;
  try {
    const send = { conversation_id: p.conversation_id, client_id: clientId, text: p.text };
    if (p.attachments && p.attachments.length) send.attachments = p.attachments;
    if (p.reply_to) send.reply_to = p.reply_to;
    const { message } = await ctx.socket.request("message.send", send);
    state.pending.delete(clientId);
    storeMessages(p.conversation_id, [message]);
  } catch (err) {
    if (err.status !== 0) { // refused, not lost: say why, and give the words back
      state.pending.delete(clientId);
      const input = $("#message-input");
      if (p.conversation_id === state.current && !input.value) input.value = p.text;
      showError(err);
    }
  }
  if (p.conversation_id === state.current) renderMessages({ toBottom: true });
  renderList();
}

async function submit() {
  const input = $("#message-input");
  const text = input.value;
  if ((!text.trim() && staged.empty) || !state.current) return;
  const conversationId = state.current;
  const attachments = staged.empty ? [] : await staged.take(); // waits for the uploads
  const later = scheduleAt();
  if (later) { // kept by the server for then; the words stay in the box if it refuses
    const body = { client_id: crypto.randomUUID(), text, send_at: later, attachments: attachments.map((a) => ({ file_id: a.file_id })) };
    if (replyingTo && replyingTo.conversation_id === conversationId) body.reply_to = replyingTo.id;
    await scheduleSend(conversationId, body);
    input.value = "";
    setReply(null);
    return;
  }
  input.value = "";
  const clientId = crypto.randomUUID();
  state.pending.set(clientId, {
    conversation_id: conversationId,
    text,
    attachments: attachments.map((a) => ({ file_id: a.file_id })),
    names: attachments.map((a) => a.name),
    reply_to: replyingTo && replyingTo.conversation_id === conversationId ? replyingTo.id : null,
  });
  setReply(null);
  renderMessages({ toBottom: true });
  await deliver(clientId);
}

export function wireComposer() {
  staged = new Staged(ctx.api, () => { $("#staged").replaceChildren(...staged.view()); });
  hooks.reply = setReply;
  $("#reply-cancel").addEventListener("click", () => setReply(null));
  $("#composer").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    await submit();
  }));
  const input = $("#message-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      guarded(submit)();
    } else if (event.key === "Escape") {
      setReply(null);
    }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (!state.current || !ctx.socket.online || now - state.lastTyping < 2000) return;
    state.lastTyping = now;
    ctx.socket.request("typing", { conversation_id: state.current, is_typing: true }).catch(() => {});
  });
  $("#attach").addEventListener("click", () => $("#attach-input").click());
  $("#attach-input").addEventListener("change", (event) => {
    staged.add([...event.target.files]);
    event.target.value = "";
  });
  input.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) { event.preventDefault(); staged.add(files); }
  });
  const area = $("#conversation");
  area.addEventListener("dragover", (event) => {
    if ([...event.dataTransfer.types].includes("Files")) { event.preventDefault(); area.classList.add("dropping"); }
  });
  area.addEventListener("dragleave", () => area.classList.remove("dropping"));
  area.addEventListener("drop", (event) => {
    area.classList.remove("dropping");
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    staged.add([...event.dataTransfer.files]);
  });
}
