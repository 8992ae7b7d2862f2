// Takes the screenshots in docs/images/ of the web client: a real natter
// (NATTER_BIN), a few IRC users over TCP and an IM user making some
// conversation, and two browser users: one on a desktop-sized window
// (light), one on a phone-sized one (dark); then a third, logged in to an
// account, shares a picture (web-client-files.png).
//
//   NATTER_BIN=target/release/natter node web/tests/screenshots.mjs

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SKIP, startNatter, launchBrowser, openUser, IrcClient, say, show, waitForEntry, waitFor, makePng, dropFiles,
} from './helpers.mjs';

if (SKIP) {
  console.error(`cannot take screenshots: ${SKIP}`);
  process.exit(1);
}

/** A sunset over the sea, as a PNG. */
function harbour(w, h) {
  const horizon = h * 0.62;
  const sun = { x: w * 0.62, y: horizon - h * 0.08, r: h * 0.13 };
  const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
  return makePng(w, h, (x, y) => {
    if (y < horizon) {
      const sky = mix([58, 48, 112], [250, 150, 92], y / horizon);
      const d = Math.hypot(x - sun.x, y - sun.y);
      return d < sun.r ? [255, 226, 150] : mix([255, 200, 130], sky, Math.min(1, (d - sun.r) / (h * 0.25)));
    }
    const t = (y - horizon) / (h - horizon);
    const sea = mix([70, 80, 140], [20, 36, 70], t);
    // The sun's path on the water, broken by waves.
    const glitter = Math.abs(x - sun.x) < sun.r * (1 - t * 0.5) && Math.sin(y * 1.3 + x * 0.05) > 0.2;
    return glitter ? mix(sea, [255, 210, 140], 0.75 - t * 0.5) : sea;
  });
}

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/images');
fs.mkdirSync(out, { recursive: true });

const server = await startNatter();
const browser = await launchBrowser();
const tcp = [];
let im;
try {
  const ann = await IrcClient.connect(server.ircPort, 'ann');
  const ben = await IrcClient.connect(server.ircPort, 'ben');
  const dora = await IrcClient.connect(server.ircPort, 'dora');
  tcp.push(ann, ben, dora);
  await ann.sendAndExpect('JOIN #natter,#rust', (m) => m.command === '366' && m.params[1] === '#rust', 'joins');
  ann.send('TOPIC #natter :Welcome to natter \x02·\x02 be kind \x02·\x02 docs: https://example.org/natter');
  ann.send('TOPIC #rust :Rust talk; ask anything');
  await ben.sendAndExpect('JOIN #natter,#rust', (m) => m.command === '366' && m.params[1] === '#rust', 'joins');
  ann.send('MODE #natter +v ben');

  const alice = await openUser(browser, server.url, 'alice', { channels: '#natter #rust', permissions: ['notifications'] });
  const bea = await openUser(browser, server.url, 'bea', {
    channels: '#natter #rust', viewport: { width: 390, height: 844 }, colorScheme: 'dark', permissions: ['notifications'],
  });

  // An IM user invites alice to a conversation (#conv-1 on IRC).
  im = net.connect(server.addrs.im.split(':').pop(), '127.0.0.1');
  const imSay = (line) => im.write(`${line}\n`);
  imSay('REGISTER ["zoe", "online"]');
  imSay('INVITE ["alice"]');
  imSay('JOIN [1]');
  await waitForEntry(alice, 'invites you to conversation 1');
  await say(alice, '/join #conv-1');
  await alice.page.waitForSelector('#buffers li.active[data-name="#conv-1"]');
  await show(alice, '#natter');

  const chat = [
    [ann, 'morning all'],
    [ben, 'morning! has anyone tried the new web client yet?'],
    [dora, 'JOIN #natter'],
    [ann, 'yes, natter serves it itself at / on the HTTP port, nothing to install'],
    [ben, 'scroll-back works too: it asks for CHATHISTORY when you reach the top'],
    [dora, '\x02release notes\x02 are up: https://example.org/natter/releases/0.2'],
    [alice, 'looks great here, and it tells me when someone mentions me'],
    [ann, '\x01ACTION is reading the docs\x01'],
    [ben, 'alice, bea: can you check the phone layout?'],
    [dora, 'colours render: \x0303green\x03, \x0304red\x03, \x0312blue\x03 and \x11monospace\x11'],
    [bea, 'on it: the sidebar folds into the menu button'],
  ];
  for (const [who, text] of chat) {
    if (who === alice || who === bea) await say(who, text);
    else if (text.startsWith('JOIN ')) who.send(text);
    else who.send(`PRIVMSG #natter :${text}`);
    await sleep(120);
  }
  // Unread and highlighted buffers in alice's sidebar.
  ann.send('PRIVMSG #rust :anyone used tokio::select! with a timeout?');
  ben.send('PRIVMSG #rust :alice would know');
  imSay('SEND_MESSAGE [1, "are you coming to the meetup on Friday?"]');
  ben.send('PRIVMSG alice :got a minute later?');
  ann.send('PRIVMSG bea :welcome to natter!');
  await waitForEntry(alice, 'on it: the sidebar folds');
  await waitForEntry(bea, 'on it: the sidebar folds');
  await bea.page.waitForSelector('#buffers li[data-name="ann"] .badge', { state: 'attached' });
  await alice.page.waitForSelector('#buffers li[data-name="ben"] .badge');
  await alice.page.waitForSelector('#buffers li[data-name="#conv-1"] .badge');
  await alice.page.fill('#input', '');
  // No hover effect where the last click was.
  await alice.page.mouse.move(640, 790);
  await bea.page.mouse.move(5, 838);
  await sleep(300);

  await alice.page.screenshot({ path: path.join(out, 'web-client-desktop.png') });
  await bea.page.screenshot({ path: path.join(out, 'web-client-phone.png') });
  await bea.page.click('#menu-button');
  await sleep(400);
  await bea.page.screenshot({ path: path.join(out, 'web-client-phone-menu.png') });

  // Shared files: kim (an account) drops a picture on #natter.
  const reg = await IrcClient.connect(server.ircPort, 'kim');
  await reg.sendAndExpect('PRIVMSG NickServ :REGISTER kim-secret-password', (m) => m.command === '900', "kim's account");
  await reg.sendAndExpect('QUIT', (m) => m.command === 'ERROR', 'the quit');
  reg.close();
  const kim = await openUser(browser, server.url, 'kim', { password: 'kim-secret-password', permissions: ['notifications'] });
  await waitForEntry(kim, 'on it: the sidebar folds');
  ben.send('PRIVMSG #natter :kim, did you get the photo from the harbour?');
  await waitForEntry(kim, 'photo from the harbour');
  await dropFiles(kim, [{ name: 'harbour.png', type: 'image/png', data: harbour(480, 270) }]);
  await waitFor(() => kim.page.$eval('#messages .file-preview img', (img) => img.complete && img.naturalWidth > 0).catch(() => false), 'the picture');
  ann.send('PRIVMSG #natter :lovely colours');
  await waitForEntry(kim, 'lovely colours');
  await kim.page.mouse.move(640, 790);
  await sleep(300);
  await kim.page.screenshot({ path: path.join(out, 'web-client-files.png') });
  if (kim.errors.length) throw new Error(`kim's page had errors: ${kim.errors.join('; ')}`);
  console.log(`screenshots written to ${out}`);
  for (const u of [alice, bea]) {
    if (u.errors.length) throw new Error(`${u.nick}'s page had errors: ${u.errors.join('; ')}`);
  }
} finally {
  if (im) im.destroy();
  for (const c of tcp) c.close();
  await browser.close();
  await server.stop();
}
