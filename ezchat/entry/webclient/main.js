// The EZChat web client: a reference for client authors as much as a product. Plain modules,
// no build step. The API may live on another origin the server allows (WEB_API_ORIGINS): open
// the page with ?api=https://host.
import { Api, Socket, apiOrigin } from "./api.js";
import { Staged, attachmentView, attachmentsSummary } from "./files.js";
import { disablePush, enablePush, pushSupported, renewPush } from "./push.js";

const $ = (selector) => document.querySelector(selector);
const allowedApis = document.querySelector('meta[name="ezchat-api-origins"]');
let api = null;
let apiRefused = null;
try {
  const origin = apiOrigin(window.location.search, window.location.origin, allowedApis && allowedApis.content);
  api = new Api(origin, window.location.origin);
} catch (err) {
  apiRefused = err;
}

const state = {
  me: null,
  socket: null,
  current: null, // the open conversation's id
  conversations: new Map(), // id -> Conversation
  messages: new Map(), // conversation id -> Map(seq -> Message)
  older: new Map(), // conversation id -> whether older messages remain to load
  revs: new Map(), // conversation id -> the highest rev seen (what sync continues from)
  receipts: new Map(), // conversation id -> Map(user id -> read_seq)
  pending: new Map(), // client_id -> {conversation_id, text, attachments}: shown, not yet acked
  users: new Map(), // user id -> User
  typing: new Map(), // user id -> timer
  lastTyping: 0,
};

// -- errors are shown, never swallowed -----------------------------------------------------

let errorTimer = null;
function showError(err) {
  const box = $("#error");
  box.textContent = err.message || String(err);
  box.hidden = false;
  clearTimeout(errorTimer);
  if (!box.dataset.lasting) errorTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

function guarded(fn) {
  return (...args) => Promise.resolve(fn(...args)).catch(showError);
}

// -- sign in ---------------------------------------------------------------------------------

$("#auth-form").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { username: form.username.value.trim(), password: form.password.value };
  const how = event.submitter && event.submitter.value === "register" ? "register" : "login";
  const answer = await api.call("POST", `/api/auth/${how}`, body);
  api.setToken(answer.token);
  await enter(answer.user);
}));

$("#logout").addEventListener("click", async () => {
  // This browser stops receiving the user's notifications, and the token is revoked on the
  // server too: a copy of it left anywhere stops working.
  await disablePush(api).catch(() => {});
  await api.call("POST", "/api/auth/logout").catch(() => {});
  api.setToken(null);
  window.location.reload();
});

async function enter(me) {
  state.me = me;
  state.users.set(me.id, me);
  $("#auth").hidden = true;
  $("#chat").hidden = false;
  $("#me").textContent = me.display_name;
  await loadConversations();
  state.socket = new Socket(api, { onEvent, onState, onHello: guarded(onHello) });
  state.socket.connect();
  await setUpNotifications();
  const wanted = decodeURIComponent(window.location.hash.slice(1));
  if (wanted && state.conversations.has(wanted)) await openConversation(wanted);
}

// -- notifications (Web Push through the service worker) -------------------------------------

async function setUpNotifications() {
  const toggle = $("#notifications");
  if (!pushSupported()) return;
  const showOn = (on) => {
    toggle.textContent = on ? "Notifications on" : "Notify me";
    toggle.dataset.on = on ? "true" : "false";
  };
  toggle.hidden = false;
  showOn(Boolean(await renewPush(api).catch(() => null)));
  toggle.addEventListener("click", guarded(async () => {
    if (toggle.dataset.on === "true") {
      await disablePush(api);
      showOn(false);
    } else {
      await enablePush(api);
      showOn(true);
    }
  }));
  // A notification clicked while the client is open: the worker asks us to open its conversation.
  navigator.serviceWorker.addEventListener("message", guarded(async (event) => {
    const id = event.data && event.data.type === "open" && event.data.conversation_id;
    if (id && state.conversations.has(id)) await openConversation(id);
  }));
}

