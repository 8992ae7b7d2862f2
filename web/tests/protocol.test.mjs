// The client's protocol helpers, without a browser: line parsing and
// building, casemapping, mIRC formatting, CTCP, splitting long lines and
// which URLs may become links.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMessage, formatMessage, casefold, parseFormatting, stripFormatting, parseCTCP, splitUtf8, ISupport,
} from '../irc.js';
import { safeHref, bufferLabel, nickHash } from '../render.js';

test('lines parse into tags, prefix, command and parameters', () => {
  const m = parseMessage('@time=2026-01-02T03:04:05.678Z;msgid=a\\sb;+draft/x :ann!~a@host PRIVMSG #natter :hello  world ');
  assert.deepEqual(m.tags, { time: '2026-01-02T03:04:05.678Z', msgid: 'a b', '+draft/x': '' });
  assert.deepEqual(m.prefix, { name: 'ann', user: '~a', host: 'host' });
  assert.equal(m.command, 'PRIVMSG');
  assert.deepEqual(m.params, ['#natter', 'hello  world ']);
  assert.deepEqual(parseMessage('PING').params, []);
  assert.deepEqual(parseMessage(':srv 005 me CHANTYPES=# :are supported').params, ['me', 'CHANTYPES=#', 'are supported']);
  assert.equal(parseMessage(':natter.local BATCH +ch1 chathistory #natter').prefix.name, 'natter.local');
});

test('lines are built with a trailing parameter only when needed, and no CR/LF', () => {
  assert.equal(formatMessage('PRIVMSG', ['#a', 'hi there']), 'PRIVMSG #a :hi there');
  assert.equal(formatMessage('JOIN', ['#a']), 'JOIN #a');
  assert.equal(formatMessage('PRIVMSG', ['#a', ':)']), 'PRIVMSG #a ::)');
  assert.equal(formatMessage('PRIVMSG', ['#a', '']), 'PRIVMSG #a :');
  assert.equal(formatMessage('PRIVMSG', ['#a', 'x\r\nQUIT']), 'PRIVMSG #a :x  QUIT');
  assert.equal(formatMessage('TAGMSG', ['#a'], { '+typing': 'active', label: 'a;b' }), '@+typing=active;label=a\\:b TAGMSG #a');
});

test('casemapping folds as the server says', () => {
  assert.equal(casefold('Nick[A]\\~'), 'nick{a}|^');
  assert.equal(casefold('Nick[A]', 'ascii'), 'nick[a]');
});

test('mIRC formatting becomes runs', () => {
  const runs = parseFormatting('a\x02b\x1dc\x0f d\x0304,1e\x03f\x11g\x16h');
  assert.deepEqual(runs.map((r) => r.text), ['a', 'b', 'c', ' d', 'e', 'f', 'g', 'h']);
  assert.equal(runs[1].bold, true);
  assert.equal(runs[2].bold && runs[2].italic, true);
  assert.equal(runs[3].bold, false);
  assert.equal(runs[4].fg, 4);
  assert.equal(runs[4].bg, 1);
  assert.equal(runs[5].fg, null);
  assert.equal(runs[6].mono, true);
  assert.equal(runs[7].reverse, true);
  assert.equal(stripFormatting('\x0312,04blue\x03 \x02x'), 'blue x');
  // A comma after a colour with no background digits stays text.
  assert.deepEqual(parseFormatting('\x034,x').map((r) => r.text), [',x']);
});

test('CTCP and long lines', () => {
  assert.deepEqual(parseCTCP('\x01ACTION waves\x01'), { command: 'ACTION', text: 'waves' });
  assert.deepEqual(parseCTCP('\x01VERSION\x01'), { command: 'VERSION', text: '' });
  assert.equal(parseCTCP('plain'), null);
  const parts = splitUtf8('é'.repeat(300), 101);
  assert.ok(parts.every((p) => new TextEncoder().encode(p).length <= 101));
  assert.equal(parts.join(''), 'é'.repeat(300));
  assert.deepEqual(splitUtf8('short', 100), ['short']);
  const words = splitUtf8('aaaa bbbb cccc dddd', 10);
  assert.deepEqual(words, ['aaaa bbbb ', 'cccc dddd']);
});

test('ISUPPORT', () => {
  const s = new ISupport();
  s.add(['PREFIX=(qov)~@+', 'CHANTYPES=#&', 'NETWORK=NatterNet', 'CHATHISTORY=1000', 'CHANMODES=beI,k,l,imnst']);
  assert.deepEqual(s.prefixes.map((p) => p.prefix), ['~', '@', '+']);
  assert.equal(s.network, 'NatterNet');
  assert.equal(s.chathistory, 1000);
  assert.deepEqual(s.chanModes, ['beI', 'k', 'l', 'imnst']);
  s.add(['-NETWORK']);
  assert.equal(s.network, null);
  // draft/FILEHOST: an http(s) address only, '=' escaped as \x3D.
  assert.equal(s.fileHost, null);
  s.add(['draft/FILEHOST=https://chat.example.org/files/']);
  assert.equal(s.fileHost, 'https://chat.example.org/files');
  s.add(['draft/FILEHOST=http://127.0.0.1:8080/x\\x3Dy/files?z#w']);
  assert.equal(s.fileHost, 'http://127.0.0.1:8080/x=y/files');
  s.add(['draft/FILEHOST=javascript:alert(1)']);
  assert.equal(s.fileHost, null);
  s.add(['draft/FILEHOST=files']);
  assert.equal(s.fileHost, null);
});

test('only http and https URLs become links', () => {
  assert.equal(safeHref('https://example.org/x'), 'https://example.org/x');
  assert.equal(safeHref('www.example.org'), 'https://www.example.org/');
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref('JavaScript:alert(1)'), null);
  assert.equal(safeHref('data:text/html,<script>'), null);
  assert.equal(safeHref('http://'), null);
});

test('IM conversations are labelled; nick colours are stable', () => {
  assert.equal(bufferLabel('#conv-12'), 'conversation 12');
  assert.equal(bufferLabel('#natter'), '#natter');
  assert.equal(nickHash('Alice'), nickHash('alice'));
});
