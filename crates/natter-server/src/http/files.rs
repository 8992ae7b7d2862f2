//! Shared files over HTTP (issue 14; docs/files.md has the whole API):
//!
//! | request | answer |
//! | --- | --- |
//! | `OPTIONS /files` | 204, `Allow`, `Accept-Post: */*` (IRCv3 `draft/FILEHOST`) |
//! | `POST /files` with the file as body | 201, `Location:` the file's URL |
//! | `POST /files` with `Upload-Length: N` and no body | 201, `Location: /files/uploads/<id>`: a resumable upload |
//! | `HEAD /files/uploads/<id>` | 200, `Upload-Offset` (bytes received), `Upload-Length` |
//! | `PATCH /files/uploads/<id>` with `Upload-Offset: N` | 204, the new `Upload-Offset`; 409 if N is past the bytes received |
//! | `GET`/`HEAD /files/<id>[/<name>]` | 200, or 206 for a `Range: bytes=...` |
//!
//! Every request but OPTIONS is authenticated by an account (HTTP Basic,
//! [`auth`]);
//! a file is served to its uploader and to the members of a conversation
//! it was shared into (`files::access`), and is 404 to anyone else.
//! `?to=#channel` (or `?to=nick`) on the POST shares it there: the
//! uploader must be in that conversation, and once the file is complete
//! the conversation is told by a message from the uploader's user.
//! Bodies stream to and from the disk in pieces: memory stays flat
//! whatever the file's size.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use natter_proto::casemap::fold;
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{auth, full, plain, Body};
use crate::files::{access, FileError, Files, OpenRequest, Status, Who, Written};
use crate::server::Shared;

/// Bytes gathered from a request body before each write to the disk.
const WRITE_PIECE: usize = 1 << 20;

/// How long a request body may send nothing before it counts as broken
/// off (the bytes that arrived are kept).
const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// The Content-Security-Policy of a served file: whatever it holds (HTML,
/// SVG) runs nothing and loads nothing on natter's origin.
const FILE_CSP: &str = "default-src 'none'; sandbox";

/// Whether `path` is one of this module's.
pub(crate) fn is_files_path(path: &str) -> bool {
    path == "/files" || path.starts_with("/files/")
}