function onState(text) {
  $("#connection-state").textContent = text;
}

// -- conversations ---------------------------------------------------------------------------

async function loadConversations() {
  const { conversations } = await api.call("GET", "/api/conversations?limit=100");
  for (const c of conversations) state.conversations.set(c.id, c);
  await loadUsers(conversations.flatMap((c) => c.members.map((m) => m.user_id)));
  renderList();
}

async function loadUsers(ids) {
  const missing = [...new Set(ids)].filter((id) => !state.users.has(id));
  await Promise.all(missing.map(async (id) => {
    state.users.set(id, await api.call("GET", `/api/users/${encodeURIComponent(id)}`));
  }));
}

function other(conv) {
  const m = conv.members.find((x) => x.user_id !== state.me.id);
  return m ? state.users.get(m.user_id) : null;
}

function title(conv) {
  if (conv.type === "group") return conv.name;
  const user = other(conv);
  return user ? user.display_name : "(direct)";
}

function renderList() {
  const list = $("#conversation-list");
  list.replaceChildren();
  const ordered = [...state.conversations.values()].sort((a, b) =>
    (b.pinned - a.pinned) || activity(b).localeCompare(activity(a)));
  for (const conv of ordered) {
    const item = document.createElement("li");
    item.setAttribute("data-testid", "conversation-item");
    item.dataset.conversationId = conv.id;
    item.classList.toggle("current", conv.id === state.current);
    const dot = document.createElement("span");
    const peer = conv.type === "direct" ? other(conv) : null;
    dot.className = `dot ${peer ? peer.status : ""}`;
    const name = document.createElement("strong");
    name.textContent = ` ${title(conv)} `;
    item.append(dot, name);
    if (conv.unread_count > 0 && conv.id !== state.current) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("data-testid", "unread-badge");
      badge.textContent = conv.unread_count;
      item.append(badge);
    }
    const last = document.createElement("div");
    last.className = "last";
    const lm = conv.last_message;
    last.textContent = !lm ? "" : lm.deleted ? "(deleted)" : lm.text || attachmentsSummary(lm.attachments);
    item.append(last);
    item.addEventListener("click", guarded(() => openConversation(conv.id)));
    list.append(item);
  }
}

function activity(conv) {
  return conv.last_message ? conv.last_message.created_at : conv.created_at;
}

async function findUser(username) {
  const name = username.trim().toLowerCase();
  const { users } = await api.call("GET", `/api/users?q=${encodeURIComponent(name)}&limit=20`);
  const user = users.find((u) => u.username === name);
  if (!user) throw new Error(`no user named ${name}`);
  state.users.set(user.id, user);
  return user;
}

$("#new-direct").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const input = event.target.querySelector("input");
  const user = await findUser(input.value);
  const conv = await api.call("POST", "/api/conversations", { type: "direct", user_id: user.id });
  input.value = "";
  state.conversations.set(conv.id, conv);
  await openConversation(conv.id);
}));

$("#new-group").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const names = $("#group-members").value.split(",").map((s) => s.trim()).filter(Boolean);
  const members = await Promise.all(names.map(findUser));
  const conv = await api.call("POST", "/api/conversations", {
    type: "group", name: $("#group-name").value, member_ids: members.map((u) => u.id),
  });
  event.target.reset();
  state.conversations.set(conv.id, conv);
  await openConversation(conv.id);
}));

$("#add-member").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const input = event.target.querySelector("input");
  const user = await findUser(input.value);
  const conv = await api.call("POST", `/api/conversations/${state.current}/members`, { user_id: user.id });
  input.value = "";
  state.conversations.set(conv.id, conv);
  renderList();
}));

// -- one conversation ------------------------------------------------------------------------

