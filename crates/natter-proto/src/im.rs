//! The IM protocol's frames: one message per line, the command word, then
//! optionally one space and its argument as one JSON value. This is the
//! lectures' IM server protocol with JSON in place of Python pickles; see
//! `docs/im-protocol.md` for the whole grammar, sequences and errors.
//!
//! Client to server ([`Request`]): `REGISTER ["user", "status"]`,
//! `STATUS ["status"]`, `GOODBYE`, `INVITE ["user", ...]`,
//! `LIST_CONVERSATIONS`, `JOIN [convID]`, `SEND_MESSAGE [convID, "text"]`,
//! `LEAVE [convID]`.
//!
//! Server to client ([`Reply`]): `ONLINE_USERS {"user": "status"}`,
//! `INVITATION [convID, "inviter"]`, `CONVERSATIONS {"convID": ["user"]}`,
//! `MESSAGE [convID, "sender", "text"]`, `ERROR "reason"`.

use std::collections::BTreeMap;

use serde_json::Value;

/// A conversation ID: a positive integer, never reused while a server runs.
pub type ConvId = u64;

/// A request from an IM client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `REGISTER ["username", "status"]`: the first message of a session;
    /// **(extension)** `REGISTER ["username", "status", "password"]` logs
    /// in to the account of that name (the IRC side's accounts), creating
    /// it if it does not exist.
    Register {
        /// The username (the same namespace as IRC nicknames).
        username: String,
        /// The initial status, e.g. `online` or `away`.
        status: String,
        /// The account password, if given.
        password: Option<String>,
    },
    /// `STATUS ["status"]`: changes the status.
    Status(String),
    /// `GOODBYE`: ends the session.
    Goodbye,
    /// `INVITE ["user", ...]`: creates a conversation and invites the users.
    Invite(Vec<String>),
    /// `LIST_CONVERSATIONS`: asks for the ongoing conversations.
    ListConversations,
    /// `JOIN [convID]`.
    Join(ConvId),
    /// `SEND_MESSAGE [convID, "message"]`.
    SendMessage(ConvId, String),
    /// `LEAVE [convID]`.
    Leave(ConvId),
    /// **(extension)** `PRESENCE ["changes"]` or `PRESENCE ["lists"]`: how
    /// the client wants presence told: as [`Reply::PresenceChanged`] with
    /// only what changed, or (the lecture's way, the default) as a whole
    /// [`Reply::OnlineUsers`] on every change.
    Presence(PresenceMode),
    /// **(extension)** `FILE_OPEN [convID, "name", size, "sha256"]`: opens
    /// an upload of `size` bytes with that SHA-256 (64 hex digits) to share
    /// into the conversation; answered `OK ["FILE_OPEN", {"id", "offset",
    /// ...}]` (an unfinished upload of the same file resumes: its offset)
    /// or `NOT_OK`.
    FileOpen {
        /// The conversation to share it into.
        conv: ConvId,
        /// The file's name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Its SHA-256, hex.
        sha256: String,
    },
    /// **(extension)** `FILE_WRITE ["id", offset, "base64"]`: bytes of an
    /// upload at `offset` (the lectures' `write(FileId, i, data)`);
    /// answered `OK` with the next offset or `NOT_OK` with the reason.
    FileWrite {
        /// The upload's ID.
        id: String,
        /// Where the bytes go.
        offset: u64,
        /// The bytes, base64 (RFC 4648 §4, with padding).
        data: String,
    },
    /// **(extension)** `FILE_STATUS ["id"]`: where an upload stands, or a
    /// file's attributes (the lectures' `getAttributes(FileId)`).
    FileStatus(String),
    /// **(extension)** `FILE_READ ["id", offset, length]`: up to `length`
    /// bytes of a file from `offset` (the lectures' `read(FileId, i, n)`).
    FileRead {
        /// The file's ID.
        id: String,
        /// Where to start, in bytes.
        offset: u64,
        /// How many bytes at most.
        len: u64,
    },
}

/// How an IM client is told about presence (the `PRESENCE` extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceMode {
    /// The whole ONLINE_USERS list on every change (the lecture's protocol).
    Lists,
    /// PRESENCE_CHANGED with only the users whose status changed.
    Changes,
}

