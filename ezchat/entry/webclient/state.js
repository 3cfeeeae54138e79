// What the modules of the client share: the API and socket, what is known (conversations,
// messages, people), and how errors reach the person (shown, never swallowed).

export const $ = (selector) => document.querySelector(selector);

export const ctx = { api: null, socket: null };

export const state = {
  me: null,
  current: null, // the open conversation's id
  conversations: new Map(), // id -> Conversation
  messages: new Map(), // conversation id -> Map(seq -> Message)
  loaded: new Set(), // conversations whose newest page of history was fetched
  older: new Map(), // conversation id -> whether older messages remain to load
  revs: new Map(), // conversation id -> the highest rev seen (what sync continues from)
  receipts: new Map(), // conversation id -> Map(user id -> read_seq)
  pending: new Map(), // client_id -> {conversation_id, text, attachments, reply_to}: not yet acked
  users: new Map(), // user id -> User
  contacts: new Map(), // user id -> Contact
  typing: new Map(), // user id -> timer
  unreadFrom: new Map(), // conversation id -> the first unread seq when it was opened
  thread: null, // the open thread panel: {conversationId, rootId, messages: Map(seq -> Message), older, following}
  lastTyping: 0,
};

let errorTimer = null;
export function showError(err) {
  const box = $("#error");
  box.textContent = err.message || String(err);
  box.hidden = false;
  clearTimeout(errorTimer);
  if (!box.dataset.lasting) errorTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

let noticeTimer = null;
export function showNotice(text) {
  const box = $("#notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 5000);
}

export function guarded(fn) {
  return (...args) => Promise.resolve(fn(...args)).catch(showError);
}

export function button(label, action, testid) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (testid) b.setAttribute("data-testid", testid);
  b.addEventListener("click", guarded(action));
  return b;
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export async function loadUsers(ids, { fresh = false } = {}) {
  const wanted = [...new Set(ids)].filter((id) => fresh || !state.users.has(id));
  await Promise.all(wanted.map(async (id) => {
    state.users.set(id, await ctx.api.call("GET", `/api/users/${encodeURIComponent(id)}`));
  }));
}

// A person's name as shown; bots are marked as bots wherever their name appears.
export function displayName(userId) {
  const user = state.users.get(userId);
  if (!user) return "someone";
  return user.bot ? `${user.display_name} 🤖` : user.display_name;
}

// Who may do what in a conversation: the caller's own member entry.
export function myRole(conv) {
  const me = conv.members.find((m) => m.user_id === state.me.id);
  return me ? me.role : null;
}
