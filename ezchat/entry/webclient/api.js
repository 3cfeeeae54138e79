// The EZChat API from a browser: REST calls with the bearer token, and the WebSocket opened
// with a one-time ticket (never the token in a URL), reconnected with backoff.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "network";
  }
}

// The API this page talks to: its own origin, or the one `?api=` names when that origin is
// one the server lets this page use (listed in <meta name="ezchat-api-origins">, from the
// server's WEB_API_ORIGINS; its Content-Security-Policy refuses any other). Throws for any
// other origin: a link must never make the page send a password or a token elsewhere.
export function apiOrigin(search, pageOrigin, allowedList) {
  const asked = new URLSearchParams(search).get("api");
  if (!asked) return pageOrigin;
  let origin;
  try {
    origin = new URL(asked).origin;
  } catch (err) {
    throw new Error(`?api= is not a URL: ${asked}`);
  }
  if (origin === pageOrigin) return pageOrigin;
  const allowed = (allowedList || "").split(/[\s,]+/).filter(Boolean);
  if (!allowed.includes(origin)) {
    throw new Error(`This page does not use the API at ${origin}; it talks to ${pageOrigin} only.`);
  }
  return origin;
}

// Tokens are kept per API origin: a token is only ever sent to the origin that issued it.
function tokenKey(origin) {
  return `ezchat.token@${origin}`;
}

export class Api {
  constructor(origin, pageOrigin) {
    this.base = origin === pageOrigin ? "" : origin;
    this.origin = origin;
    this.foreign = origin !== pageOrigin; // signing in here sends the password to another site
    if (!this.foreign && localStorage.getItem("ezchat.token")) {
      // Kept by earlier versions, for this page's own origin: moved under its origin's key.
      localStorage.setItem(tokenKey(origin), localStorage.getItem("ezchat.token"));
      localStorage.removeItem("ezchat.token");
    }
    this.token = localStorage.getItem(tokenKey(origin));
  }

  setToken(token) {
    this.token = token;
    if (token) localStorage.setItem(tokenKey(this.origin), token);
    else localStorage.removeItem(tokenKey(this.origin));
  }

  async call(method, path, body) {
    const headers = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, { error: { message: `cannot reach the server (${err.message})` } });
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }
}

// A download that needs the token (an export): the bytes as a Blob.
Api.prototype.blob = async function blob(path) {
  const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
  let response;
  try {
    response = await fetch(this.base + path, { headers });
  } catch (err) {
    throw new ApiError(0, { error: { message: `cannot reach the server (${err.message})` } });
  }
  if (!response.ok) {
    const text = await response.text();
    throw new ApiError(response.status, text ? JSON.parse(text) : null);
  }
  return response.blob();
};

// One WebSocket, kept open: every client frame gets a promise of its reply (ack or error);
// events go to onEvent; onState hears "online" (after hello) and "reconnecting".
// Tests shorten these (window.ezchatTimings, set before the page loads).
const TIMINGS = { quietMs: 30000, pongWaitMs: 10000, checkEveryMs: 5000, ...(globalThis.ezchatTimings || {}) };
const QUIET_MS = TIMINGS.quietMs;
const PONG_WAIT_MS = TIMINGS.pongWaitMs;
const CHECK_EVERY_MS = TIMINGS.checkEveryMs;

export class Socket {
  constructor(api, { onEvent, onState, onHello }) {
    this.api = api;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onHello = onHello;
    this.waiting = new Map(); // frame id -> {resolve, reject}
    this.nextId = 1;
    this.attempt = 0;
    this.closed = false;
    this.ws = null;
    this.heard = 0; // when the server was last heard from
    // A network that drops silently leaves a socket "open" and deaf: after a quiet spell the
    // client pings, and a ping left unanswered ends the connection (and reconnects).
    this.watch = setInterval(() => this.checkAlive(), CHECK_EVERY_MS);
  }

  wsUrl(ticket) {
    const url = new URL(this.api.base || window.location.origin, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.pathname = "/ws";
    url.search = `?ticket=${encodeURIComponent(ticket)}`;
    return url.toString();
  }

  async connect() {
    if (this.closed) return;
    this.onState("reconnecting");
    let ticket;
    try {
      ticket = (await this.api.call("POST", "/api/auth/ws-ticket")).ticket;
    } catch (err) {
      if (err.status === 401) {
        this.onEvent({ type: "unauthorized", payload: { message: err.message } });
        return;
      }
      this.retry();
      return;
    }
    const ws = new WebSocket(this.wsUrl(ticket));
    this.ws = ws;
    ws.onmessage = (e) => { this.heard = Date.now(); this.received(JSON.parse(e.data)); };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const { reject } of this.waiting.values()) reject(new ApiError(0, null));
      this.waiting.clear();
      if (e.code === 4401) this.onEvent({ type: "unauthorized", payload: { message: e.reason } });
      else this.retry();
    };
  }

  checkAlive() {
    if (!this.online || Date.now() - this.heard < QUIET_MS || this.probing) return;
    this.probing = true;
    const ws = this.ws;
    const timer = setTimeout(() => { if (this.ws === ws) this.drop(ws); }, PONG_WAIT_MS);
    this.request("ping", {}).catch(() => {}).finally(() => { clearTimeout(timer); this.probing = false; });
  }

  // Give up on a socket that stopped answering: its promises fail, a new one is opened.
  drop(ws) {
    this.ws = null;
    for (const { reject } of this.waiting.values()) reject(new ApiError(0, null));
    this.waiting.clear();
    try { ws.close(); } catch { /* already closing */ }
    this.retry();
  }

  retry() {
    if (this.closed) return;
    this.onState("reconnecting");
    const delay = Math.min(10000, 300 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    setTimeout(() => this.connect(), delay);
  }

  received(frame) {
    if (frame.type === "hello") {
      this.attempt = 0;
      this.onState("online");
      this.onHello(frame.payload);
      return;
    }
    if (frame.id !== undefined && this.waiting.has(frame.id)) {
      const { resolve, reject } = this.waiting.get(frame.id);
      this.waiting.delete(frame.id);
      if (frame.type === "error") reject(new ApiError(400, { error: frame.payload }));
      else resolve(frame.payload);
      return;
    }
    this.onEvent(frame);
  }

  get online() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  // The reply's payload; rejects when refused or when the connection drops first.
  request(type, payload) {
    if (!this.online) return Promise.reject(new ApiError(0, { error: { message: "offline" } }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type, id, payload }));
    });
  }

  close() {
    this.closed = true;
    clearInterval(this.watch);
    if (this.ws) this.ws.close();
  }
}
