// The server restarts: the page shows that it is reconnecting, comes back
// by itself (exponential back-off) and rejoins the channels it had open.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, startNatter, launchBrowser, openUser, IrcClient, say, show, waitForEntry, waitFor,
} from './helpers.mjs';

let server;
let browser;
let alice;
const clients = [];

before(async () => {
  if (SKIP) return;
  server = await startNatter();
  browser = await launchBrowser();
});

after(async () => {
  if (alice) await alice.context.close().catch(() => {});
  for (const c of clients) c.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('after a server restart the page reconnects and rejoins its channels', { skip: SKIP || false, timeout: 180000 }, async () => {
  alice = await openUser(browser, server.url, 'alice', { channels: '#natter #second' });
  await alice.page.waitForSelector('#buffers li[data-name="#second"]');
  const carol = await IrcClient.connect(server.ircPort, 'carol');
  clients.push(carol);
  await carol.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');
  carol.send('PRIVMSG #natter :before the restart');
  await waitForEntry(alice, 'before the restart');

  // Kill natter by its PID and start it again on the same ports and data.
  const { addrs, dataDir } = server;
  await server.stop();
  await alice.page.waitForSelector('#status-banner.reconnecting', { timeout: 20000 });
  assert.match(await alice.page.textContent('#status-banner'), /Reconnecting in \d+ s/);
  server = await startNatter({ addrs, dataDir });

  await alice.page.waitForSelector('body[data-connection="registered"]', { timeout: 40000 });
  await alice.page.waitForSelector('#status-banner', { state: 'hidden' });

  // The server sees alice back in both channels.
  const dave = await IrcClient.connect(server.ircPort, 'dave');
  clients.push(dave);
  for (const chan of ['#natter', '#second']) {
    await waitFor(async () => {
      const from = dave.messages.length;
      dave.send(`NAMES ${chan}`);
      const names = await dave.expect((m) => m.command === '353' || m.command === '366', `NAMES ${chan}`, { from });
      return names.command === '353' && names.params[3].split(' ').some((n) => n.replace(/^[@+]/, '') === 'alice');
    }, `alice back in ${chan}`);
  }

  // The page kept what it showed, and talks again.
  await show(alice, '#natter');
  await waitForEntry(alice, 'before the restart');
  await dave.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');
  dave.send('PRIVMSG #natter :after the restart');
  await waitForEntry(alice, 'after the restart');
  await say(alice, 'glad to be back');
  await dave.expect((m) => m.command === 'PRIVMSG' && m.params[1] === 'glad to be back', "alice's message");
  assert.deepEqual(alice.errors, []);
});
