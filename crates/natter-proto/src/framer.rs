//! Line framing: [`Framer`] splits an incoming TCP byte stream into IRC lines
//! ([`Frame`]s), whatever the read boundaries (one byte at a time or many lines
//! per read).
//!
//! Terminators are `\r\n`, `\n` and a bare `\r` (Modern IRC, "Compatibility
//! with incorrect software": servers SHOULD accept a lone LF and MAY accept a
//! lone CR). Empty lines are skipped (Modern IRC "Message Format"). Bytes are
//! not decoded: UTF-8 validation happens in
//! [`Message::parse_bytes`](crate::Message::parse_bytes).

use std::collections::VecDeque;

/// One unit produced by [`Framer::next_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete line without its terminator; never empty, at most
    /// `max_line` bytes.
    Line(Vec<u8>),
    /// A line longer than `max_line` bytes was received and discarded
    /// (reported once per such line). Modern IRC suggests answering with
    /// `ERR_INPUTTOOLONG` (417).
    TooLong,
}

/// Incremental line splitter for one connection.
///
/// Work happens in [`Framer::feed`]: complete lines are moved to a queue of
/// ready frames and only the unterminated tail is kept, never more than
/// `max_line` bytes of it. Memory is therefore bounded by `max_line` plus the
/// complete lines of the data fed since the queue was last drained.
#[derive(Debug, Clone)]
pub struct Framer {
    /// The longest line accepted, in bytes (u32: every connection's task
    /// holds a framer, and four bytes with `discarding` pack into eight).
    max_line: u32,
    /// Unterminated tail of the current line (`<= max_line` bytes).
    partial: Vec<u8>,
    /// Inside an over-long line: drop bytes up to the next terminator.
    discarding: bool,
    ready: VecDeque<Frame>,
    /// Sum of the lengths of the `Frame::Line`s in `ready`, each
    /// `Frame::TooLong` counted as `max_line` bytes (at least what it
    /// stood for).
    ready_bytes: usize,
}