async function openConversation(id) {
  state.current = id;
  const conv = state.conversations.get(id);
  await loadUsers(conv.members.map((m) => m.user_id));
  $("#conversation").hidden = false;
  $("#conversation-title").textContent = title(conv);
  $("#add-member").hidden = conv.type !== "group";
  $("#typing-indicator").textContent = "";
  if (!state.messages.has(id)) {
    const page = await api.call("GET", `/api/conversations/${id}/messages?limit=50`);
    store(id, page.messages);
    state.older.set(id, page.has_more);
  }
  const { receipts } = await api.call("GET", `/api/conversations/${id}/receipts`);
  state.receipts.set(id, new Map(receipts.map((r) => [r.user_id, r.read_seq])));
  renderMessages(true);
  renderList();
  markRead();
}

function store(conversationId, list) {
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

$("#message-list").addEventListener("scroll", guarded(async (event) => {
  const id = state.current;
  if (event.target.scrollTop > 0 || !state.older.get(id)) return;
  const first = Math.min(...state.messages.get(id).keys());
  state.older.set(id, false); // one page at a time
  const page = await api.call("GET", `/api/conversations/${id}/messages?before=${first}&limit=50`);
  store(id, page.messages);
  state.older.set(id, page.has_more);
  renderMessages(false);
}));

function renderMessages(toBottom) {
  const list = $("#message-list");
  const id = state.current;
  const seen = seenSeq(id);
  const mine = [...(state.messages.get(id) || new Map()).values()]
    .filter((m) => m.sender_id === state.me.id).map((m) => m.seq);
  const lastSeen = Math.max(0, ...mine.filter((s) => s <= seen));
  list.replaceChildren();
  const sorted = [...(state.messages.get(id) || new Map()).values()].sort((a, b) => a.seq - b.seq);
  for (const m of sorted) list.append(messageItem(m, m.seq === lastSeen));
  for (const [clientId, p] of state.pending) {
    if (p.conversation_id === id) list.append(pendingItem(clientId, p));
  }
  if (toBottom) list.scrollTop = list.scrollHeight;
}

function seenSeq(conversationId) {
  const readers = state.receipts.get(conversationId) || new Map();
  let best = 0;
  for (const [user, seq] of readers) if (user !== state.me.id) best = Math.max(best, seq);
  return best;
}

function messageItem(m, seen) {
  const item = document.createElement("li");
  item.setAttribute("data-testid", "message");
  item.dataset.seq = m.seq;
  item.dataset.state = "sent";
  item.classList.toggle("mine", m.sender_id === state.me.id);
  item.classList.toggle("deleted", m.deleted);
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = m.deleted ? "message deleted" : m.text;
  if (!m.deleted && !m.text) text.hidden = true; // attachments only
  const files = document.createElement("div");
  files.className = "attachments";
  if (!m.deleted) for (const a of m.attachments) files.append(attachmentView(a, api.base));
  const meta = document.createElement("div");
  meta.className = "meta";
  const sender = state.users.get(m.sender_id);
  meta.append(`${sender ? sender.display_name : "?"}${m.edited_at ? " (edited)" : ""} `);
  for (const [emoji, who] of Object.entries(m.reactions)) meta.append(`${emoji} ${who.length} `);
  if (!m.deleted) {
    const mineReacted = (m.reactions["👍"] || []).includes(state.me.id);
    meta.append(button(mineReacted ? "un👍" : "👍", () =>
      state.socket.request(mineReacted ? "reaction.remove" : "reaction.add",
        { conversation_id: m.conversation_id, message_id: m.id, emoji: "👍" })));
  }
  if (m.sender_id === state.me.id && !m.deleted) {
    meta.append(button("edit", async () => {
      const text2 = window.prompt("Edit message", m.text);
      if (text2 !== null && text2 !== m.text) {
        await state.socket.request("message.edit",
          { conversation_id: m.conversation_id, message_id: m.id, text: text2 });
      }
    }));
    meta.append(button("delete", () => state.socket.request("message.delete",
      { conversation_id: m.conversation_id, message_id: m.id })));
  }
  if (seen) meta.append(" · seen");
  item.append(text, files, meta);
  return item;
}

function pendingItem(clientId, p) {
  const item = document.createElement("li");
  item.setAttribute("data-testid", "message");
  item.dataset.state = "pending";
  item.dataset.clientId = clientId;
  item.className = "mine";
  item.textContent = p.text || (p.names || []).map((n) => `📎 ${n}`).join(" ");
  return item;
}

function button(label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", guarded(action));
  return b;
}

// -- sending ---------------------------------------------------------------------------------

const staged = new Staged(api, () => { $("#staged").replaceChildren(...staged.view()); });

$("#composer").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const input = $("#message-input");
  const text = input.value;
  if ((!text.trim() && staged.empty) || !state.current) return;
  const conversationId = state.current;
  const attachments = staged.empty ? [] : await staged.take(); // waits for the uploads
  input.value = "";
  const clientId = crypto.randomUUID();
  state.pending.set(clientId, {
    conversation_id: conversationId,
    text,
    attachments: attachments.map((a) => ({ file_id: a.file_id })),
    names: attachments.map((a) => a.name),
  });
  renderMessages(true);
  await deliver(clientId);
}));

