// The open conversation's messages: day separators, the unread line, times, replies with the
// quoted original, reactions with a small picker, edit and delete, "seen", and scrolling that
// keeps the reader's place while older pages arrive above.
import { attachmentView } from "./files.js";
import { dayOf, previewCard, renderText, timeOf } from "./format.js";
import { $, button, ctx, displayName, el, guarded, myRole, state } from "./state.js";
import { pinAction, pinMark } from "./pins.js";
import { forwardAction, forwardedMark } from "./forward.js";
import { reportAction } from "./report.js";
import { threadChip } from "./threads.js";
import { editedButton } from "./versions.js";

export const EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];
const NEAR_BOTTOM_PX = 80;
const FLASH_MS = 2500;
let flash = null; // the message a jump brought into view, marked a moment

export const hooks = { reply: () => {}, loadOlder: async () => false };

export function storeMessages(conversationId, list) {
  if (!state.messages.has(conversationId)) state.messages.set(conversationId, new Map());
  const byseq = state.messages.get(conversationId);
  for (const m of list) {
    byseq.set(m.seq, m);
    // Our own send, stored (its event may come before its ack): no longer pending.
    if (m.sender_id === state.me.id) state.pending.delete(m.client_id);
    state.revs.set(conversationId, Math.max(state.revs.get(conversationId) || 0, m.rev));
    const conv = state.conversations.get(conversationId);
    if (conv && (!conv.last_message || conv.last_message.seq <= m.seq)) {
      conv.last_message = m;
      conv.last_seq = Math.max(conv.last_seq, m.seq);
    }
  }
}

export function findMessage(conversationId, messageId) {
  for (const m of (state.messages.get(conversationId) || new Map()).values()) {
    if (m.id === messageId) return m;
  }
  return null;
}

function seenSeq(conversationId) {
  const readers = state.receipts.get(conversationId) || new Map();
  let best = 0;
  for (const [user, seq] of readers) if (user !== state.me.id) best = Math.max(best, seq);
  return best;
}

export function nearBottom() {
  const list = $("#message-list");
  return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
}

// The first message in view and where it is: what a re-render must put back in place.
function anchor() {
  const list = $("#message-list");
  for (const item of list.querySelectorAll("li[data-seq]")) {
    if (item.offsetTop + item.offsetHeight > list.scrollTop) {
      return { seq: item.dataset.seq, offset: item.offsetTop - list.scrollTop };
    }
  }
  return null;
}

let observer = null;

export function renderMessages({ toBottom = false } = {}) {
  const list = $("#message-list");
  const id = state.current;
  if (!id) return;
  const stick = toBottom || nearBottom();
  const place = stick ? null : anchor();
  const messages = [...(state.messages.get(id) || new Map()).values()].sort((a, b) => a.seq - b.seq);
  const seen = seenSeq(id);
  const lastSeen = Math.max(0, ...messages.filter((m) => m.sender_id === state.me.id && m.seq <= seen).map((m) => m.seq));
  const unreadFrom = state.unreadFrom.get(id);
  const items = [];
  if (state.older.get(id)) items.push(el("li", "older", "loading older messages…"));
  let day = null;
  for (const m of messages) {
    const thisDay = dayOf(m.created_at);
    if (thisDay !== day) {
      day = thisDay;
      const sep = el("li", "day-separator", thisDay);
      sep.setAttribute("role", "separator");
      items.push(sep);
    }
    if (unreadFrom && m.seq === unreadFrom) {
      const line = el("li", "unread-marker", "New messages");
      line.setAttribute("data-testid", "unread-marker");
      items.push(line);
    }
    items.push(messageItem(m, m.seq === lastSeen));
  }
  for (const [clientId, p] of state.pending) {
    if (p.conversation_id === id) items.push(pendingItem(clientId, p));
  }
  list.replaceChildren(...items);
  if (stick) list.scrollTop = list.scrollHeight;
  else if (place) {
    const again = list.querySelector(`li[data-seq="${place.seq}"]`);
    if (again) list.scrollTop = again.offsetTop - place.offset;
  }
  watchTop(list);
  showJump();
}

// Older pages load when the top of the list comes into view: an observer, not scroll events
// (at scrollTop 0 the wheel fires none, and scroll-back stalled there).
function watchTop(list) {
  if (observer) observer.disconnect();
  const top = list.querySelector("li.older");
  if (!top) return;
  observer = new IntersectionObserver(guarded(async (entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    observer.disconnect();
    if (await hooks.loadOlder()) renderMessages();
  }), { root: list });
  observer.observe(top);
}

export function showJump() {
  $("#jump-latest").hidden = nearBottom();
}

function quoteOf(m) {
  const quote = el("button", "reply-quote");
  quote.type = "button";
  quote.setAttribute("data-testid", "reply-quote");
  const original = findMessage(m.conversation_id, m.reply_to);
  if (original) {
    quote.append(el("strong", "", displayName(original.sender_id)), " ");
    quote.append(original.deleted ? "message deleted" : (original.text || "📎 attachment").slice(0, 140));
  } else {
    quote.append("↩ an earlier message");
  }
  quote.addEventListener("click", guarded(() => jumpTo(m.conversation_id, m.reply_to)));
  return quote;
}

