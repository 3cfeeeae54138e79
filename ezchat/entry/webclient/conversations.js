// The conversation list and the open conversation: its history (always fetched the first time
// it opens, whatever arrived live before), older pages, the unread line, reading, the address
// (#id, so a reload comes back to it), its members and settings.
import { renderPinSetting, renderPinsButton } from "./pins.js";
import { closeThread } from "./threads.js";
import { attachmentsSummary } from "./files.js";
import { hooks, renderMessages, storeMessages } from "./messages.js";
import { $, button, ctx, el, guarded, loadUsers, myRole, state } from "./state.js";

const PAGE = 50;

export function other(conv) {
  const m = conv.members.find((x) => x.user_id !== state.me.id);
  return m ? state.users.get(m.user_id) : null;
}

export function title(conv) {
  if (conv.type === "group") return conv.name;
  const user = other(conv);
  if (!user) return "(direct)";
  return user.bot ? `${user.display_name} 🤖` : user.display_name;
}

function activity(conv) {
  return conv.last_message ? conv.last_message.created_at : conv.created_at;
}

export async function loadConversations() {
  const { conversations } = await ctx.api.call("GET", "/api/conversations?limit=100");
  for (const c of conversations) {
    // The list may have been read before a message that already came live: never let it
    // take the conversation back to an older last message.
    const known = state.conversations.get(c.id);
    if (known && known.last_seq > c.last_seq) {
      c.last_message = known.last_message;
      c.last_seq = known.last_seq;
      c.unread_count = known.unread_count;
    }
    state.conversations.set(c.id, c);
  }
  await loadUsers(conversations.flatMap((c) => c.members.map((m) => m.user_id)));
  renderList();
}

function preview(conv) {
  const m = conv.last_message;
  if (!m) return "";
  if (m.deleted) return "(deleted)";
  return m.text ? m.text.slice(0, 200) : attachmentsSummary(m.attachments);
}

export function renderList() {
  const list = $("#conversation-list");
  const ordered = [...state.conversations.values()].sort((a, b) =>
    (b.pinned - a.pinned) || activity(b).localeCompare(activity(a)));
  const items = [];
  let unread = 0;
  for (const conv of ordered) {
    const item = el("li");
    item.setAttribute("data-testid", "conversation-item");
    item.dataset.conversationId = conv.id;
    item.classList.toggle("current", conv.id === state.current);
    const peer = conv.type === "direct" ? other(conv) : null;
    const dot = el("span", `dot ${peer ? peer.status : "group"}`);
    item.append(dot, el("strong", "name", ` ${title(conv)} `));
    if (conv.unread_count > 0 && conv.id !== state.current) {
      const badge = el("span", "badge", String(conv.unread_count));
      badge.setAttribute("data-testid", "unread-badge");
      item.append(badge);
      if (!conv.muted) unread += conv.unread_count;
    }
    item.append(el("div", "last", preview(conv)));
    item.addEventListener("click", guarded(() => openConversation(conv.id)));
    items.push(item);
  }
  list.replaceChildren(...items);
  document.title = unread ? `(${unread}) EZChat` : "EZChat";
}

async function fetchPage(id, before) {
  const bound = before ? `&before=${before}` : "";
  const page = await ctx.api.call("GET", `/api/conversations/${id}/messages?limit=${PAGE}${bound}`);
  storeMessages(id, page.messages);
  return page.has_more;
}

// One older page of the open conversation; whether there was one to load.
hooks.loadOlder = async () => {
  const id = state.current;
  if (!id || !state.older.get(id)) return false;
  const first = Math.min(...state.messages.get(id).keys());
  state.older.set(id, false); // one page at a time
  state.older.set(id, await fetchPage(id, first));
  return true;
};

export async function openConversation(id) {
  const conv = state.conversations.get(id);
  if (!conv) return;
  state.current = id;
  if (state.thread && state.thread.conversationId !== id) closeThread();
  if (window.location.hash.slice(1) !== id) history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  document.body.classList.add("in-conversation");
  // Fresh users: a new partner's presence is theirs only once the conversation is shared.
  await loadUsers(conv.members.map((m) => m.user_id), { fresh: conv.type === "direct" });
  $("#conversation").hidden = false;
  $("#conversation-title").textContent = title(conv);
  $("#typing-indicator").textContent = "";
  $("#members-panel").hidden = true;
  $("#pins-panel").hidden = true;
  renderPinsButton();
  $("#notify-level").value = conv.notify || "all";
  state.unreadFrom.set(id, conv.unread_count > 0 ? conv.read_seq + 1 : null);
  if (!state.loaded.has(id)) {
    // Messages that came live before it was opened are kept, and the history is fetched too:
    // the newest page, merged with them.
    state.older.set(id, await fetchPage(id, null));
    state.loaded.add(id);
  }
  const { receipts } = await ctx.api.call("GET", `/api/conversations/${id}/receipts`);
  state.receipts.set(id, new Map(receipts.map((r) => [r.user_id, r.read_seq])));
  renderMessages({ toBottom: true });
  const marker = $("#message-list").querySelector('[data-testid="unread-marker"]');
  if (marker) marker.scrollIntoView({ block: "start" });
  renderList();
  markRead();
  $("#message-input").focus();
}

