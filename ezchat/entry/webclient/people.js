// People: finding someone to chat with (suggestions as you type), contacts (accept, block,
// remove), starting direct and group chats, and one's own profile (name, avatar, password,
// logging out everywhere).
import { openConversation, renderList } from "./conversations.js";
import { showExports } from "./account.js";
import { $, button, ctx, el, guarded, state, showError } from "./state.js";

export async function findUser(username) {
  const name = username.trim().toLowerCase().replace(/^@/, "");
  const { users } = await ctx.api.call("GET", `/api/users?q=${encodeURIComponent(name)}&limit=20`);
  const user = users.find((u) => u.username === name);
  if (!user) throw new Error(`no user named ${name}`);
  if (!state.users.has(user.id)) state.users.set(user.id, user);
  return user;
}

// Suggestions under a username field: people whose name starts with what was typed.
function suggest(input) {
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim().replace(/^@/, "");
    const list = document.getElementById(input.getAttribute("list"));
    if (!q) { list.replaceChildren(); return; }
    timer = setTimeout(guarded(async () => {
      const { users } = await ctx.api.call("GET", `/api/users?q=${encodeURIComponent(q)}&limit=8`);
      list.replaceChildren(...users.filter((u) => u.id !== state.me.id).map((u) => {
        const option = document.createElement("option");
        option.value = u.username;
        option.textContent = u.display_name;
        return option;
      }));
    }), 150);
  });
}

export async function loadContacts() {
  const { contacts } = await ctx.api.call("GET", "/api/contacts");
  state.contacts = new Map(contacts.map((c) => [c.user.id, c]));
  for (const c of contacts) state.users.set(c.user.id, { ...state.users.get(c.user.id), ...c.user });
  renderContacts();
}

export function renderContacts() {
  const items = [];
  for (const c of state.contacts.values()) {
    const item = el("li");
    item.setAttribute("data-testid", "contact-item");
    item.dataset.state = c.state;
    item.append(el("span", `dot ${c.user.status}`), ` ${c.user.display_name} `, el("span", "state", c.state));
    const path = `/api/contacts/${encodeURIComponent(c.user.id)}`;
    if (c.state === "incoming") item.append(button("accept", () => change("POST", `${path}/accept`)));
    if (c.state === "accepted") {
      item.append(button("chat", async () => {
        const conv = await ctx.api.call("POST", "/api/conversations", { type: "direct", user_id: c.user.id });
        state.conversations.set(conv.id, conv);
        await openConversation(conv.id);
      }));
    }
    if (c.state !== "blocked") item.append(button("block", () => change("POST", `${path}/block`)));
    item.append(button(c.state === "blocked" ? "unblock" : "remove", () => change("DELETE", path)));
    items.push(item);
  }
  $("#contact-list").replaceChildren(...items);
}

async function change(method, path) {
  await ctx.api.call(method, path);
  await loadContacts();
}

function showProfile() {
  const panel = $("#profile");
  panel.hidden = !panel.hidden;
  if (panel.hidden) return;
  $("#profile-name").value = state.me.display_name;
  $("#profile-avatar").value = state.me.avatar_url || "";
  showExports().catch(showError);
}

export function wirePeople() {
  for (const input of document.querySelectorAll("input[list]")) suggest(input);
  $("#new-direct").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const input = event.target.querySelector("input");
    const user = await findUser(input.value);
    const conv = await ctx.api.call("POST", "/api/conversations", { type: "direct", user_id: user.id });
    input.value = "";
    state.conversations.set(conv.id, conv);
    await openConversation(conv.id);
  }));
  $("#new-group").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const names = $("#group-members").value.split(",").map((s) => s.trim()).filter(Boolean);
    const members = await Promise.all(names.map(findUser));
    const conv = await ctx.api.call("POST", "/api/conversations", {
      type: "group", name: $("#group-name").value, member_ids: members.map((u) => u.id),
    });
    event.target.reset();
    state.conversations.set(conv.id, conv);
    await openConversation(conv.id);
  }));
  $("#add-contact").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const input = event.target.querySelector("input");
    const user = await findUser(input.value);
    await ctx.api.call("POST", "/api/contacts", { user_id: user.id });
    input.value = "";
    await loadContacts();
  }));
  $("#profile-open").addEventListener("click", showProfile);
  $("#profile-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const body = { display_name: $("#profile-name").value };
    const avatar = $("#profile-avatar").value.trim();
    body.avatar_url = avatar || null;
    state.me = await ctx.api.call("PATCH", "/api/users/me", body);
    state.users.set(state.me.id, state.me);
    $("#me").textContent = state.me.display_name;
    $("#profile").hidden = true;
    renderList();
  }));
  $("#password-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const form = event.target;
    await ctx.api.call("PUT", "/api/users/me/password", {
      current_password: form.current.value, new_password: form.next.value,
    });
    form.reset();
    $("#profile-note").textContent = "Password changed; your other sessions are signed out.";
  }));
  $("#logout-all").addEventListener("click", guarded(async () => {
    if (!window.confirm("Sign out on every device?")) return;
    await ctx.api.call("POST", "/api/auth/logout-all");
    ctx.api.setToken(null);
    window.location.reload();
  }));
}