$("#attach").addEventListener("click", () => $("#file-input").click());
$("#file-input").addEventListener("change", (event) => {
  staged.add([...event.target.files]);
  event.target.value = "";
});
$("#message-input").addEventListener("paste", (event) => {
  const files = [...(event.clipboardData ? event.clipboardData.files : [])];
  if (files.length) { event.preventDefault(); staged.add(files); }
});
$("#conversation").addEventListener("dragover", (event) => {
  if ([...event.dataTransfer.types].includes("Files")) { event.preventDefault(); $("#conversation").classList.add("dropping"); }
});
$("#conversation").addEventListener("dragleave", () => $("#conversation").classList.remove("dropping"));
$("#conversation").addEventListener("drop", (event) => {
  $("#conversation").classList.remove("dropping");
  if (!event.dataTransfer.files.length) return;
  event.preventDefault();
  staged.add([...event.dataTransfer.files]);
});

// Send one pending message. Offline, it stays pending and goes after the reconnect: the same
// client_id makes a repeat harmless (the server answers with the original).
async function deliver(clientId) {
  const p = state.pending.get(clientId);
  if (!p || !state.socket.online) return;
  try {
    const send = { conversation_id: p.conversation_id, client_id: clientId, text: p.text };
    if (p.attachments && p.attachments.length) send.attachments = p.attachments;
    const { message } = await state.socket.request("message.send", send);
    state.pending.delete(clientId);
    store(p.conversation_id, [message]);
  } catch (err) {
    if (err.status !== 0) { // refused, not lost: say why and stop trying
      state.pending.delete(clientId);
      showError(err);
    }
  }
  if (p.conversation_id === state.current) renderMessages(true);
  renderList();
}

$("#message-input").addEventListener("input", () => {
  const now = Date.now();
  if (!state.current || !state.socket.online || now - state.lastTyping < 2000) return;
  state.lastTyping = now;
  state.socket.request("typing", { conversation_id: state.current, is_typing: true }).catch(showError);
});

function markRead() {
  const conv = state.conversations.get(state.current);
  if (!conv || !conv.last_seq || conv.read_seq >= conv.last_seq || document.hidden) return;
  conv.read_seq = conv.last_seq;
  conv.unread_count = 0;
  const read = { conversation_id: conv.id, seq: conv.last_seq };
  const done = state.socket && state.socket.online
    ? state.socket.request("read", read)
    : api.call("POST", `/api/conversations/${conv.id}/read`, { seq: conv.last_seq });
  done.catch(showError);
  renderList();
}

// -- events ----------------------------------------------------------------------------------

