// A websocket to the dashboard's own host that comes back after drops, with back-off.
// The browser's session cookie authenticates it. Shared by the log and metrics pages.

/** Reconnect delay in ms after `attempt` failures in a row: 1, 2, 4... 30 s, ±20% jitter. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(30000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The ws:// or wss:// URL of `path` on the page's own host. */
export function socketUrl(path, location = globalThis.location) {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
}

// Close codes after which reconnecting cannot help.
export const FINAL_CLOSES = { 4401: "unauthenticated", 4404: "not-found" };

/**
 * Connect to `path` and keep connected. `onMessage(message)` gets each parsed JSON frame;
 * `onState(state, detail)` gets connecting | live | reconnecting (detail: delay in ms) |
 * unauthenticated | not-found. The back-off is reset by a `history` frame (the server took
 * us), not by the open alone, so a server that accepts and drops at once is not hammered.
 */
export function openLive(path, { onMessage, onState = () => {}, WebSocketImpl = globalThis.WebSocket,
  location = globalThis.location, schedule = setTimeout, cancel = clearTimeout, random = Math.random } = {}) {
  let attempt = 0;
  let socket = null;
  let timer = null;
  let stopped = false;

  function connect() {
    timer = null;
    onState("connecting");
    socket = new WebSocketImpl(socketUrl(path, location));
    socket.onopen = () => onState("live");
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "history") attempt = 0;
      onMessage(message);
    };
    socket.onclose = (event) => {
      socket = null;
      if (stopped) return;
      const final = FINAL_CLOSES[event.code];
      if (final) {
        onState(final);
        return;
      }
      const delay = backoffDelay(attempt++, random);
      onState("reconnecting", delay);
      timer = schedule(connect, delay);
    };
  }

  connect();
  return {
    close() {
      stopped = true;
      if (timer !== null) cancel(timer);
      if (socket) socket.close();
    },
  };
}

/** What the status line says for a connection state. */
export function describeState(state, detail) {
  switch (state) {
    case "connecting": return "connecting…";
    case "live": return "live";
    case "reconnecting": return `disconnected; reconnecting in ${Math.max(1, Math.round(detail / 1000))} s`;
    case "unauthenticated": return "not logged in: reload the page to log in again";
    case "not-found": return "no such app, or no access to it";
    default: return state;
  }
}