/// A `text/plain` response with a message made at run time.
fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut r = Response::new(full(format!("{message}\n")));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The response to a failed file operation.
fn failed(error: &FileError) -> Response<Body> {
    let status = match error {
        FileError::Disabled | FileError::NotFound | FileError::Forbidden => StatusCode::NOT_FOUND,
        FileError::NoAccount => StatusCode::UNAUTHORIZED,
        FileError::TooLarge { .. } | FileError::OverQuota { .. } | FileError::TooMany { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        FileError::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        FileError::WrongOffset { .. } => StatusCode::CONFLICT,
        FileError::PastEnd { .. } | FileError::Invalid(_) => StatusCode::BAD_REQUEST,
        FileError::DigestMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        FileError::Incomplete => StatusCode::CONFLICT,
        FileError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut r = text(status, error.to_string());
    if let FileError::WrongOffset { expected } = error {
        set(&mut r, "upload-offset", expected.to_string());
    }
    r
}

fn set(r: &mut Response<Body>, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(name, v);
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The answer to a request under `/files` (see the module's table).
pub(crate) async fn respond(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    peer: SocketAddr,
    tls: bool,
) -> Response<Body> {
    let (files, trusted, allowed) = {
        let world = shared.world.lock();
        (
            world.files.clone(),
            super::proxy::trusted(&world.config.http.trusted_proxies),
            world.config.http.allowed_origins.clone(),
        )
    };
    let Some(files) = files else {
        return failed(&FileError::Disabled);
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client = super::proxy::client_addr(peer, &forwarded, &trusted);
    let path = req.uri().path().to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    if let (&Method::OPTIONS, ["files"]) = (&method, parts.as_slice()) {
        let mut r = Response::new(full(Bytes::new()));
        *r.status_mut() = StatusCode::NO_CONTENT;
        set(&mut r, "allow", "OPTIONS, POST".into());
        set(&mut r, "accept-post", "*/*".into());
        return r;
    }
    if matches!(method, Method::POST | Method::PATCH) && cross_site(&req, tls, &allowed) {
        return plain(
            StatusCode::FORBIDDEN,
            "uploads from another site's pages are refused\n",
        );
    }
    // Everything else is an account's.
    let account = match auth::account(shared, req.headers(), client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match (&method, parts.as_slice()) {
        (&Method::POST, ["files"]) => create(shared, &files, req, account).await,
        (&Method::HEAD | &Method::PATCH, ["files", "uploads", id]) if crate::files::is_id(id) => {
            let id = id.to_string();
            let Some(status) = files
                .entry(&id)
                .filter(|s| fold(&s.record.uploader) == fold(&account))
            else {
                return failed(&FileError::NotFound);
            };
            if method == Method::HEAD {
                let mut r = Response::new(full(Bytes::new()));
                set(&mut r, "upload-offset", status.received.to_string());
                set(&mut r, "upload-length", status.record.size.to_string());
                set(&mut r, "cache-control", "no-store".into());
                return r;
            }
            let Some(offset) = header_u64(req.headers(), "upload-offset") else {
                return plain(StatusCode::BAD_REQUEST, "Upload-Offset is required\n");
            };
            if offset > status.received {
                return failed(&FileError::WrongOffset {
                    expected: status.received,
                });
            }
            let result = receive(&files, &id, offset, req.into_body()).await;
            finish_write(shared, &files, &account, result, StatusCode::NO_CONTENT)
        }
        (&Method::GET | &Method::HEAD, ["files", id] | ["files", id, _])
            if crate::files::is_id(id) =>
        {
            download(shared, &files, id, &account, &req).await
        }
        (_, ["files"]) => allow("OPTIONS, POST"),
        (_, ["files", "uploads", _]) => allow("HEAD, PATCH"),
        _ if method != Method::GET && method != Method::HEAD => allow("GET, HEAD"),
        _ => failed(&FileError::NotFound),
    }
}

/// Whether a request that changes something comes from another site's
/// page (cross-site request forgery: a browser that once logged in with
/// Basic credentials sends them along by itself). Browsers say so with
/// `Sec-Fetch-Site`, and with an `Origin` that is not natter's own nor
/// one of `[http] allowed_origins`; programs such as curl send neither.
fn cross_site(req: &Request<Incoming>, tls: bool, allowed: &[String]) -> bool {
    let headers = req.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(site, Some("cross-site" | "same-site")) {
        return true;
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let scheme = if tls { "https" } else { "http" };
    !super::proxy::origin_allowed(origin, scheme, host, allowed)
}

fn allow(methods: &str) -> Response<Body> {
    let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    set(&mut r, "allow", methods.into());
    r
}

/// `filename` of a `Content-Disposition` header (RFC 6266: `filename*`
/// with UTF-8 percent-encoding preferred over `filename`).
fn disposition_name(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_DISPOSITION)?.to_str().ok()?;
    let mut plain_name = None;
    for param in value.split(';').map(str::trim) {
        let Some((key, v)) = param.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = v.trim().split_once("''").map(|(_, e)| e)?;
                return percent_decode_str(encoded)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned());
            }
            "filename" => plain_name = Some(v.trim().trim_matches('"').to_string()),
            _ => {}
        }
    }
    plain_name
}

/// A query parameter's value, percent-decoded.
fn query_param(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `POST /files`: a whole file in the body, or (`Upload-Length`, no body)
/// a resumable upload to PATCH.
async fn create(
    shared: &Arc<Shared>,
    files: &Arc<Files>,
    req: Request<Incoming>,
    account: String,
) -> Response<Body> {
    let headers = req.headers();
    let resumable = header_u64(headers, "upload-length");
    let Some(size) = resumable.or_else(|| header_u64(headers, "content-length")) else {
        return plain(
            StatusCode::LENGTH_REQUIRED,
            "Content-Length (or Upload-Length for a resumable upload) is required\n",
        );
    };
    let name = disposition_name(headers)
        .or_else(|| query_param(&req, "name"))
        .unwrap_or_else(|| "upload".into());
    // Where to share it: a channel the uploader is in, or a user.
    let mut grantees = Vec::new();
    if let Some(to) = query_param(&req, "to") {
        let world = shared.world.lock();
        let net = &world.net;
        let grantee = if to.starts_with(['#', '&']) {
            let member = net.channel(&to).is_some_and(|c| {
                c.members.keys().any(|m| {
                    net.user(*m)
                        .and_then(|u| u.account.as_deref())
                        .is_some_and(|a| fold(a) == fold(&account))
                })
            });
            member.then(|| access::grantee_channel(&to))
        } else {
            net.user_by_nick(&to)
                .and_then(|u| access::grantee_user(net, u.id))
        };
        match grantee {
            Some(g) => grantees.push(g),
            None => {
                return text(
                    StatusCode::FORBIDDEN,
                    format!("you cannot share into {to}: not a conversation you are in"),
                )
            }
        }
    }
    let request = OpenRequest {
        name,
        size,
        sha256: None,
        uploader: account.clone(),
        grantees,
    };
    let f = files.clone();
    let opened = tokio::task::spawn_blocking(move || f.open_upload(request)).await;
    let status = match opened {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return failed(&e),
        Err(e) => return failed(&FileError::Io(e.to_string())),
    };
    let id = status.record.id.clone();
    if status.record.complete {
        // An empty file is complete as soon as it is opened.
        let done = Written::Complete {
            record: status.record,
            fresh: true,
            grantees: status.grantees,
        };
        return finish_write(shared, files, &account, Ok(done), StatusCode::CREATED);
    }
    if resumable.is_some() {
        let mut r = Response::new(full(Bytes::new()));
        *r.status_mut() = StatusCode::CREATED;
        set(&mut r, "location", format!("/files/uploads/{id}"));
        set(&mut r, "upload-offset", "0".into());
        return r;
    }
    // Not resumable: a broken or short body leaves nothing behind, even
    // when hyper drops this handler because the client went away.
    let mut guard = DiscardUnlessDone {
        files: files.clone(),
        id: Some(id.clone()),
    };
    let result = receive(files, &id, 0, req.into_body()).await;
    if matches!(result, Ok(Written::Complete { .. })) {
        guard.id = None;
    }
    drop(guard);
    match result {
        Ok(Written::Partial(got)) => text(
            StatusCode::BAD_REQUEST,
            format!("the body ended after {got} of {size} bytes: nothing was kept"),
        ),
        other => finish_write(shared, files, &account, other, StatusCode::CREATED),
    }
}

/// Discards upload `id` when dropped, unless `id` was taken back.
struct DiscardUnlessDone {
    files: Arc<Files>,
    id: Option<String>,
}

impl Drop for DiscardUnlessDone {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let files = self.files.clone();
            drop(tokio::task::spawn_blocking(move || files.discard(&id)));
        }
    }
}

/// The answer to a body written into an upload, and the announcement when
/// it completed it.
fn finish_write(
    shared: &Arc<Shared>,
    files: &Arc<Files>,
    account: &str,
    result: Result<Written, FileError>,
    done: StatusCode,
) -> Response<Body> {
    match result {
        Ok(Written::Partial(offset)) => {
            let mut r = Response::new(full(Bytes::new()));
            *r.status_mut() = StatusCode::NO_CONTENT;
            set(&mut r, "upload-offset", offset.to_string());
            r
        }
        Ok(Written::Complete {
            record,
            fresh,
            grantees,
        }) => {
            if fresh {
                let mut world = shared.world.lock();
                crate::files::share::announce_as_account(
                    &mut world, account, files, &record, &grantees,
                );
            }
            let url = files
                .url(&record)
                .unwrap_or_else(|| format!("/files/{}", record.id));
            let mut r = if done == StatusCode::CREATED {
                let mut r = text(StatusCode::CREATED, url.clone());
                set(&mut r, "location", url);
                r
            } else {
                let mut r = Response::new(full(Bytes::new()));
                *r.status_mut() = done;
                set(&mut r, "location", url);
                r
            };
            set(&mut r, "upload-offset", record.size.to_string());
            r
        }
        Err(e) => failed(&e),
    }
}

/// Writes a request body into upload `id` from `offset`, in pieces of
/// [`WRITE_PIECE`] bytes, each on the blocking pool, each at the offset
/// that follows the last (a body may start before the bytes received: a
/// retried request). Returns the outcome of the last write (the bytes
/// received so far if the body broke off or went quiet for [`BODY_IDLE`]);
/// a completion by any piece counts as fresh.
async fn receive(
    files: &Arc<Files>,
    id: &str,
    mut offset: u64,
    mut body: Incoming,
) -> Result<Written, FileError> {
    let mut piece = BytesMut::with_capacity(WRITE_PIECE);
    let mut last = Written::Partial(offset);
    let mut completed = false;
    let mut ended = false;
    while !ended {
        match tokio::time::timeout(BODY_IDLE, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    piece.extend_from_slice(&data);
                }
            }
            // The client went away or stalled: keep what arrived.
            Ok(Some(Err(_)) | None) | Err(_) => ended = true,
        }
        if piece.len() >= WRITE_PIECE || (ended && !piece.is_empty()) {
            let data = piece.split().freeze();
            let (f, wid) = (files.clone(), id.to_string());
            let at = offset;
            offset += data.len() as u64;
            last = tokio::task::spawn_blocking(move || f.write(&wid, at, &data))
                .await
                .map_err(|e| FileError::Io(e.to_string()))??;
            completed |= matches!(last, Written::Complete { fresh: true, .. });
        }
    }
    if let Written::Complete { fresh, .. } = &mut last {
        *fresh |= completed;
    }
    Ok(last)
}

