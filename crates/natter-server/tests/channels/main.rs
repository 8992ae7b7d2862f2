//! Channel operations end to end (RFC 2811, RFC 2812 3.2, Modern IRC
//! "Channel Operations"): JOIN (creation, keys, several at once, `JOIN 0`,
//! `&` channels, limits on names and counts), channel lifetime, PART, TOPIC
//! (+t, RPL_TOPICWHOTIME, clearing, shown on join), NAMES (invisible users,
//! secret channels, line splitting), LIST (ELIST `>n`/`<n`, secret
//! channels), KICK, INVITE, the join restrictions +i/+k/+l/+b, and rfc1459
//! casemapping of channel names.

#[path = "../common/mod.rs"]
mod common;
mod join_part;
mod kick_invite;
mod restrictions;
mod topic_names_list;

use common::*;
use natter_proto::Message;
