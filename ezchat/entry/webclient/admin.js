// The server admin's page (for a user whose role is "admin"): accounts (find, disable,
// enable, delete), reports (read what was reported, as it was, and resolve), invites (make,
// see what is left of each, revoke). Everything goes through /api/admin/..., which answers
// 403 to anyone else: this page only hides what the server refuses anyway.
import { $, button, ctx, el, guarded, showNotice, state } from "./state.js";

const q = encodeURIComponent;
let usersCursor = null;

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function userRow(u) {
  const item = el("li", "row");
  item.setAttribute("data-testid", "admin-user");
  item.dataset.username = u.username;
  const shown = u.deleted ? "deleted" : u.disabled ? "disabled" : "active";
  item.dataset.state = shown;
  item.append(el("strong", "", u.display_name), el("span", "", `@${u.username}`),
    el("span", "note", `${u.role} · ${shown} · joined ${when(u.created_at)} · seen ${when(u.last_seen)}`));
  if (u.deleted || u.id === state.me.id) return item;
  const toggle = u.disabled ? "enable" : "disable";
  item.append(button(toggle, guarded(async () => {
    const changed = await ctx.api.call("POST", `/api/admin/users/${q(u.id)}/${toggle}`);
    item.replaceWith(userRow(changed));
  }), `admin-${toggle}`));
  item.append(button("delete", guarded(async () => {
    if (!window.confirm(`Delete the account @${u.username}? This cannot be undone.`)) return;
    await ctx.api.call("DELETE", `/api/admin/users/${q(u.id)}`);
    item.replaceWith(userRow({ ...u, deleted: true, display_name: "Deleted user" }));
  }), "admin-delete"));
  return item;
}

async function showUsers(more = false) {
  const prefix = $("#admin-user-search").q.value.trim();
  const cursor = more && usersCursor ? `&cursor=${q(usersCursor)}` : "";
  const page = await ctx.api.call("GET", `/api/admin/users?q=${q(prefix)}&limit=50${cursor}`);
  const rows = page.users.map(userRow);
  if (more) $("#admin-users").append(...rows);
  else $("#admin-users").replaceChildren(...rows);
  usersCursor = page.next_cursor;
  $("#admin-users-more").hidden = !usersCursor;
}

function reportRow(r) {
  const item = el("li");
  item.setAttribute("data-testid", "admin-report");
  item.dataset.status = r.status;
  const sender = state.users.get(r.sender_id);
  const reporter = state.users.get(r.reporter_id);
  item.append(
    el("div", "quoted", r.text || "(no text)"),
    el("div", "note", `${r.category || "no kind"} · by ${reporter ? reporter.display_name : r.reporter_id} about ${sender ? sender.display_name : r.sender_id} · ${when(r.created_at)}`),
    el("div", "", r.reason),
  );
  if (r.status === "resolved") {
    item.append(el("div", "note", `resolved: ${r.action} · ${when(r.resolved_at)}`));
    return item;
  }
  const actions = el("div", "row");
  for (const [action, label] of [["dismiss", "dismiss"], ["delete_message", "delete the message"], ["disable_user", "disable the sender"]]) {
    actions.append(button(label, guarded(async () => {
      const { report } = await ctx.api.call("POST", `/api/admin/reports/${q(r.id)}/resolve`, { action });
      item.replaceWith(reportRow(report));
    }), `admin-resolve-${action}`));
  }
  item.append(actions);
  return item;
}

async function showReports() {
  const status = $("#admin-report-status").value;
  const { reports } = await ctx.api.call("GET", `/api/admin/reports?status=${q(status)}&limit=50`);
  const ids = [...new Set(reports.flatMap((r) => [r.sender_id, r.reporter_id]))].filter((id) => !state.users.has(id));
  await Promise.all(ids.map(async (id) => {
    state.users.set(id, await ctx.api.call("GET", `/api/users/${q(id)}`).catch(() => ({ id, display_name: id })));
  }));
  $("#admin-reports").replaceChildren(...(reports.length ? reports.map(reportRow) : [el("li", "note", "nothing here")]));
}

function inviteRow(i) {
  const item = el("li", "row");
  item.setAttribute("data-testid", "admin-invite");
  item.append(el("span", "", `${i.left} of ${i.uses} left · until ${when(i.expires_at)}`));
  item.append(button("revoke", guarded(async () => {
    await ctx.api.call("DELETE", `/api/admin/invites/${q(i.id)}`);
    item.remove();
  }), "admin-revoke"));
  return item;
}

async function showInvites() {
  const { invites } = await ctx.api.call("GET", "/api/admin/invites");
  $("#admin-invites").replaceChildren(...invites.map(inviteRow));
}

async function open() {
  $("#admin-panel").hidden = false;
  await Promise.all([showUsers(), showReports(), showInvites()]);
}

export function showAdmin(me) {
  $("#admin-open").hidden = me.role !== "admin";
}

export function wireAdmin() {
  $("#admin-open").addEventListener("click", guarded(open));
  $("#admin-close").addEventListener("click", () => { $("#admin-panel").hidden = true; });
  $("#admin-user-search").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    await showUsers();
  }));
  $("#admin-users-more").addEventListener("click", guarded(() => showUsers(true)));
  $("#admin-report-status").addEventListener("change", guarded(showReports));
  $("#admin-invite-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const form = event.target;
    const made = await ctx.api.call("POST", "/api/admin/invites",
      { uses: Number(form.uses.value), expires_in: Number(form.expires_in.value) });
    const note = $("#admin-invite-made");
    note.replaceChildren("Shown this once: ", el("span", "", made.url));
    note.firstElementChild.id = "invite-url";
    note.hidden = false;
    showNotice("Invite made: copy its link now");
    await showInvites();
  }));
}