impl Request {
    /// The request as the LF-terminated line a server reads (the inverse of
    /// [`parse_request`]; for clients such as `natter im`).
    pub fn to_line(&self) -> String {
        use serde_json::json;
        let (command, arg) = match self {
            Request::Register {
                username,
                status,
                password: None,
            } => ("REGISTER", Some(json!([username, status]))),
            Request::Register {
                username,
                status,
                password: Some(password),
            } => ("REGISTER", Some(json!([username, status, password]))),
            Request::Status(status) => ("STATUS", Some(json!([status]))),
            Request::Goodbye => ("GOODBYE", None),
            Request::Invite(users) => ("INVITE", Some(json!(users))),
            Request::ListConversations => ("LIST_CONVERSATIONS", None),
            Request::Join(id) => ("JOIN", Some(json!([id]))),
            Request::SendMessage(id, text) => ("SEND_MESSAGE", Some(json!([id, text]))),
            Request::Leave(id) => ("LEAVE", Some(json!([id]))),
            Request::Presence(mode) => (
                "PRESENCE",
                Some(json!([match mode {
                    PresenceMode::Lists => "lists",
                    PresenceMode::Changes => "changes",
                }])),
            ),
            Request::FileOpen {
                conv,
                name,
                size,
                sha256,
            } => ("FILE_OPEN", Some(json!([conv, name, size, sha256]))),
            Request::FileWrite { id, offset, data } => {
                ("FILE_WRITE", Some(json!([id, offset, data])))
            }
            Request::FileStatus(id) => ("FILE_STATUS", Some(json!([id]))),
            Request::FileRead { id, offset, len } => ("FILE_READ", Some(json!([id, offset, len]))),
        };
        match arg {
            Some(arg) => format!("{command} {arg}\n"),
            None => format!("{command}\n"),
        }
    }
}

/// Why a line is not a valid request. `Display` gives the text sent back
/// in `ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The line is empty.
    Empty,
    /// The command word is not one of the protocol's.
    UnknownCommand(String),
    /// The argument is not valid JSON.
    InvalidJson(String),
    /// The argument is JSON of the wrong shape; names the expected shape.
    BadArguments {
        /// The command.
        command: &'static str,
        /// The shape it takes, e.g. `["username", "status"]`.
        expected: &'static str,
    },
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::Empty => write!(f, "empty message"),
            RequestError::UnknownCommand(c) => write!(f, "unknown command {c}"),
            RequestError::InvalidJson(e) => write!(f, "invalid JSON argument: {e}"),
            RequestError::BadArguments { command, expected } => {
                write!(f, "{command} takes {expected}")
            }
        }
    }
}

impl std::error::Error for RequestError {}