export function closeConversation() {
  state.current = null;
  closeThread();
  history.replaceState(null, "", window.location.pathname + window.location.search);
  document.body.classList.remove("in-conversation");
  $("#conversation").hidden = true;
  renderList();
}

export function markRead() {
  const conv = state.conversations.get(state.current);
  if (!conv || !conv.last_seq || conv.read_seq >= conv.last_seq || document.hidden) return;
  conv.read_seq = conv.last_seq;
  conv.unread_count = 0;
  const read = { conversation_id: conv.id, seq: conv.last_seq };
  const done = ctx.socket && ctx.socket.online
    ? ctx.socket.request("read", read)
    : ctx.api.call("POST", `/api/conversations/${conv.id}/read`, { seq: conv.last_seq });
  done.catch(() => {}); // the next read moves it anyway
  renderList();
}

// -- members and settings --------------------------------------------------------------------

export function renderMembers() {
  const conv = state.conversations.get(state.current);
  if (!conv) return;
  const admin = conv.type === "group" && myRole(conv) === "admin";
  $("#add-member").hidden = !admin;
  $("#rename").hidden = !admin;
  $("#leave").hidden = conv.type !== "group";
  $("#rename input").value = conv.name || "";
  renderPinSetting(conv);
  const items = [];
  for (const m of conv.members) {
    const item = el("li");
    item.setAttribute("data-testid", "member-item");
    const user = state.users.get(m.user_id);
    item.append(el("span", `dot ${user ? user.status : ""}`), ` ${user ? user.display_name : m.user_id} `);
    if (m.role === "admin") item.append(el("span", "role", "admin"));
    if (admin && m.user_id !== state.me.id) {
      const promote = m.role === "admin" ? "make member" : "make admin";
      item.append(button(promote, () => changeRole(conv, m)));
      item.append(button("remove", async () => {
        if (!window.confirm(`Remove ${user ? user.display_name : "them"} from ${conv.name}?`)) return;
        await ctx.api.call("DELETE", `/api/conversations/${conv.id}/members/${m.user_id}`);
        await refresh(conv.id);
      }));
    }
    items.push(item);
  }
  $("#member-list").replaceChildren(...items);
}

async function changeRole(conv, m) {
  const role = m.role === "admin" ? "member" : "admin";
  const body = { role };
  state.conversations.set(conv.id, await ctx.api.call("PATCH", `/api/conversations/${conv.id}/members/${m.user_id}`, body));
  renderMembers();
}

export async function refresh(id) {
  const conv = await ctx.api.call("GET", `/api/conversations/${id}`);
  state.conversations.set(id, conv);
  await loadUsers(conv.members.map((m) => m.user_id));
  if (state.current === id) {
    $("#conversation-title").textContent = title(conv);
    renderMembers();
  }
  renderList();
}

export function wireConversation(findUser) {
  $("#back").addEventListener("click", closeConversation);
  $("#members-open").addEventListener("click", guarded(async () => {
    const panel = $("#members-panel");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) {
      await loadUsers(state.conversations.get(state.current).members.map((m) => m.user_id));
      renderMembers();
    }
  }));
  $("#add-member").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const input = event.target.querySelector("input");
    const user = await findUser(input.value);
    const conv = await ctx.api.call("POST", `/api/conversations/${state.current}/members`, { user_id: user.id });
    input.value = "";
    state.conversations.set(conv.id, conv);
    renderMembers();
    renderList();
  }));
  $("#rename").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const name = event.target.querySelector("input").value;
    const conv = await ctx.api.call("PATCH", `/api/conversations/${state.current}`, { name });
    state.conversations.set(conv.id, conv);
    $("#conversation-title").textContent = title(conv);
    renderList();
  }));
  $("#leave").addEventListener("click", guarded(async () => {
    const conv = state.conversations.get(state.current);
    if (!window.confirm(`Leave ${conv.name}?`)) return;
    await ctx.api.call("DELETE", `/api/conversations/${conv.id}/members/${state.me.id}`);
    state.conversations.delete(conv.id);
    closeConversation();
  }));
  $("#notify-level").addEventListener("change", guarded(async (event) => {
    const conv = await ctx.api.call("PUT", `/api/conversations/${state.current}/settings`, { notify: event.target.value });
    state.conversations.set(conv.id, conv);
  }));
}
