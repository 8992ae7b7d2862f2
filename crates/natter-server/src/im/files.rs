//! The IM protocol's file extension (docs/im-protocol.md, "Files"): the
//! lectures' robust, stateless transfer. `FILE_OPEN` opens an upload into
//! a conversation, `FILE_WRITE` sends a chunk at an offset, `FILE_STATUS`
//! says where an upload stands, `FILE_READ` reads a piece of a file at an
//! offset. Each is answered `OK` or `NOT_OK` with the reason.
//!
//! Checks (membership, account, ownership) run here under the world lock;
//! the disk work runs off it as a [`Deferred::Disk`] job of the
//! connection, which finishes under the lock in the order of the client's
//! requests.

use base64::Engine;
use natter_model::MessageTarget;
use natter_proto::im::{ConvId, Reply};
use serde_json::{json, Value};

use crate::files::{access, FileError, Files, OpenRequest, Status, Who, Written, CHUNK};
use crate::session::{Ctx, Deferred, SlowJob};
use std::sync::Arc;

use super::conversations::Conversation;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn ok(ctx: &mut Ctx<'_>, request: &str, detail: Value) {
    Reply::Ok(request.into(), detail).write_to(&mut ctx.out);
}

/// Whether `frame`, from an IM client, is file data (`FILE_WRITE`,
/// `FILE_READ`): requests that, when they move bytes, are held to the
/// RecvQ and the SendQ rather than the flood bucket's line rate (the
/// handlers set `Client::moved_data`; any other outcome costs a token).
pub fn is_data(frame: &natter_proto::framer::Frame) -> bool {
    matches!(frame, natter_proto::framer::Frame::Line(l)
        if l.starts_with(b"FILE_WRITE ") || l.starts_with(b"FILE_READ "))
}

/// Sends `NOT_OK`.
fn not_ok(ctx: &mut Ctx<'_>, request: &str, id: Option<&str>, error: &FileError) {
    let mut detail = json!({ "reason": error.to_string() });
    if let Some(id) = id {
        detail["id"] = json!(id);
    }
    if let FileError::WrongOffset { expected } = error {
        detail["offset"] = json!(expected);
    }
    Reply::NotOk(request.into(), detail).write_to(&mut ctx.out);
}

/// The files of this server and the client's account, or `NOT_OK` sent.
fn files_and_account(ctx: &mut Ctx<'_>, request: &str) -> Option<(Arc<Files>, String)> {
    let Some(files) = ctx.world.files.clone() else {
        not_ok(ctx, request, None, &FileError::Disabled);
        return None;
    };
    match ctx.me().account.clone() {
        Some(account) => Some((files, account)),
        None => {
            not_ok(ctx, request, None, &FileError::NoAccount);
            None
        }
    }
}

/// Runs `work` off the lock, then `finish` with its result under it.
fn defer<T: Send + 'static>(
    ctx: &mut Ctx<'_>,
    work: impl FnOnce() -> T + Send + 'static,
    finish: impl FnOnce(&mut Ctx<'_>, T) + Send + 'static,
) {
    ctx.client.defer(Deferred::Disk(SlowJob::new(move || {
        let result = work();
        Box::new(move |ctx: &mut Ctx<'_>| finish(ctx, result))
    })));
}

/// A file's attributes as `FILE_STATUS` and a finished upload show them.
pub fn describe(files: &Files, status: &Status) -> Value {
    let r = &status.record;
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "size": r.size,
        "offset": status.received,
        "complete": r.complete,
        "sha256": r.sha256,
        "uploader": r.uploader,
        "time": crate::clock::format_time_ms(r.created_ms.max(0) as u64),
    });
    if r.complete {
        v["mime"] = json!(r.mime);
        if let Some(url) = files.url(r) {
            v["url"] = json!(url);
        }
    }
    v
}

/// Tells the conversations of a file this client just completed.
fn announce(ctx: &mut Ctx<'_>, files: &Files, status: &Status) {
    let me = ctx.client.id;
    crate::files::share::announce(
        ctx.world,
        me,
        files,
        &status.record,
        &status.grantees,
        Some(&mut ctx.out),
    );
}

