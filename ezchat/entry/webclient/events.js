// What the server says over the WebSocket, and catching up after a reconnect: new
// conversations, then every change since the last rev seen of each (sync), then the sends
// that never got their ack.
import { deliver } from "./composer.js";
import { loadConversations, markRead, refresh, renderList, renderMembers } from "./conversations.js";
import { nearBottom, renderMessages, showJump, storeMessages } from "./messages.js";
import { loadContacts, renderContacts } from "./people.js";
import { $, ctx, displayName, guarded, loadUsers, showError, state } from "./state.js";
import { renderPinsButton } from "./pins.js";
import { onThreadUpdated, threadTakes } from "./threads.js";

export async function onHello() {
  await loadConversations();
  const revs = {};
  for (const id of state.conversations.keys()) if (state.messages.has(id)) revs[id] = state.revs.get(id) || 0;
  let more = true;
  while (more && Object.keys(revs).length) {
    const { conversations } = await ctx.socket.request("sync", { conversations: revs });
    more = false;
    for (const [id, result] of Object.entries(conversations)) {
      storeMessages(id, result.messages);
      revs[id] = result.rev;
      if (result.has_more) more = true; else delete revs[id];
    }
  }
  for (const clientId of [...state.pending.keys()]) await deliver(clientId);
  if (state.current) { renderMessages({ toBottom: nearBottom() }); markRead(); }
  renderList();
  loadContacts().catch(showError);
}

function clearTyping(userId) {
  clearTimeout(state.typing.get(userId));
  state.typing.delete(userId);
  if (!state.typing.size) $("#typing-indicator").textContent = "";
}

function onMessage(frame) {
  const m = frame.payload.message;
  storeMessages(m.conversation_id, [m]);
  threadTakes(m);
  const conv = state.conversations.get(m.conversation_id);
  if (!conv) { loadConversations().catch(showError); return; }
  if (frame.type === "message.new" && m.sender_id !== state.me.id) {
    if (m.conversation_id === state.current && !document.hidden) markRead();
    else conv.unread_count += 1;
    clearTyping(m.sender_id);
  }
  if (m.conversation_id === state.current) {
    const mine = m.sender_id === state.me.id && frame.type === "message.new";
    renderMessages({ toBottom: mine });
  }
  renderList();
}

export function onEvent(frame) {
  const p = frame.payload;
  switch (frame.type) {
    case "message.new":
    case "message.updated":
      onMessage(frame);
      break;
    case "thread.updated":
      onThreadUpdated(p);
      break;
    case "typing":
      if (p.conversation_id === state.current && p.user_id !== state.me.id) {
        clearTyping(p.user_id);
        if (p.is_typing) {
          $("#typing-indicator").textContent = `${displayName(p.user_id)} is typing…`;
          state.typing.set(p.user_id, setTimeout(() => clearTyping(p.user_id), 6000));
        }
      }
      break;
    case "receipt": {
      if (!state.receipts.has(p.conversation_id)) state.receipts.set(p.conversation_id, new Map());
      state.receipts.get(p.conversation_id).set(p.user_id, p.read_seq);
      if (p.conversation_id === state.current) renderMessages();
      break;
    }
    case "presence": {
      const user = state.users.get(p.user_id);
      if (user) { user.status = p.status; user.last_seen = p.last_seen; renderList(); }
      const contact = state.contacts.get(p.user_id);
      if (contact) { contact.user.status = p.status; renderContacts(); }
      if (!$("#members-panel").hidden) renderMembers();
      break;
    }
    case "conversation.created":
    case "conversation.updated":
      state.conversations.set(p.conversation.id, p.conversation);
      if (p.conversation.id === state.current) { renderPinsButton(); renderMessages(); }
      loadUsers(p.conversation.members.map((m) => m.user_id), { fresh: frame.type === "conversation.created" })
        .then(() => {
          renderList();
          if (p.conversation.id === state.current && !$("#members-panel").hidden) renderMembers();
        }, showError);
      break;
    case "conversation.deleted":
      state.conversations.delete(p.conversation.id);
      if (state.current === p.conversation.id) { state.current = null; $("#conversation").hidden = true; }
      renderList();
      break;
    case "member.added":
    case "member.removed":
      if (p.user_id === state.me.id && frame.type === "member.removed") {
        state.conversations.delete(p.conversation_id);
        if (state.current === p.conversation_id) { state.current = null; $("#conversation").hidden = true; }
        renderList();
      } else if (state.conversations.has(p.conversation_id)) {
        refresh(p.conversation_id).catch(showError);
      } else {
        loadConversations().catch(showError);
      }
      break;
    case "unauthorized":
      ctx.api.setToken(null);
      showError(new Error(`signed out: ${p.message || "please log in again"}`));
      $("#chat").hidden = true;
      $("#auth").hidden = false;
      break;
    case "error":
      showError(new Error(p.message));
      break;
    default:
      break;
  }
}

export function wireEvents() {
  document.addEventListener("visibilitychange", () => { if (state.current) markRead(); });
  $("#message-list").addEventListener("scroll", () => {
    showJump();
    if (nearBottom()) markRead();
  });
  $("#jump-latest").addEventListener("click", guarded(() => renderMessages({ toBottom: true })));
}
