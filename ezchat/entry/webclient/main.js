// The EZChat web client: a reference for client authors as much as a product. Plain modules,
// no build step, one job each: state.js (what is shared), api.js (REST and the socket),
// conversations.js, messages.js, threads.js, pins.js, schedule.js, versions.js, forward.js,
// composer.js, files.js, people.js, search.js, events.js, format.js (safe text), push.js,
// account.js (export, delete), report.js, admin.js. The API may live on another origin the server allows
// (WEB_API_ORIGINS): open the page with ?api=https://host.
import { Api, Socket, apiOrigin } from "./api.js";
import { wireComposer } from "./composer.js";
import { loadConversations, openConversation, wireConversation } from "./conversations.js";
import { onEvent, onHello, wireEvents } from "./events.js";
import { findUser, wirePeople } from "./people.js";
import { disablePush, enablePush, pushSupported, renewPush } from "./push.js";
import { wireSearch } from "./search.js";
import { $, ctx, guarded, showError, state } from "./state.js";
import { wirePins } from "./pins.js";
import { wireForward } from "./forward.js";
import { wireSchedule } from "./schedule.js";
import { wireThreads } from "./threads.js";
import { wireAccount } from "./account.js";
import { showAdmin, wireAdmin } from "./admin.js";
import { wireReport } from "./report.js";

const allowedApis = document.querySelector('meta[name="ezchat-api-origins"]');
let apiRefused = null;
try {
  const origin = apiOrigin(window.location.search, window.location.origin, allowedApis && allowedApis.content);
  ctx.api = new Api(origin, window.location.origin);
} catch (err) {
  apiRefused = err;
}

// -- sign in ---------------------------------------------------------------------------------

$("#auth-form").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { username: form.username.value.trim(), password: form.password.value };
  const how = event.submitter && event.submitter.value === "register" ? "register" : "login";
  // An invite link (/?invite=CODE): registering here needs the code (REGISTRATION=invite).
  const invite = new URLSearchParams(window.location.search).get("invite");
  if (how === "register" && invite) body.invite = invite;
  const answer = await ctx.api.call("POST", `/api/auth/${how}`, body);
  ctx.api.setToken(answer.token);
  await enter(answer.user);
}));

$("#logout").addEventListener("click", async () => {
  // This browser stops receiving the user's notifications, and the token is revoked on the
  // server too: a copy of it left anywhere stops working.
  await disablePush(ctx.api).catch(() => {});
  await ctx.api.call("POST", "/api/auth/logout").catch(() => {});
  ctx.api.setToken(null);
  window.location.reload();
});

async function enter(me) {
  state.me = me;
  state.users.set(me.id, me);
  $("#auth").hidden = true;
  $("#chat").hidden = false;
  $("#me").textContent = me.display_name;
  showAdmin(me);
  await loadConversations();
  ctx.socket = new Socket(ctx.api, {
    onEvent,
    onState: (text) => { $("#connection-state").textContent = text; },
    onHello: guarded(onHello),
  });
  ctx.socket.connect();
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
  showOn(Boolean(await renewPush(ctx.api).catch(() => null)));
  toggle.addEventListener("click", guarded(async () => {
    if (toggle.dataset.on === "true") {
      await disablePush(ctx.api);
      showOn(false);
    } else {
      await enablePush(ctx.api);
      showOn(true);
    }
  }));
  // A notification clicked while the client is open: the worker asks us to open its conversation.
  navigator.serviceWorker.addEventListener("message", guarded(async (event) => {
    const id = event.data && event.data.type === "open" && event.data.conversation_id;
    if (id && state.conversations.has(id)) await openConversation(id);
  }));
}

// -- start -----------------------------------------------------------------------------------

function showSignIn() {
  $("#auth").hidden = false;
  if (ctx.api.foreign) {
    // The password goes to the API's origin, not to the one in the address bar: say so.
    const notice = $("#auth-target");
    notice.textContent = `You are signing in to ${ctx.api.origin}, not to ${window.location.origin}.`;
    notice.hidden = false;
  }
}

(async () => {
  if (apiRefused) { $("#error").dataset.lasting = "1"; showError(apiRefused); return; }
  wireConversation(findUser);
  wireComposer();
  wirePeople();
  wireSearch();
  wireEvents();
  wireThreads(openConversation);
  wirePins();
  wireSchedule();
  wireForward();
  wireAccount();
  wireReport();
  wireAdmin();
  if (!ctx.api.token) { showSignIn(); return; }
  try {
    await enter(await ctx.api.call("GET", "/api/users/me"));
  } catch (err) {
    ctx.api.setToken(null);
    showSignIn();
    if (err.status !== 401) showError(err);
  }
})();
