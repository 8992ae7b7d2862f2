// The client's IRC connection without a browser or server: a fake
// WebSocket plays the server. Capability negotiation asks only for what
// the server offers, SASL PLAIN runs before CAP END, batches of history
// arrive whole, and a lost connection is retried after 1, 2, 4 ... and at
// most 30 seconds, starting again at 1 after a successful registration.

import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { IrcConnection } from '../irc.js';

class FakeWebSocket extends EventTarget {
  static OPEN = 1;
  static made = [];
  constructor(url, protocol) {
    super();
    this.url = url;
    this.protocol = protocol;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.made.push(this);
  }
  send(line) { this.sent.push(line); }
  close() { this.drop(); }
  // The "server" side:
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  recv(line) {
    const ev = new Event('message');
    ev.data = line;
    this.dispatchEvent(ev);
  }
  drop() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    const ev = new Event('close');
    ev.wasClean = false;
    ev.reason = '';
    this.dispatchEvent(ev);
  }
}
globalThis.WebSocket = FakeWebSocket;

function connection(password = '') {
  const conn = new IrcConnection({ url: 'ws://host/socket', nick: 'ann', password });
  const statuses = [];
  const messages = [];
  const batches = [];
  conn.addEventListener('status', (e) => statuses.push(e.detail));
  conn.addEventListener('message', (e) => messages.push(e.detail));
  conn.addEventListener('batch', (e) => batches.push(e.detail));
  return { conn, statuses, messages, batches };
}

test('CAP LS 302 over several lines, a request of what is offered, SASL PLAIN, then CAP END', () => {
  FakeWebSocket.made = [];
  const { conn, statuses } = connection('pa55 wörd');
  conn.connect();
  const ws = FakeWebSocket.made[0];
  assert.equal(ws.url, 'ws://host/socket');
  assert.equal(ws.protocol, 'text.ircv3.net');
  ws.open();
  assert.deepEqual(ws.sent, ['CAP LS 302', 'NICK ann', 'USER ann 0 * ann']);
  ws.recv(':srv CAP * LS * :multi-prefix sasl=PLAIN,SCRAM-SHA-256 unknown-cap');
  assert.equal(ws.sent.length, 3, 'waits for the last LS line');
  ws.recv(':srv CAP * LS :server-time draft/chathistory batch draft/read-marker');
  assert.equal(ws.sent[3], 'CAP REQ :server-time batch draft/chathistory multi-prefix draft/read-marker sasl');
  ws.recv(':srv CAP ann ACK :server-time batch draft/chathistory multi-prefix draft/read-marker sasl');
  assert.equal(ws.sent[4], 'AUTHENTICATE PLAIN');
  ws.recv('AUTHENTICATE +');
  const payload = Buffer.from(ws.sent[5].split(' ')[1], 'base64').toString('utf8');
  assert.equal(payload, 'ann\0ann\0pa55 wörd');
  ws.recv(':srv 900 ann ann!a@h ann :You are now logged in as ann');
  ws.recv(':srv 903 ann :SASL authentication successful');
  assert.equal(ws.sent[6], 'CAP END');
  ws.recv(':srv 001 ann :Welcome');
  assert.equal(statuses.at(-1).state, 'registered');
  assert.equal(conn.account, 'ann');
  assert.equal(conn.chathistory, true);
  ws.recv('PING :abc');
  assert.equal(ws.sent.at(-1), 'PONG abc');
});

test('no password: no sasl asked; a taken nick gets an underscore before registration', () => {
  FakeWebSocket.made = [];
  const { conn } = connection();
  conn.connect();
  const ws = FakeWebSocket.made[0];
  ws.open();
  ws.recv(':srv CAP * LS :sasl=PLAIN echo-message');
  assert.equal(ws.sent[3], 'CAP REQ echo-message');
  ws.recv(':srv CAP * ACK echo-message');
  assert.equal(ws.sent[4], 'CAP END');
  ws.recv(':srv 433 * ann :Nickname is already in use');
  assert.equal(ws.sent[5], 'NICK ann_');
  ws.recv(':srv 001 ann_ :Welcome');
  assert.equal(conn.nick, 'ann_');
  conn.quit();
});

