// The shared websocket helper: URL, back-off, and which closes end reconnecting.
import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffDelay, describeState, openLive, socketUrl } from "../../static/dashboard/live.mjs";

class FakeSocket {
  static made = [];
  constructor(url) {
    this.url = url;
    this.closed = false;
    FakeSocket.made.push(this);
  }
  close() {
    this.closed = true;
  }
}

function harness() {
  FakeSocket.made = [];
  const timers = [];
  const states = [];
  const messages = [];
  const live = openLive("/ws/apps/shop/logs/?lines=500", {
    onMessage: (message) => messages.push(message),
    onState: (state, detail) => states.push([state, detail]),
    WebSocketImpl: FakeSocket,
    location: { protocol: "https:", host: "paas.example:8443" },
    schedule: (fn, delay) => timers.push({ fn, delay }),
    cancel: () => {},
    random: () => 0.5,
  });
  return { live, timers, states, messages, socket: () => FakeSocket.made[FakeSocket.made.length - 1] };
}

test("the socket goes to the page's own host, wss under https", () => {
  assert.equal(socketUrl("/ws/x/", { protocol: "http:", host: "127.0.0.1:8000" }), "ws://127.0.0.1:8000/ws/x/");
  const { socket } = harness();
  assert.equal(socket().url, "wss://paas.example:8443/ws/apps/shop/logs/?lines=500");
});

test("back-off doubles from 1 s up to 30 s, with jitter", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, () => 0.5)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(backoffDelay(0, () => 0), 800);
  assert.equal(backoffDelay(0, () => 1), 1200);
});

test("a dropped socket reconnects with growing delays, reset by a history frame", () => {
  const { timers, states, messages, socket } = harness();
  socket().onopen();
  socket().onclose({ code: 1006 });
  assert.deepEqual(states.slice(-1), [["reconnecting", 1000]]);
  timers.shift().fn();
  socket().onclose({ code: 1011 });
  assert.equal(timers[0].delay, 2000);
  timers.shift().fn();
  socket().onmessage({ data: JSON.stringify({ type: "history", lines: [] }) });
  socket().onmessage({ data: "not json" });
  assert.deepEqual(messages, [{ type: "history", lines: [] }]);
  socket().onclose({ code: 1006 });
  assert.equal(timers[0].delay, 1000);
  assert.equal(FakeSocket.made.length, 3);
});

test("4401 and 4404 end reconnecting", () => {
  for (const [code, state] of [[4401, "unauthenticated"], [4404, "not-found"]]) {
    const { timers, states, socket } = harness();
    socket().onclose({ code });
    assert.deepEqual(states.slice(-1), [[state, undefined]]);
    assert.equal(timers.length, 0);
    assert.match(describeState(state), /log|app/);
  }
});

test("close() stops for good", () => {
  const { live, timers, socket } = harness();
  const first = socket();
  live.close();
  assert.ok(first.closed);
  first.onclose({ code: 1000 });
  assert.equal(timers.length, 0);
});
