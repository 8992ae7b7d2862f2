// Accounts: the connect screen's password logs in with SASL PLAIN (a wrong
// one brings the screen back with the reason), and read markers
// (draft/read-marker) outlive a session: what came after the last message
// the user saw is marked "New messages" the next time.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SKIP, startNatter, launchBrowser, openUser, IrcClient, entries, waitForEntry, waitFor,
} from './helpers.mjs';

let server;
let browser;
const clients = [];
const users = [];

before(async () => {
  if (SKIP) return;
  server = await startNatter();
  browser = await launchBrowser();
});

after(async () => {
  for (const u of users) await u.context.close().catch(() => {});
  for (const c of clients) c.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a password logs in with SASL; a wrong one says so; read markers carry over to the next session', { skip: SKIP || false, timeout: 180000 }, async () => {
  // erin registers an account over TCP, and leaves.
  const reg = await IrcClient.connect(server.ircPort, 'erin');
  await reg.sendAndExpect('PRIVMSG NickServ :REGISTER correct-horse-battery', (m) => m.command === '900', 'the login that registering brings');
  await reg.sendAndExpect('QUIT', (m) => m.command === 'ERROR', 'the quit');
  reg.close();

  const wrong = await openUser(browser, server.url, 'erin', { password: 'not-the-password', expectError: true });
  users.push(wrong);
  assert.match(await wrong.page.textContent('#connect-error'), /Login failed/);
  assert.equal(await wrong.page.isVisible('#connect-screen'), true);
  await wrong.context.close();

  const carol = await IrcClient.connect(server.ircPort, 'carol');
  clients.push(carol);
  await carol.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');

  const erin = await openUser(browser, server.url, 'erin', { password: 'correct-horse-battery' });
  users.push(erin);
  await erin.page.click('#buffers li.buffer-server .buffer-button');
  await waitForEntry(erin, 'logged in as erin');
  await erin.page.click('#buffers li[data-name="#natter"] .buffer-button');
  carol.send('PRIVMSG #natter :first, seen');
  await waitForEntry(erin, 'first, seen');
  // The client marks the buffer read (MARKREAD) shortly after showing it.
  await sleep(1500);
  await erin.context.close();
  await carol.expect((m) => m.command === 'QUIT' && m.nick === 'erin', "erin's quit");

  carol.send('PRIVMSG #natter :second, unseen');
  carol.send('PRIVMSG #natter :third, unseen');
  await carol.sendAndExpect('PING :sync', (m) => m.command === 'PONG', 'PONG');

  const again = await openUser(browser, server.url, 'erin', { password: 'correct-horse-battery' });
  users.push(again);
  await waitForEntry(again, 'third, unseen');
  // The "New messages" line sits between the seen and the unseen.
  const order = await again.page.$$eval('#messages .msg, #messages .unread-sep', (nodes) => nodes.map((n) => (n.classList.contains('unread-sep') ? '--new--' : n.querySelector('.body').textContent)));
  const at = order.indexOf('--new--');
  assert.ok(at > 0, `a New messages line in ${JSON.stringify(order)}`);
  assert.match(order[at - 1], /first, seen/);
  assert.match(order[at + 1], /second, unseen/);
  assert.deepEqual(again.errors, []);
  assert.ok((await entries(again)).length >= 3);
});