// Bring a message into view (loading older pages until it is there) and mark it a moment.
export async function jumpTo(conversationId, messageId, seq) {
  const has = () => (seq !== undefined
    ? (state.messages.get(conversationId) || new Map()).has(seq)
    : Boolean(findMessage(conversationId, messageId)));
  while (!has() && state.older.get(conversationId)) {
    if (!(await hooks.loadOlder())) break;
  }
  renderMessages();
  const m = seq !== undefined ? state.messages.get(conversationId).get(seq) : findMessage(conversationId, messageId);
  const item = m && $("#message-list").querySelector(`li[data-seq="${m.seq}"]`);
  if (!item) return;
  item.scrollIntoView({ block: "center" });
  flash = { conversationId, seq: m.seq, until: Date.now() + FLASH_MS }; // kept over re-renders
  item.classList.add("flash");
  setTimeout(() => { if (flash && flash.seq === m.seq) { flash = null; renderMessages(); } }, FLASH_MS);
  showJump();
}

function reactionPicker(m) {
  const wrap = el("span", "picker-wrap");
  const open = button("☺+", () => { picker.hidden = !picker.hidden; }, "reaction-picker");
  open.title = "react";
  const picker = el("span", "picker");
  picker.hidden = true;
  for (const emoji of EMOJI) {
    picker.append(button(emoji, async () => {
      picker.hidden = true;
      await react(m, emoji, !(m.reactions[emoji] || []).includes(state.me.id));
    }));
  }
  wrap.append(open, picker);
  return wrap;
}

function react(m, emoji, add) {
  return ctx.socket.request(add ? "reaction.add" : "reaction.remove",
    { conversation_id: m.conversation_id, message_id: m.id, emoji });
}

// ``inThread``: shown in the thread panel, where every message is of the thread already.
export function messageItem(m, seen, { inThread = false } = {}) {
  const item = el("li");
  item.setAttribute("data-testid", "message");
  item.dataset.seq = m.seq;
  item.dataset.messageId = m.id;
  item.dataset.state = "sent";
  const mine = m.sender_id === state.me.id;
  item.classList.toggle("mine", mine);
  item.classList.toggle("deleted", m.deleted);
  if (flash && flash.conversationId === m.conversation_id && flash.seq === m.seq && Date.now() < flash.until) {
    item.classList.add("flash");
  }
  const conv = state.conversations.get(m.conversation_id);
  if (conv && conv.type === "group" && !mine) item.append(el("div", "sender", displayName(m.sender_id)));
  if (m.forwarded_from && !m.deleted) item.append(forwardedMark());
  if (m.reply_to && !m.deleted && !inThread) item.append(quoteOf(m));
  const text = el("div", "text");
  if (m.deleted) text.textContent = "message deleted";
  else text.append(renderText(m.text));
  text.hidden = !m.deleted && !m.text; // attachments only
  const files = el("div", "attachments");
  if (!m.deleted) for (const a of m.attachments) files.append(attachmentView(a, ctx.api.base));
  item.append(text, files);
  if (!m.deleted) for (const p of m.previews || []) item.append(previewCard(p));
  item.append(meta(m, mine, conv, seen, inThread));
  return item;
}

function meta(m, mine, conv, seen, inThread) {
  const line = el("div", "meta");
  const time = el("time", "", timeOf(m.created_at));
  time.dateTime = m.created_at;
  time.title = new Date(m.created_at).toLocaleString();
  time.setAttribute("data-testid", "message-time");
  if (m.pinned) line.append(pinMark());
  line.append(time);
  if (m.edited_at && !m.deleted) line.append(editedButton(m));
  if (m.thread && m.thread.reply_count && !inThread) line.append(threadChip(m));
  for (const [emoji, who] of Object.entries(m.reactions)) {
    const mineToo = who.includes(state.me.id);
    const chip = button(`${emoji} ${who.length}`, () => react(m, emoji, !mineToo));
    chip.className = mineToo ? "reaction mine" : "reaction";
    chip.title = who.map(displayName).join(", ");
    line.append(chip);
  }
  if (m.deleted) return line;
  line.append(reactionPicker(m));
  if (!inThread) {
    const pin = pinAction(m, conv);
    if (pin) line.append(pin);
    line.append(button("reply", () => hooks.reply(m), "reply-action"));
    line.append(forwardAction(m));
    const report = reportAction(m);
    if (report) line.append(report);
    if (!m.thread || !m.thread.reply_count) line.append(threadChip(m.thread_root ? { ...m, id: m.thread_root, thread: null } : m));
  }
  const admin = conv && conv.type === "group" && myRole(conv) === "admin";
  if (mine) {
    line.append(button("edit", async () => {
      const text = window.prompt("Edit message", m.text);
      if (text !== null && text !== m.text) {
        await ctx.socket.request("message.edit", { conversation_id: m.conversation_id, message_id: m.id, text });
      }
    }));
  }
  if (mine || admin) {
    line.append(button("delete", async () => {
      if (!window.confirm("Delete this message for everyone?")) return;
      await ctx.socket.request("message.delete", { conversation_id: m.conversation_id, message_id: m.id });
    }));
  }
  if (seen) line.append(" · seen");
  return line;
}

function pendingItem(clientId, p) {
  const item = el("li", "mine");
  item.setAttribute("data-testid", "message");
  item.dataset.state = "pending";
  item.dataset.clientId = clientId;
  const text = el("div", "text");
  text.append(renderText(p.text || (p.names || []).map((n) => `📎 ${n}`).join(" ")));
  item.append(text, el("div", "meta", "sending…"));
  return item;
}