test('a wrong password ends the session with the reason', () => {
  FakeWebSocket.made = [];
  const { conn } = connection('nope');
  const errors = [];
  conn.addEventListener('error', (e) => errors.push(e.detail));
  conn.connect();
  const ws = FakeWebSocket.made[0];
  ws.open();
  ws.recv(':srv CAP * LS :sasl');
  ws.recv(':srv CAP * ACK sasl');
  ws.recv('AUTHENTICATE +');
  ws.recv(':srv 904 ann :SASL authentication failed');
  assert.equal(errors.length, 1);
  assert.match(errors[0].text, /Login failed: SASL authentication failed/);
  assert.equal(conn.closedByUser, true, 'no reconnection after a failed login');
});

test('a chathistory batch is handed over whole; other lines pass', () => {
  FakeWebSocket.made = [];
  const { conn, messages, batches } = connection();
  conn.connect();
  const ws = FakeWebSocket.made[0];
  ws.open();
  ws.recv(':srv BATCH +b1 chathistory #natter');
  ws.recv('@batch=b1;time=2026-01-01T00:00:00.000Z;msgid=1 :bo!u@h PRIVMSG #natter :old');
  ws.recv('@time=2026-01-01T00:00:05.000Z :cy!u@h PRIVMSG #natter :live');
  assert.equal(batches.length, 0);
  ws.recv(':srv BATCH -b1');
  assert.equal(batches.length, 1);
  assert.equal(batches[0].type, 'chathistory');
  assert.deepEqual(batches[0].params, ['#natter']);
  assert.deepEqual(batches[0].messages.map((m) => m.params[1]), ['old']);
  assert.deepEqual(messages.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]), ['live']);
});

test('reconnection backs off 1, 2, 4 ... 30 s, and starts at 1 s again after registering', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    FakeWebSocket.made = [];
    const { conn, statuses } = connection();
    conn.connect();
    const delays = [];
    for (let i = 0; i < 7; i++) {
      FakeWebSocket.made.at(-1).drop();
      const s = statuses.at(-1);
      assert.equal(s.state, 'disconnected');
      delays.push(s.reconnectIn);
      const before = FakeWebSocket.made.length;
      mock.timers.tick(s.reconnectIn - 1);
      assert.equal(FakeWebSocket.made.length, before, 'not before its time');
      mock.timers.tick(1);
      assert.equal(FakeWebSocket.made.length, before + 1, 'a new attempt');
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const ws = FakeWebSocket.made.at(-1);
    ws.open();
    ws.recv(':srv CAP * LS :');
    ws.recv(':srv 001 ann :Welcome');
    ws.drop();
    assert.equal(statuses.at(-1).reconnectIn, 1000);
    conn.quit();
    mock.timers.tick(60000);
    assert.equal(FakeWebSocket.made.length, 8, 'no attempt after quit');
  } finally {
    mock.timers.reset();
  }
});

test('a nick taken at registration is asked for again every 30 s, quietly', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    FakeWebSocket.made = [];
    const { conn, messages } = connection();
    conn.connect();
    const ws = FakeWebSocket.made[0];
    ws.open();
    ws.recv(':srv CAP * LS :');
    ws.recv(':srv 433 * ann :Nickname is already in use');
    ws.recv(':srv 001 ann_ :Welcome');
    const sent = ws.sent.length;
    mock.timers.tick(30000);
    assert.equal(ws.sent[sent], 'NICK ann');
    ws.recv(':srv 433 ann_ ann :Nickname is already in use');
    assert.equal(messages.at(-1).quiet, true);
    mock.timers.tick(30000);
    assert.equal(ws.sent.at(-1), 'NICK ann');
    ws.recv(':ann_!u@h NICK ann');
    assert.equal(conn.nick, 'ann');
    const after = ws.sent.length;
    mock.timers.tick(90000);
    assert.equal(ws.sent.length, after, 'no more asking once it is ours');
    conn.quit();
  } finally {
    mock.timers.reset();
  }
});