async function onHello() {
  // Whatever happened while disconnected: new conversations, then every change since the last
  // rev seen of each (sync), then the sends that never got their ack.
  await loadConversations();
  const revs = {};
  for (const id of state.conversations.keys()) revs[id] = state.revs.get(id) || 0;
  let more = true;
  while (more && Object.keys(revs).length) {
    const { conversations } = await state.socket.request("sync", { conversations: revs });
    more = false;
    for (const [id, result] of Object.entries(conversations)) {
      if (state.messages.has(id)) store(id, result.messages);
      else state.revs.set(id, result.rev);
      revs[id] = result.rev;
      if (result.has_more) more = true; else delete revs[id];
    }
  }
  for (const clientId of [...state.pending.keys()]) await deliver(clientId);
  if (state.current) { renderMessages(true); markRead(); }
  renderList();
}

function onEvent(frame) {
  const p = frame.payload;
  switch (frame.type) {
    case "message.new":
    case "message.updated": {
      const m = p.message;
      store(m.conversation_id, [m]);
      const conv = state.conversations.get(m.conversation_id);
      if (!conv) { loadConversations().catch(showError); return; }
      if (frame.type === "message.new" && m.sender_id !== state.me.id) {
        if (m.conversation_id === state.current) markRead();
        else conv.unread_count += 1;
        clearTyping(m.sender_id);
      }
      if (m.conversation_id === state.current) renderMessages(true);
      renderList();
      break;
    }
    case "typing":
      if (p.conversation_id === state.current) {
        clearTyping(p.user_id);
        if (p.is_typing) {
          const who = state.users.get(p.user_id);
          $("#typing-indicator").textContent = `${who ? who.display_name : "someone"} is typing…`;
          state.typing.set(p.user_id, setTimeout(() => clearTyping(p.user_id), 6000));
        }
      }
      break;
    case "receipt": {
      if (!state.receipts.has(p.conversation_id)) state.receipts.set(p.conversation_id, new Map());
      state.receipts.get(p.conversation_id).set(p.user_id, p.read_seq);
      if (p.conversation_id === state.current) renderMessages(false);
      break;
    }
    case "presence": {
      const user = state.users.get(p.user_id);
      if (user) { user.status = p.status; user.last_seen = p.last_seen; renderList(); }
      break;
    }
    case "conversation.created":
    case "conversation.updated":
      state.conversations.set(p.conversation.id, p.conversation);
      loadUsers(p.conversation.members.map((m) => m.user_id)).then(renderList, showError);
      break;
    case "conversation.deleted":
      state.conversations.delete(p.conversation.id);
      if (state.current === p.conversation.id) { state.current = null; $("#conversation").hidden = true; }
      renderList();
      break;
    case "member.added":
    case "member.removed":
      loadConversations().catch(showError);
      break;
    case "unauthorized":
      api.setToken(null);
      showError(new Error(`signed out: ${p.message || "please log in again"}`));
      $("#chat").hidden = true;
      showSignIn();
      break;
    case "error":
      showError(new Error(p.message));
      break;
    default:
      break;
  }
}

function clearTyping(userId) {
  clearTimeout(state.typing.get(userId));
  state.typing.delete(userId);
  if (!state.typing.size) $("#typing-indicator").textContent = "";
}

document.addEventListener("visibilitychange", () => { if (state.current) markRead(); });

// -- start -----------------------------------------------------------------------------------

function showSignIn() {
  $("#auth").hidden = false;
  if (api.foreign) {
    // The password goes to the API's origin, not to the one in the address bar: say so.
    const notice = $("#auth-target");
    notice.textContent = `You are signing in to ${api.origin}, not to ${window.location.origin}.`;
    notice.hidden = false;
  }
}

(async () => {
  if (apiRefused) { $("#error").dataset.lasting = "1"; showError(apiRefused); return; }
  if (!api.token) { showSignIn(); return; }
  try {
    await enter(await api.call("GET", "/api/users/me"));
  } catch (err) {
    api.setToken(null);
    showSignIn();
    if (err.status !== 401) showError(err);
  }
})();
