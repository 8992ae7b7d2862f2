//! IRCv3 capabilities (Capability Negotiation, <https://ircv3.net/specs/extensions/capability-negotiation>):
//! the set natter offers and the per-client set a client has enabled.

/// One capability natter offers, spelled as IRCv3 spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Cap {
    /// `multi-prefix`: NAMES and WHO show every member prefix, not just the highest.
    MultiPrefix = 1 << 0,
    /// `userhost-in-names`: NAMES shows `nick!user@host`.
    UserhostInNames = 1 << 1,
    /// `cap-notify`: CAP NEW/DEL (implied by CAP LS 302).
    CapNotify = 1 << 2,
}

impl Cap {
    /// Every capability natter offers, in CAP LS order.
    pub const ALL: [Cap; 3] = [Cap::CapNotify, Cap::MultiPrefix, Cap::UserhostInNames];

    /// The capability's name.
    pub fn name(self) -> &'static str {
        match self {
            Cap::MultiPrefix => "multi-prefix",
            Cap::UserhostInNames => "userhost-in-names",
            Cap::CapNotify => "cap-notify",
        }
    }

    /// The capability called `name`, if natter offers it.
    pub fn from_name(name: &str) -> Option<Cap> {
        Cap::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A set of capabilities, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapSet(pub u32);

impl CapSet {
    /// Whether `cap` is in the set.
    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap as u32 != 0
    }
    /// Adds or removes `cap`.
    pub fn set(&mut self, cap: Cap, on: bool) {
        if on {
            self.0 |= cap as u32;
        } else {
            self.0 &= !(cap as u32);
        }
    }
    /// The names of the capabilities in the set, space-separated.
    pub fn names(self) -> String {
        Cap::ALL
            .into_iter()
            .filter(|c| self.has(*c))
            .map(Cap::name)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