/// A `Range` header's one range over `size` bytes, as `start..end`
/// (RFC 9110 §14.1.2). `Ok(None)`: no range to honour (none, several, or
/// not valid syntax: the whole file is sent). `Err(())`: unsatisfiable
/// (416).
fn range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    // A number too large for u64 is larger than any file: as good as the end.
    let number = |t: &str| t.parse::<u64>().unwrap_or(u64::MAX);
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = match (digits(a), digits(b)) {
        (true, true) if number(a) <= number(b) => (number(a), number(b).saturating_add(1)),
        (true, false) if b.is_empty() => (number(a), size),
        (false, true) if a.is_empty() => match number(b) {
            0 => return Err(()),
            n => (size.saturating_sub(n), size),
        },
        _ => return Ok(None),
    };
    if start >= size {
        return Err(());
    }
    Ok(Some((start, end.min(size))))
}

/// `GET`/`HEAD /files/<id>`: the file, whole or a range, to its uploader
/// and the members of the conversations it was shared into.
async fn download(
    shared: &Arc<Shared>,
    files: &Arc<Files>,
    id: &str,
    account: &str,
    req: &Request<Incoming>,
) -> Response<Body> {
    let status: Option<Status> = {
        let world = shared.world.lock();
        let who = Who {
            user: None,
            account: Some(account.to_string()),
        };
        files.entry(id).filter(|s| {
            s.record.complete
                && access::may_fetch(&world.net, &who, &s.record.uploader, &s.grantees)
        })
    };
    let Some(status) = status else {
        return failed(&FileError::NotFound);
    };
    let record = status.record;
    let size = record.size;
    let (start, end, partial) = match range(req.headers(), size) {
        Ok(Some((s, e))) => (s, e, true),
        Ok(None) => (0, size, false),
        Err(()) => {
            let mut r = plain(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
            set(&mut r, "content-range", format!("bytes */{size}"));
            return r;
        }
    };
    let len = end - start;
    let body = if req.method() == Method::HEAD {
        full(Bytes::new())
    } else {
        let path = match files.blob_of(id) {
            Ok((p, _)) => p,
            Err(e) => return failed(&e),
        };
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) => return failed(&FileError::Io(e.to_string())),
        };
        if let Err(e) = file.seek(std::io::SeekFrom::Start(start)).await {
            return failed(&FileError::Io(e.to_string()));
        }
        let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), 64 * 1024)
            .map_ok(Frame::data);
        BodyExt::boxed_unsync(StreamBody::new(stream))
    };
    let mut r = Response::new(body);
    if partial {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            &mut r,
            "content-range",
            format!("bytes {start}-{}/{size}", end - 1),
        );
    }
    set(&mut r, "content-length", len.to_string());
    set(&mut r, "content-type", record.mime.clone());
    set(&mut r, "accept-ranges", "bytes".into());
    set(&mut r, "etag", format!("\"{}\"", record.sha256));
    set(&mut r, "cache-control", "private, max-age=3600".into());
    set(&mut r, "content-security-policy", FILE_CSP.into());
    // Images show in the browser (and the web client); anything else is
    // saved, never rendered on natter's origin.
    let inline = matches!(
        record.mime.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif" | "image/bmp"
    );
    set(
        &mut r,
        "content-disposition",
        format!(
            "{}; filename*=UTF-8''{}",
            if inline { "inline" } else { "attachment" },
            crate::files::percent_encode(&record.name)
        ),
    );
    r
}
