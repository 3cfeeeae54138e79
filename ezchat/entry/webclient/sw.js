// The service worker of the EZChat web client: shows the Web Push notifications the server
// sends (docs/api.md, Notifications), and opens the conversation when one is clicked.
// Served at /sw.js so that its scope is the whole client.

self.addEventListener("push", (event) => {
  let n = {};
  try {
    n = event.data ? event.data.json() : {};
  } catch (err) {
    n = {};
  }
  const who = (n.sender && (n.sender.display_name || n.sender.username)) || "Someone";
  const title = n.conversation_type === "group" && n.conversation_name
    ? `${who} in ${n.conversation_name}`
    : who;
  const text = n.preview || (n.attachments ? "sent an attachment" : "sent a message");
  const more = n.count > 1 ? ` (${n.count} unread)` : "";
  // userVisibleOnly: every push must show something, even one the worker cannot read.
  event.waitUntil(self.registration.showNotification(title, {
    body: text + more,
    tag: n.conversation_id || "ezchat", // a newer one for the conversation replaces it
    renotify: true,
    data: { conversation_id: n.conversation_id || null, id: n.id || null },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const conversationId = event.notification.data && event.notification.data.conversation_id;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).pathname === "/") {
        client.postMessage({ type: "open", conversation_id: conversationId });
        return client.focus();
      }
    }
    return self.clients.openWindow("/" + (conversationId ? `#${conversationId}` : ""));
  })());
});
