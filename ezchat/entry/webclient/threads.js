// Threads: a side panel with a root and its replies (its own composer), the "N replies" chip
// under a root, and the list of followed threads with their unread replies. Replies also stay
// in the conversation's timeline, quoting what they answer.
import { findMessage, messageItem, renderMessages } from "./messages.js";
import { $, button, ctx, el, guarded, showError, state } from "./state.js";

const PAGE = 100;
let listTimer = null;

function path(conversationId, rootId, tail) {
  return `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(rootId)}/${tail}`;
}

// The chip under a root with replies: opens its thread.
export function threadChip(m) {
  const n = m.thread ? m.thread.reply_count : 0;
  const chip = button(n ? `💬 ${n} ${n === 1 ? "reply" : "replies"}` : "💬 thread",
    () => openThread(m.conversation_id, m.id), n ? "thread-open" : "thread-action");
  chip.className = n ? "thread-chip" : "";
  return chip;
}

export async function openThread(conversationId, rootId) {
  const { messages, has_more } = await ctx.api.call("GET", `${path(conversationId, rootId, "thread")}?limit=${PAGE}`);
  const byseq = new Map(messages.map((m) => [m.seq, m]));
  const root = messages.find((m) => m.thread_root === null) || findMessage(conversationId, rootId);
  state.thread = { conversationId, rootId: root ? root.id : rootId, messages: byseq, older: has_more, following: null };
  $("#thread-panel").hidden = false;
  document.body.classList.add("in-thread");
  renderThread({ toBottom: true });
  await markThreadRead();
  $("#thread-input").focus();
}

export function closeThread() {
  state.thread = null;
  $("#thread-panel").hidden = true;
  document.body.classList.remove("in-thread");
}

async function loadEarlier() {
  const t = state.thread;
  const first = Math.min(...t.messages.keys());
  const { messages, has_more } = await ctx.api.call(
    "GET", `${path(t.conversationId, t.rootId, "thread")}?limit=${PAGE}&before=${first}`);
  for (const m of messages) t.messages.set(m.seq, m);
  t.older = has_more;
  renderThread();
}

export function renderThread({ toBottom = false } = {}) {
  const t = state.thread;
  if (!t) return;
  const list = $("#thread-messages");
  const stick = toBottom || list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const items = [];
  if (t.older) {
    const more = el("li", "older");
    more.append(button("load earlier replies", loadEarlier));
    items.push(more);
  }
  for (const m of [...t.messages.values()].sort((a, b) => a.seq - b.seq)) {
    items.push(messageItem(m, false, { inThread: true }));
  }
  list.replaceChildren(...items);
  if (stick) list.scrollTop = list.scrollHeight;
  const follow = $("#thread-follow");
  follow.hidden = t.following === null;
  follow.textContent = t.following ? "Unfollow" : "Follow";
}

async function markThreadRead() {
  const t = state.thread;
  if (!t || document.hidden) return;
  const newest = Math.max(...t.messages.keys());
  const view = await ctx.api.call("POST", path(t.conversationId, t.rootId, "thread/read"), { seq: newest });
  if (state.thread === t) { t.following = view.following; renderThread(); }
  scheduleThreadList();
}

// A message or an edit came: the open thread takes it when it belongs there.
export function threadTakes(m) {
  const t = state.thread;
  if (!t || m.conversation_id !== t.conversationId) return false;
  if (m.thread_root !== t.rootId && m.id !== t.rootId) return false;
  t.messages.set(m.seq, m);
  renderThread({ toBottom: m.sender_id === state.me.id });
  if (m.thread_root && m.sender_id !== state.me.id) markThreadRead().catch(showError);
  return true;
}

// A thread.updated frame: the root shows the new summary wherever it is shown.
export function onThreadUpdated(p) {
  const root = findMessage(p.conversation_id, p.message_id);
  if (root) {
    const updated = { ...root, thread: p.thread };
    state.messages.get(p.conversation_id).set(root.seq, updated);
    if (p.conversation_id === state.current) renderMessages();
  }
  const t = state.thread;
  if (t && t.rootId === p.message_id) {
    for (const [seq, m] of t.messages) if (m.id === p.message_id) t.messages.set(seq, { ...m, thread: p.thread });
    renderThread();
  }
  scheduleThreadList();
}

async function sendReply() {
  const t = state.thread;
  const input = $("#thread-input");
  const text = input.value;
  if (!t || !text.trim()) return;
  input.value = "";
  try {
    const { message } = await ctx.socket.request("message.send", {
      conversation_id: t.conversationId, client_id: crypto.randomUUID(), text, reply_to: t.rootId,
    });
    threadTakes(message);
    t.following = true;
    renderThread({ toBottom: true });
  } catch (err) {
    if (!input.value) input.value = text; // the words come back
    throw err;
  }
}

// -- the followed threads list ---------------------------------------------------------------

function scheduleThreadList() {
  if (!$("#threads").open) return;
  clearTimeout(listTimer);
  listTimer = setTimeout(guarded(renderThreadList), 300);
}

async function renderThreadList() {
  const { threads } = await ctx.api.call("GET", "/api/threads?limit=50");
  const items = threads.map((th) => {
    const item = el("li");
    item.setAttribute("data-testid", "followed-thread");
    const text = th.root.deleted ? "message deleted" : (th.root.text || "📎 attachment");
    item.append(el("div", "last", text.slice(0, 140)));
    const line = el("div", "where", `${th.root.thread ? th.root.thread.reply_count : 0} replies`);
    if (th.unread_count) {
      const badge = el("span", "badge", String(th.unread_count));
      badge.setAttribute("data-testid", "thread-unread");
      line.append(" ", badge);
    }
    item.append(line);
    item.addEventListener("click", guarded(async () => {
      await hooks.openConversation(th.conversation_id);
      await openThread(th.conversation_id, th.root.id);
    }));
    return item;
  });
  $("#followed-threads").replaceChildren(...items);
  if (!items.length) $("#followed-threads").append(el("li", "note", "No threads followed yet"));
}

export const hooks = { openConversation: async () => {} };

export function wireThreads(openConversation) {
  hooks.openConversation = openConversation;
  $("#thread-close").addEventListener("click", closeThread);
  $("#thread-follow").addEventListener("click", guarded(async () => {
    const t = state.thread;
    const view = await ctx.api.call(t.following ? "DELETE" : "PUT", path(t.conversationId, t.rootId, "follow"));
    t.following = view.following;
    renderThread();
    scheduleThreadList();
  }));
  $("#thread-composer").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    await sendReply();
  }));
  $("#thread-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      guarded(sendReply)();
    } else if (event.key === "Escape") {
      closeThread();
    }
  });
  $("#threads").addEventListener("toggle", guarded(async () => { if ($("#threads").open) await renderThreadList(); }));
}
