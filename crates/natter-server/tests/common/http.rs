//! A small blocking HTTP/1.1 client for the shared-files tests: requests
//! with headers and a body that may be generated on the fly (a large file
//! never sits in memory) or cut off part way (a broken upload); responses
//! read whole or hashed as they stream in.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

use base64::Engine;
use sha2::{Digest, Sha256};

/// Pseudo-random bytes (xorshift32) that differ at every offset: a chunk
/// written at the wrong place shows in the digest.
#[derive(Clone)]
pub struct Gen(u32);

impl Gen {
    /// A generator; the same seed gives the same bytes.
    pub fn new(seed: u32) -> Gen {
        Gen(seed.wrapping_mul(2_654_435_761).max(1))
    }

    /// Fills `buf` with the next bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            *b = self.0 as u8;
        }
    }

    /// The first `len` bytes of seed `seed`.
    pub fn bytes(seed: u32, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        Gen::new(seed).fill(&mut v);
        v
    }
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Authorization: Basic` for `account` and `password`.
pub fn basic(account: &str, password: &str) -> (&'static str, String) {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"));
    ("authorization", format!("Basic {token}"))
}

/// A response: status, headers (names lowercase), body.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty when it was hashed instead, see [`Response::sha256`]).
    pub body: Vec<u8>,
    /// The body's length and SHA-256 when read with [`Request::hashed`].
    pub sha256: Option<(u64, String)>,
}

impl Response {
    /// Header `name`'s value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a request sends as its body.
pub enum Body {
    /// Nothing.
    None,
    /// These bytes.
    Bytes(Vec<u8>),
    /// `len` bytes of [`Gen`] `gen`, of which only the first `sent` are
    /// sent before the connection is cut (a broken upload) when given.
    Gen {
        /// The bytes.
        gen: Gen,
        /// The length announced.
        len: u64,
        /// Cut the connection after this many bytes.
        cut_after: Option<u64>,
    },
}

/// One request.
pub struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
    hashed: bool,
}

impl Request {
    /// `method path`.
    pub fn new(method: &str, path: &str) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Body::None,
            hashed: false,
        }
    }

    /// Adds a header.
    pub fn header(mut self, (name, value): (&str, String)) -> Request {
        self.headers.push((name.into(), value));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Request {
        self.body = body;
        self
    }

    /// Hashes the response body as it streams in instead of keeping it.
    pub fn hashed(mut self) -> Request {
        self.hashed = true;
        self
    }

    /// Sends it to `addr` on a new connection (`Connection: close`); `None`
    /// when the body was cut off on purpose (no response is read).
    pub fn send(self, addr: SocketAddr) -> Option<Response> {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let len = match &self.body {
            Body::None => None,
            Body::Bytes(b) => Some(b.len() as u64),
            Body::Gen { len, .. } => Some(*len),
        };
        if let Some(len) = len {
            head.push_str(&format!("Content-Length: {len}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        match self.body {
            Body::None => {}
            Body::Bytes(b) => stream.write_all(&b).unwrap(),
            Body::Gen {
                mut gen,
                len,
                cut_after,
            } => {
                let stop = cut_after.unwrap_or(len);
                let mut buf = vec![0; 256 * 1024];
                let mut sent = 0u64;
                while sent < stop {
                    let n = ((stop - sent) as usize).min(buf.len());
                    gen.fill(&mut buf[..n]);
                    if stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    sent += n as u64;
                }
                if cut_after.is_some() {
                    // Give the server the bytes, then break the connection.
                    stream.flush().unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    return None;
                }
            }
        }
        Some(read_response(stream, self.hashed, &self.method))
    }
}

fn read_response(stream: TcpStream, hashed: bool, method: &str) -> Response {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length: Option<u64> = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok());
    let mut body = Vec::new();
    let mut sha256 = None;
    if method != "HEAD" && status != 204 && status != 304 {
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        let mut buf = vec![0; 256 * 1024];
        loop {
            if length.is_some_and(|l| total >= l) {
                break;
            }
            let want = match length {
                Some(l) => ((l - total) as usize).min(buf.len()),
                None => buf.len(),
            };
            let n = reader.read(&mut buf[..want]).unwrap();
            if n == 0 {
                break;
            }
            total += n as u64;
            if hashed {
                hasher.update(&buf[..n]);
            } else {
                body.extend_from_slice(&buf[..n]);
            }
        }
        if hashed {
            sha256 = Some((total, hex(&hasher.finalize())));
        }
    }
    Response {
        status,
        headers,
        body,
        sha256,
    }
}
