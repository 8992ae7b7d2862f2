//! Deserializers that say what a key needs in words ("a whole number of
//! seconds", "true or false") where serde would name a Rust type (`u64`,
//! "a boolean", "a sequence"). The fields keep their types.

use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};
use serde::Deserialize;

/// A whole number of at most `T::MAX`, described as `expecting`.
struct Whole<T>(&'static str, PhantomData<T>);

impl<T: TryFrom<u64>> Visitor<'_> for Whole<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }
}

/// Timeouts and intervals.
pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_u64(Whole("a whole number of seconds", PhantomData))
}

/// Sizes in bytes (TOML allows `104_857_600`).
pub fn bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_u64(Whole("a whole number of bytes", PhantomData))
}

/// Counts and lengths.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    d.deserialize_u64(Whole("a whole number", PhantomData))
}

/// Counts and lengths that may be left out.
pub fn some_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    count(d).map(Some)
}

struct Flag;

impl Visitor<'_> for Flag {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true or false")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
}

/// Switches.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_bool(Flag)
}

/// A string, described as `expecting`.
struct Text(&'static str);

impl Visitor<'_> for Text {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

const PATH: &str = "a path as a string, such as \"natter-data\"";

/// A file or directory.
pub fn path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    d.deserialize_str(Text(PATH)).map(PathBuf::from)
}

/// A file or directory that may be left out.
pub fn some_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    path(d).map(Some)
}

/// A list of `T`, described as `expecting`; each element says what it
/// needs itself.
struct List<T>(&'static str, PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for List<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut all = Vec::new();
        while let Some(one) = seq.next_element()? {
            all.push(one);
        }
        Ok(all)
    }
}

fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    expecting: &'static str,
) -> Result<Vec<T>, D::Error> {
    d.deserialize_seq(List(expecting, PhantomData))
}

/// `client_tag_deny`.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    list(d, "a list of strings, such as [\"typing\"]")
}

/// `[[oper]]` blocks.
pub fn opers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::Oper>, D::Error> {
    list(d, "[[oper]] tables")
}

/// `[[link]]` blocks.
pub fn links<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::LinkBlock>, D::Error> {
    list(d, "[[link]] tables")
}

/// `[[class]]` blocks.
pub fn classes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::ConnectClass>, D::Error> {
    list(d, "[[class]] tables")
}

/// One listener address: the addresses its host name resolves to.
struct Address(Vec<SocketAddr>);

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = d.deserialize_str(Text("an address such as 127.0.0.1:6667"))?;
        super::resolve_listen(&text)
            .map(Address)
            .map_err(de::Error::custom)
    }
}

/// Listener addresses, host names resolved.
pub fn addresses<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    let all: Vec<Address> = list(d, "a list of addresses, such as [\"127.0.0.1:6667\"]")?;
    Ok(all.into_iter().flat_map(|a| a.0).collect())
}
