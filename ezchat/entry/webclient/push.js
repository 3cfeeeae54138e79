// Web Push from the page: ask permission, subscribe through the service worker with the
// server's VAPID key, and hand the subscription to the server; undo it all on logout.

// A browser whose push service cannot be reached may never settle subscribe(): give up.
const SUBSCRIBE_TIMEOUT_MS = 30000;

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function sameKey(buffer, base64url) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  const b = keyBytes(base64url);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function enablePush(api) {
  if (!pushSupported()) throw new Error("this browser has no Web Push");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("notifications are blocked for this site");
  const registration = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  const { public_key: key } = await api.call("GET", "/api/push/vapid-public-key");
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe(); // made for another server key: useless now
    subscription = null;
  }
  if (!subscription) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("it did not answer")), SUBSCRIBE_TIMEOUT_MS);
    });
    try {
      subscription = await Promise.race([
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }),
        late,
      ]);
    } catch (err) {
      throw new Error(`the browser's push service refused: ${err.message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  await api.call("POST", "/api/push/subscriptions", subscription.toJSON());
  return subscription;
}

// The subscription this browser holds, handed to the server again (after logging in, it is
// the new user's), or null.
export async function renewPush(api) {
  if (!pushSupported() || Notification.permission !== "granted") return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  if (!subscription) return null;
  await api.call("POST", "/api/push/subscriptions", subscription.toJSON());
  return subscription;
}

export async function disablePush(api) {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  if (!subscription) return;
  const endpoint = encodeURIComponent(subscription.endpoint);
  await api.call("DELETE", `/api/push/subscriptions?endpoint=${endpoint}`).catch(() => {});
  await subscription.unsubscribe();
}
