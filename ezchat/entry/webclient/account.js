// Your data, from the profile panel: "Export my data" (a zip built by the server in the
// background; listed here with its state, downloaded with the token, never by a link that
// could leak) and "Delete my account" (with the password, after a confirmation).
import { disablePush } from "./push.js";
import { $, button, ctx, el, guarded } from "./state.js";

let polling = null;

function describe(e) {
  if (e.status === "ready") return `ready · ${Math.ceil(e.size / 1024)} KiB · until ${new Date(e.expires_at).toLocaleString()}`;
  if (e.status === "failed") return "failed: ask for a new one";
  return "being prepared…";
}

async function download(e) {
  const blob = await ctx.api.blob(e.url);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `ezchat-export-${e.created_at.slice(0, 10)}.zip`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

export async function showExports() {
  const { exports } = await ctx.api.call("GET", "/api/users/me/exports");
  $("#export-list").replaceChildren(...exports.map((e) => {
    const item = el("li", "row");
    item.setAttribute("data-testid", "export");
    item.dataset.status = e.status;
    item.append(el("span", "", describe(e)));
    if (e.status === "ready") item.append(button("download", guarded(() => download(e)), "export-download"));
    item.append(button("remove", guarded(async () => {
      await ctx.api.call("DELETE", `/api/users/me/exports/${encodeURIComponent(e.id)}`);
      await showExports();
    })));
    return item;
  }));
  clearTimeout(polling);
  // While one is being prepared and the panel is open, look again now and then.
  if (exports.some((e) => e.status === "pending") && !$("#profile").hidden) {
    polling = setTimeout(guarded(showExports), 1500);
  }
}

export function wireAccount() {
  $("#export-request").addEventListener("click", guarded(async () => {
    await ctx.api.call("POST", "/api/users/me/export");
    await showExports();
  }));
  $("#delete-account-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const password = event.target.password.value;
    const sure = window.confirm(
      "Delete your account? You cannot log in again, you leave every group, and your contacts go. This cannot be undone.");
    if (!sure) return;
    await disablePush(ctx.api).catch(() => {});
    await ctx.api.call("DELETE", "/api/users/me", { password });
    ctx.api.setToken(null);
    window.location.reload();
  }));
}