/// Parses one line (without its LF or CR LF).
///
/// Errors: [`RequestError`] for an empty line, an unknown command, JSON that
/// does not parse, or an argument of the wrong shape (including a missing
/// or superfluous argument).
pub fn parse_request(line: &str) -> Result<Request, RequestError> {
    let line = line.trim_matches([' ', '\t']);
    if line.is_empty() {
        return Err(RequestError::Empty);
    }
    let (command, arg) = match line.split_once(' ') {
        Some((c, a)) => (c, Some(a.trim())),
        None => (line, None),
    };
    let arg: Option<Value> = match arg.filter(|a| !a.is_empty()) {
        Some(a) => {
            Some(serde_json::from_str(a).map_err(|e| RequestError::InvalidJson(e.to_string()))?)
        }
        None => None,
    };
    let bad = |command: &'static str, expected: &'static str| RequestError::BadArguments {
        command,
        expected,
    };
    let items = |v: &Option<Value>| -> Option<Vec<Value>> {
        match v {
            Some(Value::Array(a)) => Some(a.clone()),
            _ => None,
        }
    };
    let string = |v: &Value| v.as_str().map(str::to_owned);
    let conv = |v: &Value| v.as_u64().filter(|&n| n > 0);
    Ok(match command {
        "REGISTER" => {
            let e = || {
                bad(
                    "REGISTER",
                    r#"["username", "status"] or ["username", "status", "password"]"#,
                )
            };
            match items(&arg).as_deref() {
                Some([u, s]) => Request::Register {
                    username: string(u).ok_or_else(e)?,
                    status: string(s).ok_or_else(e)?,
                    password: None,
                },
                Some([u, s, p]) => Request::Register {
                    username: string(u).ok_or_else(e)?,
                    status: string(s).ok_or_else(e)?,
                    password: Some(string(p).ok_or_else(e)?),
                },
                _ => return Err(e()),
            }
        }
        "STATUS" => {
            let e = || bad("STATUS", r#"["status"]"#);
            match items(&arg).as_deref() {
                Some([s]) => Request::Status(string(s).ok_or_else(e)?),
                _ => return Err(e()),
            }
        }
        "GOODBYE" | "LIST_CONVERSATIONS" => {
            if arg.is_some() {
                return Err(if command == "GOODBYE" {
                    bad("GOODBYE", "no argument")
                } else {
                    bad("LIST_CONVERSATIONS", "no argument")
                });
            }
            if command == "GOODBYE" {
                Request::Goodbye
            } else {
                Request::ListConversations
            }
        }
        "INVITE" => {
            let e = || bad("INVITE", r#"["username", ...] (at least one)"#);
            let list = items(&arg).filter(|l| !l.is_empty()).ok_or_else(e)?;
            Request::Invite(
                list.iter()
                    .map(string)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(e)?,
            )
        }
        "JOIN" | "LEAVE" => {
            let (name, expected) = if command == "JOIN" {
                ("JOIN", "[convID] (a positive integer)")
            } else {
                ("LEAVE", "[convID] (a positive integer)")
            };
            match items(&arg).as_deref() {
                Some([id]) => {
                    let id = conv(id).ok_or_else(|| bad(name, expected))?;
                    if command == "JOIN" {
                        Request::Join(id)
                    } else {
                        Request::Leave(id)
                    }
                }
                _ => return Err(bad(name, expected)),
            }
        }
        "PRESENCE" => {
            let e = || bad("PRESENCE", r#"["changes"] or ["lists"]"#);
            match items(&arg)
                .as_deref()
                .map(|a| a.iter().map(Value::as_str).collect::<Vec<_>>())
            {
                Some(a) if a == [Some("changes")] => Request::Presence(PresenceMode::Changes),
                Some(a) if a == [Some("lists")] => Request::Presence(PresenceMode::Lists),
                _ => return Err(e()),
            }
        }
        "SEND_MESSAGE" => {
            let e = || bad("SEND_MESSAGE", r#"[convID, "message"]"#);
            match items(&arg).as_deref() {
                Some([id, text]) => {
                    Request::SendMessage(conv(id).ok_or_else(e)?, string(text).ok_or_else(e)?)
                }
                _ => return Err(e()),
            }
        }
        "FILE_OPEN" => {
            let e = || bad("FILE_OPEN", r#"[convID, "name", size, "sha256"]"#);
            match items(&arg).as_deref() {
                Some([c, n, size, sha]) => Request::FileOpen {
                    conv: conv(c).ok_or_else(e)?,
                    name: string(n).ok_or_else(e)?,
                    size: size.as_u64().ok_or_else(e)?,
                    sha256: string(sha).ok_or_else(e)?,
                },
                _ => return Err(e()),
            }
        }
        "FILE_WRITE" => {
            let e = || bad("FILE_WRITE", r#"["id", offset, "base64"]"#);
            match items(&arg).as_deref() {
                Some([id, offset, data]) => Request::FileWrite {
                    id: string(id).ok_or_else(e)?,
                    offset: offset.as_u64().ok_or_else(e)?,
                    data: string(data).ok_or_else(e)?,
                },
                _ => return Err(e()),
            }
        }
        "FILE_STATUS" => {
            let e = || bad("FILE_STATUS", r#"["id"]"#);
            match items(&arg).as_deref() {
                Some([id]) => Request::FileStatus(string(id).ok_or_else(e)?),
                _ => return Err(e()),
            }
        }
        "FILE_READ" => {
            let e = || bad("FILE_READ", r#"["id", offset, length]"#);
            match items(&arg).as_deref() {
                Some([id, offset, len]) => Request::FileRead {
                    id: string(id).ok_or_else(e)?,
                    offset: offset.as_u64().ok_or_else(e)?,
                    len: len.as_u64().ok_or_else(e)?,
                },
                _ => return Err(e()),
            }
        }
        other => {
            return Err(RequestError::UnknownCommand(
                other.chars().take(32).collect(),
            ))
        }
    })
}

/// A message from the server to an IM client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `ONLINE_USERS {"username": "status", ...}`.
    OnlineUsers(BTreeMap<String, String>),
    /// **(extension)** `PRESENCE_CHANGED {"username": "status" or null, ...}`:
    /// the users whose presence changed (`null`: gone offline), for a client
    /// that asked with `PRESENCE ["changes"]`.
    PresenceChanged(BTreeMap<String, Option<String>>),
    /// `INVITATION [convID, "inviter"]`.
    Invitation(ConvId, String),
    /// `CONVERSATIONS {"convID": ["user", ...], ...}`.
    Conversations(BTreeMap<ConvId, Vec<String>>),
    /// `MESSAGE [convID, "sender", "message"]`.
    Message(ConvId, String, String),
    /// **(extension)** `HISTORY [convID, [["sender", "message", "time"],
    /// ...]]`: a conversation's recent messages, oldest first, sent after
    /// JOIN; `time` is UTC, `YYYY-MM-DDThh:mm:ss.sssZ`.
    History(ConvId, Vec<(String, String, String)>),
    /// `ERROR "reason"`.
    Error(String),
    /// **(extension)** `OK ["REQUEST", {...}]`: a file request (`FILE_OPEN`,
    /// `FILE_WRITE`, `FILE_STATUS`, `FILE_READ`) done; the object's fields
    /// depend on the request (docs/im-protocol.md, "Files").
    Ok(String, Value),
    /// **(extension)** `NOT_OK ["REQUEST", {"reason": "...", ...}]`: a file
    /// request refused, with the reason and, for a `FILE_WRITE` at the
    /// wrong offset, the `offset` to go on from.
    NotOk(String, Value),
}

impl Reply {
    /// Appends the reply as one line, LF-terminated, to `out`. JSON string
    /// escaping keeps any CR or LF inside values off the wire.
    pub fn write_to(&self, out: &mut String) {
        let (command, arg) = match self {
            Reply::OnlineUsers(users) => ("ONLINE_USERS", serde_json::to_string(users)),
            Reply::PresenceChanged(changes) => ("PRESENCE_CHANGED", serde_json::to_string(changes)),
            Reply::Invitation(id, by) => ("INVITATION", serde_json::to_string(&(id, by))),
            Reply::Conversations(convs) => {
                let map: BTreeMap<String, &Vec<String>> =
                    convs.iter().map(|(k, v)| (k.to_string(), v)).collect();
                ("CONVERSATIONS", serde_json::to_string(&map))
            }
            Reply::Message(id, from, text) => ("MESSAGE", serde_json::to_string(&(id, from, text))),
            Reply::History(id, messages) => ("HISTORY", serde_json::to_string(&(id, messages))),
            Reply::Error(reason) => ("ERROR", serde_json::to_string(reason)),
            Reply::Ok(request, detail) => ("OK", serde_json::to_string(&(request, detail))),
            Reply::NotOk(request, detail) => ("NOT_OK", serde_json::to_string(&(request, detail))),
        };
        out.push_str(command);
        out.push(' ');
        out.push_str(&arg.unwrap_or_else(|_| "null".into()));
        out.push('\n');
    }

    /// The reply as one LF-terminated line.
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        self.write_to(&mut s);
        s
    }

    /// Parses a server line (for clients such as `natter im`).
    ///
    /// Errors: [`RequestError`] as for [`parse_request`].
    pub fn parse(line: &str) -> Result<Reply, RequestError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (command, arg) = line.split_once(' ').unwrap_or((line, ""));
        let v: Value =
            serde_json::from_str(arg).map_err(|e| RequestError::InvalidJson(e.to_string()))?;
        let bad = |command: &'static str, expected: &'static str| RequestError::BadArguments {
            command,
            expected,
        };
        let s = |v: &Value| v.as_str().map(str::to_owned);
        Ok(match command {
            "ONLINE_USERS" => Reply::OnlineUsers(
                serde_json::from_value(v)
                    .map_err(|_| bad("ONLINE_USERS", r#"{"user": "status"}"#))?,
            ),
            "PRESENCE_CHANGED" => Reply::PresenceChanged(
                serde_json::from_value(v)
                    .map_err(|_| bad("PRESENCE_CHANGED", r#"{"user": "status" or null}"#))?,
            ),
            "INVITATION" => match v.as_array().map(Vec::as_slice) {
                Some([id, by]) => Reply::Invitation(
                    id.as_u64().ok_or(bad("INVITATION", "[convID, inviter]"))?,
                    s(by).ok_or(bad("INVITATION", "[convID, inviter]"))?,
                ),
                _ => return Err(bad("INVITATION", "[convID, inviter]")),
            },
            "CONVERSATIONS" => {
                let map: BTreeMap<String, Vec<String>> = serde_json::from_value(v)
                    .map_err(|_| bad("CONVERSATIONS", r#"{"convID": [users]}"#))?;
                Reply::Conversations(
                    map.into_iter()
                        .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                        .collect(),
                )
            }
            "MESSAGE" => match v.as_array().map(Vec::as_slice) {
                Some([id, from, text]) => Reply::Message(
                    id.as_u64()
                        .ok_or(bad("MESSAGE", "[convID, sender, text]"))?,
                    s(from).ok_or(bad("MESSAGE", "[convID, sender, text]"))?,
                    s(text).ok_or(bad("MESSAGE", "[convID, sender, text]"))?,
                ),
                _ => return Err(bad("MESSAGE", "[convID, sender, text]")),
            },
            "HISTORY" => {
                let (id, messages): (ConvId, Vec<(String, String, String)>) =
                    serde_json::from_value(v).map_err(|_| {
                        bad("HISTORY", r#"[convID, [["sender", "message", "time"]]]"#)
                    })?;
                Reply::History(id, messages)
            }
            "ERROR" => Reply::Error(s(&v).unwrap_or_else(|| v.to_string())),
            "OK" | "NOT_OK" => {
                let (request, detail): (String, Value) =
                    serde_json::from_value(v).map_err(|_| bad("OK", r#"["REQUEST", {...}]"#))?;
                if command == "OK" {
                    Reply::Ok(request, detail)
                } else {
                    Reply::NotOk(request, detail)
                }
            }
            other => return Err(RequestError::UnknownCommand(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_parse_back() {
        let requests = [
            Request::Register {
                username: "ann".into(),
                status: "away: \"lunch\"\n".into(),
                password: None,
            },
            Request::Register {
                username: "ann".into(),
                status: "online".into(),
                password: Some("s3cret \"x\"".into()),
            },
            Request::Status("busy".into()),
            Request::Goodbye,
            Request::Invite(vec!["ben".into(), "cat".into()]),
            Request::ListConversations,
            Request::Join(3),
            Request::SendMessage(3, "héllo \\ wörld\r\n".into()),
            Request::Leave(3),
            Request::FileOpen {
                conv: 3,
                name: "a \"b\".txt".into(),
                size: 12,
                sha256: "ab".repeat(32),
            },
            Request::FileWrite {
                id: "x".repeat(22),
                offset: 6144,
                data: "aGk=".into(),
            },
            Request::FileStatus("x".repeat(22)),
            Request::FileRead {
                id: "x".repeat(22),
                offset: 0,
                len: 6144,
            },
        ];
        for r in requests {
            let line = r.to_line();
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line:?}"
            );
            assert_eq!(parse_request(line.trim_end()), Ok(r), "{line:?}");
        }
        assert_eq!(Request::Join(3).to_line(), "JOIN [3]\n");
    }

    #[test]
    fn parses_every_request() {
        assert_eq!(
            parse_request(r#"REGISTER ["ann", "online"]"#),
            Ok(Request::Register {
                username: "ann".into(),
                status: "online".into(),
                password: None,
            })
        );
        assert_eq!(
            parse_request(r#"REGISTER ["ann", "online", "pw"]"#),
            Ok(Request::Register {
                username: "ann".into(),
                status: "online".into(),
                password: Some("pw".into()),
            })
        );
        assert_eq!(
            parse_request(r#"STATUS ["away"]"#),
            Ok(Request::Status("away".into()))
        );
        assert_eq!(parse_request("GOODBYE"), Ok(Request::Goodbye));
        assert_eq!(
            parse_request(r#"INVITE ["a","b"]"#),
            Ok(Request::Invite(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            parse_request("LIST_CONVERSATIONS"),
            Ok(Request::ListConversations)
        );
        assert_eq!(parse_request("JOIN [3]"), Ok(Request::Join(3)));
        assert_eq!(
            parse_request(r#"SEND_MESSAGE [3, "hi there"]"#),
            Ok(Request::SendMessage(3, "hi there".into()))
        );
        assert_eq!(parse_request("LEAVE [3]"), Ok(Request::Leave(3)));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(
            matches!(parse_request("HELLO"), Err(RequestError::UnknownCommand(c)) if c == "HELLO")
        );
        assert!(matches!(
            parse_request("JOIN [0]"),
            Err(RequestError::BadArguments { .. })
        ));
        assert!(matches!(
            parse_request("JOIN [\"3\"]"),
            Err(RequestError::BadArguments { .. })
        ));
        assert!(matches!(
            parse_request("JOIN"),
            Err(RequestError::BadArguments { .. })
        ));
        assert!(matches!(
            parse_request("REGISTER [\"a\"]"),
            Err(RequestError::BadArguments { .. })
        ));
        assert!(matches!(
            parse_request("REGISTER [\"a\""),
            Err(RequestError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_request("INVITE []"),
            Err(RequestError::BadArguments { .. })
        ));
        assert!(matches!(
            parse_request("GOODBYE now"),
            Err(RequestError::InvalidJson(_))
        ));
        assert_eq!(parse_request("   "), Err(RequestError::Empty));
    }

    #[test]
    fn replies_round_trip() {
        let replies = [
            Reply::OnlineUsers([("ann".to_string(), "online".to_string())].into()),
            Reply::Invitation(7, "ann".into()),
            Reply::Conversations([(7, vec!["ann".to_string(), "ben".to_string()])].into()),
            Reply::Message(7, "ann".into(), "line one\nline two \"quoted\"".into()),
            Reply::History(
                7,
                vec![("ann".into(), "hi".into(), "2026-12-06T10:00:00.000Z".into())],
            ),
            Reply::Error("no such conversation 9".into()),
            Reply::Ok(
                "FILE_WRITE".into(),
                serde_json::json!({"id": "abc", "offset": 6144}),
            ),
            Reply::NotOk(
                "FILE_WRITE".into(),
                serde_json::json!({"id": "abc", "offset": 0, "reason": "wrong offset"}),
            ),
            Reply::PresenceChanged(
                [
                    ("ann".to_string(), Some("lunch".to_string())),
                    ("ben".to_string(), None),
                ]
                .into(),
            ),
        ];
        for r in replies {
            let line = r.to_line();
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert_eq!(Reply::parse(&line), Ok(r));
        }
        assert_eq!(
            Reply::Invitation(7, "ann".into()).to_line(),
            "INVITATION [7,\"ann\"]\n"
        );
        let gone = Reply::PresenceChanged([("ben".to_string(), None)].into());
        assert_eq!(gone.to_line(), "PRESENCE_CHANGED {\"ben\":null}\n");
    }

    #[test]
    fn presence_requests_parse_and_round_trip() {
        for (line, mode) in [
            (r#"PRESENCE ["changes"]"#, PresenceMode::Changes),
            (r#"PRESENCE ["lists"]"#, PresenceMode::Lists),
        ] {
            let req = parse_request(line).unwrap();
            assert_eq!(req, Request::Presence(mode));
            assert_eq!(req.to_line().trim_end(), line);
        }
        for bad in [
            r#"PRESENCE"#,
            r#"PRESENCE ["deltas"]"#,
            r#"PRESENCE ["changes", "x"]"#,
        ] {
            assert!(matches!(
                parse_request(bad),
                Err(RequestError::BadArguments {
                    command: "PRESENCE",
                    ..
                })
            ));
        }
    }
}
