//! The network model of natter: every user, channel and mode the network
//! knows, and the [`Event`]s that change them.
//!
//! This crate is pure logic. It owns no sockets, clocks or tasks: front ends
//! (the IRC and IM protocols, and later server links) turn a client's command
//! into one or more [`Event`]s, hand each to [`Network::apply`], and receive
//! the list of users the event must be shown to. Each front end then renders
//! the event for its own clients. Because every change goes through this one
//! path, IRC, IM and linked servers cannot disagree about the state.
//!
//! Names are compared with the rfc1459 casemapping from
//! [`natter_proto::casemap`]; maps are keyed by the folded form and keep the
//! display form in the value.

pub mod ban;
pub mod channel;
pub mod event;
pub mod network;
pub mod server;
pub mod user;

pub use ban::{BanKind, ServerBan};
pub use channel::{Channel, ChannelModes, JoinRefusal, ListEntry, Membership, SendRefusal, Topic};
pub use event::{Event, MessageKind, MessageTarget, ModeArg, ModeChange, Source};
pub use network::{Network, NickInUse, WhowasEntry};
pub use server::{Server, ServerId, LOCAL_SERVER};
pub use user::{Frontend, Identity, User, UserId, UserMap, UserModes, UserRef, UserSet};