#[inline]
fn is_terminator(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

impl Framer {
    /// Creates a framer. `max_line` is the longest accepted line in bytes,
    /// excluding the terminator (the server uses 8191 + 512 to leave room for
    /// IRCv3 tags plus an RFC 1459 body); 4 GiB or more counts as 4 GiB.
    pub fn new(max_line: usize) -> Framer {
        Framer {
            max_line: u32::try_from(max_line).unwrap_or(u32::MAX),
            partial: Vec::new(),
            discarding: false,
            ready: VecDeque::new(),
            ready_bytes: 0,
        }
    }

    fn push_line(&mut self, line: Vec<u8>) {
        self.ready_bytes += line.len();
        self.ready.push_back(Frame::Line(line));
    }

    fn push_too_long(&mut self) {
        self.ready_bytes += self.max_line as usize;
        self.ready.push_back(Frame::TooLong);
    }

    /// Appends received bytes. Any number of bytes (including zero) is
    /// accepted; complete lines become available from
    /// [`Framer::next_frame`] immediately.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match data.iter().position(|&b| is_terminator(b)) {
                Some(i) => {
                    let chunk = &data[..i];
                    data = &data[i + 1..];
                    if self.discarding {
                        // End of an over-long line already reported.
                        self.discarding = false;
                    } else if self.partial.len() + chunk.len() > self.max_line as usize {
                        self.partial.clear();
                        self.push_too_long();
                    } else if self.partial.is_empty() {
                        if !chunk.is_empty() {
                            self.push_line(chunk.to_vec());
                        }
                    } else {
                        let mut line = Vec::with_capacity(self.partial.len() + chunk.len());
                        line.extend_from_slice(&self.partial);
                        line.extend_from_slice(chunk);
                        self.partial.clear();
                        self.push_line(line);
                    }
                }
                None => {
                    if self.discarding {
                        return;
                    }
                    if self.partial.len() + data.len() > self.max_line as usize {
                        self.partial.clear();
                        self.push_too_long();
                        self.discarding = true;
                    } else {
                        self.partial.extend_from_slice(data);
                    }
                    return;
                }
            }
        }
    }

    /// Next complete frame, in stream order, or `None` if no complete line
    /// has been received yet.
    ///
    /// Terminators: `\r\n`, `\n` and a bare `\r` (Modern IRC); empty lines
    /// are skipped silently. A line longer than `max_line` yields exactly one
    /// [`Frame::TooLong`] and its remaining bytes are discarded up to the next
    /// terminator (never buffered beyond `max_line`).
    pub fn next_frame(&mut self) -> Option<Frame> {
        let f = self.ready.pop_front()?;
        self.ready_bytes -= match &f {
            Frame::Line(l) => l.len(),
            Frame::TooLong => self.max_line as usize,
        };
        Some(f)
    }

    /// The frame [`Framer::next_frame`] would give, left in place.
    pub fn peek(&self) -> Option<&Frame> {
        self.ready.front()
    }

    /// Whether [`Framer::next_frame`] has a frame to give.
    pub fn has_frame(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Bytes currently held: the unterminated tail plus complete lines not
    /// yet returned by [`Framer::next_frame`] (an over-long line counts as
    /// `max_line` bytes). What a RecvQ limit measures.
    pub fn buffered(&self) -> usize {
        self.partial.len() + self.ready_bytes
    }

    /// Releases internal buffer capacity when nothing is buffered (for idle
    /// connections). Does nothing if data is pending.
    pub fn shrink(&mut self) {
        if self.partial.is_empty() {
            self.partial = Vec::new();
        }
        if self.ready.is_empty() {
            self.ready = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &[u8]) -> Frame {
        Frame::Line(s.to_vec())
    }

    fn drain(f: &mut Framer) -> Vec<Frame> {
        std::iter::from_fn(|| f.next_frame()).collect()
    }

    #[test]
    fn terminators() {
        let mut f = Framer::new(100);
        f.feed(b"A\r\nB\nC\rD");
        assert_eq!(drain(&mut f), vec![line(b"A"), line(b"B"), line(b"C")]);
        assert_eq!(f.buffered(), 1);
        f.feed(b"\r\n");
        assert_eq!(drain(&mut f), vec![line(b"D")]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn empty_lines_skipped() {
        let mut f = Framer::new(100);
        f.feed(b"\r\n\n\r\r\n\n\nX\r\n\r\n");
        assert_eq!(drain(&mut f), vec![line(b"X")]);
        f.feed(b"");
        assert_eq!(f.next_frame(), None);
    }

    #[test]
    fn crlf_split_across_reads() {
        let mut f = Framer::new(100);
        f.feed(b"PING x\r");
        assert_eq!(drain(&mut f), vec![line(b"PING x")]);
        f.feed(b"\nPONG y\r");
        f.feed(b"\n");
        assert_eq!(drain(&mut f), vec![line(b"PONG y")]);
    }

    #[test]
    fn one_byte_at_a_time() {
        let data = b"NICK a\r\nUSER u 0 * :Real Name\nPING :x\r";
        let mut f = Framer::new(100);
        let mut got = Vec::new();
        for b in data {
            f.feed(std::slice::from_ref(b));
            got.extend(drain(&mut f));
        }
        assert_eq!(
            got,
            vec![
                line(b"NICK a"),
                line(b"USER u 0 * :Real Name"),
                line(b"PING :x")
            ]
        );
    }

    #[test]
    fn too_long_in_one_feed() {
        let mut f = Framer::new(5);
        f.feed(b"ok\r\n123456\r\nfine\r\n12345\n");
        assert_eq!(
            drain(&mut f),
            vec![line(b"ok"), Frame::TooLong, line(b"fine"), line(b"12345")]
        );
    }

    #[test]
    fn too_long_streamed_reported_once_and_bounded() {
        let mut f = Framer::new(8);
        f.feed(b"abc");
        f.feed(b"defgh"); // exactly 8: still fine
        assert_eq!(f.next_frame(), None);
        assert_eq!(f.buffered(), 8);
        f.feed(b"i"); // 9: too long
                      // The report stands for the line (max_line bytes) until taken; the
                      // rest of the line is not kept.
        assert_eq!(f.buffered(), 8);
        for _ in 0..1000 {
            f.feed(b"zzzzzzzzzzzzzzzz");
            assert_eq!(f.buffered(), 8);
        }
        f.feed(b"zz\r\nnext\r\n");
        assert_eq!(drain(&mut f), vec![Frame::TooLong, line(b"next")]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn too_long_byte_at_a_time() {
        let mut f = Framer::new(4);
        let mut got = Vec::new();
        for b in b"abcdefghij\r\nxy\n" {
            f.feed(std::slice::from_ref(b));
            assert!(f.buffered() <= 4);
            got.extend(drain(&mut f));
        }
        assert_eq!(got, vec![Frame::TooLong, line(b"xy")]);
    }

    #[test]
    fn too_long_ended_by_bare_cr_then_lf() {
        let mut f = Framer::new(3);
        f.feed(b"abcdef\r");
        f.feed(b"\nok\n");
        assert_eq!(drain(&mut f), vec![Frame::TooLong, line(b"ok")]);
    }

    #[test]
    fn invalid_utf8_passes_through() {
        let mut f = Framer::new(100);
        f.feed(b"PRIVMSG #a :\xff\xfe\x80\r\n\xc3");
        f.feed(b"\xa9\n");
        assert_eq!(
            drain(&mut f),
            vec![line(b"PRIVMSG #a :\xff\xfe\x80"), line("é".as_bytes())]
        );
        assert_eq!(
            crate::Message::parse_bytes(b"PRIVMSG #a :\xff\xfe\x80"),
            Err(crate::ParseError::InvalidUtf8)
        );
    }

    #[test]
    fn buffered_counts_ready_and_partial() {
        let mut f = Framer::new(100);
        f.feed(b"abc\r\nde");
        assert_eq!(f.buffered(), 5);
        assert_eq!(f.next_frame(), Some(line(b"abc")));
        assert_eq!(f.buffered(), 2);
    }

    #[test]
    fn shrink_only_when_empty() {
        let mut f = Framer::new(100);
        f.feed(b"abc");
        f.shrink();
        assert_eq!(f.buffered(), 3);
        f.feed(b"\n");
        assert_eq!(f.next_frame(), Some(line(b"abc")));
        f.shrink();
        assert_eq!(f.partial.capacity(), 0);
        assert_eq!(f.ready.capacity(), 0);
        f.feed(b"x\n");
        assert_eq!(f.next_frame(), Some(line(b"x")));
    }

    #[test]
    fn zero_max_line() {
        let mut f = Framer::new(0);
        f.feed(b"\r\na\r\n\r\n");
        assert_eq!(drain(&mut f), vec![Frame::TooLong]);
    }
}