/// `FILE_OPEN [convID, "name", size, "sha256"]`.
pub fn open(ctx: &mut Ctx<'_>, conv: ConvId, name: String, size: u64, sha256: String) {
    const REQ: &str = "FILE_OPEN";
    let Some((files, uploader)) = files_and_account(ctx, REQ) else {
        return;
    };
    let me = ctx.client.id;
    let target = match ctx.world.front.im.conversations.get(conv) {
        Some(Conversation::Group { channel, .. }) => {
            let member = ctx
                .world
                .net
                .channel(channel)
                .is_some_and(|c| c.member(me).is_some());
            member.then(|| MessageTarget::Channel {
                name: channel.clone(),
                status: None,
            })
        }
        Some(Conversation::Direct(a, b)) if *a == me || *b == me => {
            Some(MessageTarget::User(if *a == me { *b } else { *a }))
        }
        _ => None,
    };
    let Some(grantee) = target.and_then(|t| access::grantee_of(&ctx.world.net, &t)) else {
        let error = FileError::Invalid(format!("not in conversation {conv}"));
        return not_ok(ctx, REQ, None, &error);
    };
    let request = OpenRequest {
        name,
        size,
        sha256: Some(sha256),
        uploader,
        grantees: vec![grantee],
    };
    let f = files.clone();
    defer(
        ctx,
        move || f.open_upload(request),
        move |ctx, result| match result {
            Ok(status) => {
                let mut detail = describe(&files, &status);
                detail["chunk"] = json!(CHUNK);
                if let Some(base) = files.base_url() {
                    detail["upload_url"] =
                        json!(format!("{base}/files/uploads/{}", status.record.id));
                }
                ok(ctx, REQ, detail);
                if status.record.complete {
                    announce(ctx, &files, &status);
                }
            }
            Err(e) => not_ok(ctx, REQ, None, &e),
        },
    );
}

/// `FILE_WRITE ["id", offset, "base64"]`.
pub fn write(ctx: &mut Ctx<'_>, id: String, offset: u64, data: &str) {
    const REQ: &str = "FILE_WRITE";
    let Some((files, account)) = files_and_account(ctx, REQ) else {
        return;
    };
    let Ok(bytes) = B64.decode(data) else {
        let error = FileError::Invalid("the data is not base64".into());
        return not_ok(ctx, REQ, Some(&id), &error);
    };
    let mine = files.entry(&id).is_some_and(|e| {
        natter_proto::casemap::fold(&e.record.uploader) == natter_proto::casemap::fold(&account)
    });
    if !mine {
        return not_ok(ctx, REQ, Some(&id), &FileError::NotFound);
    }
    let f = files.clone();
    let wid = id.clone();
    let moved = !bytes.is_empty();
    defer(
        ctx,
        move || f.write(&wid, offset, &bytes),
        move |ctx, result| match result {
            Ok(Written::Partial(next)) => {
                ctx.client.moved_data = moved;
                ok(ctx, REQ, json!({ "id": id, "offset": next }))
            }
            Ok(Written::Complete {
                record,
                fresh,
                grantees,
            }) => {
                ctx.client.moved_data = moved && fresh;
                let status = Status {
                    received: record.size,
                    record,
                    grantees,
                };
                let mut detail = json!({ "id": id, "offset": status.record.size });
                detail["file"] = describe(&files, &status);
                ok(ctx, REQ, detail);
                if fresh {
                    announce(ctx, &files, &status);
                }
            }
            Err(e) => not_ok(ctx, REQ, Some(&id), &e),
        },
    );
}

/// The file `id` if this client may see it (its uploader, or someone it
/// was shared with), or `NOT_OK` sent.
fn visible(ctx: &mut Ctx<'_>, request: &str, id: &str) -> Option<(Arc<Files>, Status)> {
    let Some(files) = ctx.world.files.clone() else {
        not_ok(ctx, request, Some(id), &FileError::Disabled);
        return None;
    };
    let who = Who {
        user: Some(ctx.client.id),
        account: None,
    };
    let status = files
        .entry(id)
        .filter(|s| access::may_fetch(&ctx.world.net, &who, &s.record.uploader, &s.grantees));
    match status {
        Some(s) => Some((files, s)),
        // Not told apart from a file that does not exist.
        None => {
            not_ok(ctx, request, Some(id), &FileError::NotFound);
            None
        }
    }
}

/// `FILE_STATUS ["id"]`.
pub fn status(ctx: &mut Ctx<'_>, id: &str) {
    if let Some((files, status)) = visible(ctx, "FILE_STATUS", id) {
        let detail = describe(&files, &status);
        ok(ctx, "FILE_STATUS", detail);
    }
}

/// `FILE_READ ["id", offset, length]`.
pub fn read(ctx: &mut Ctx<'_>, id: String, offset: u64, len: u64) {
    const REQ: &str = "FILE_READ";
    let Some((files, status)) = visible(ctx, REQ, &id) else {
        return;
    };
    if !status.record.complete {
        return not_ok(ctx, REQ, Some(&id), &FileError::Incomplete);
    }
    let size = status.record.size;
    let len = len.min(CHUNK as u64) as usize;
    let rid = id.clone();
    defer(
        ctx,
        move || files.read(&rid, offset, len),
        move |ctx, result| match result {
            Ok(bytes) => {
                ctx.client.moved_data = !bytes.is_empty();
                ok(
                    ctx,
                    REQ,
                    json!({
                        "id": id,
                        "offset": offset,
                        "size": size,
                        "data": B64.encode(bytes),
                    }),
                )
            }
            Err(e) => not_ok(ctx, REQ, Some(&id), &e),
        },
    );
}
