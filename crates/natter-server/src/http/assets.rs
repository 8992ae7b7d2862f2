//! The web client's files, embedded in the binary from the repository's
//! top-level `web/` folder, so `natter serve` needs nothing on disk.
//!
//! [`FILES`] is the one list: adding a file to the web client is one line
//! there. Only [`super`] serves them (GET and HEAD; other paths are 404).

/// One embedded file.
pub(crate) struct Asset {
    /// The request path that serves it (`/` for the page itself).
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes, as they were at build time.
    pub body: &'static [u8],
}

/// Every file the HTTP listener serves, by request path.
pub(crate) const FILES: &[Asset] = &[
    asset("/", HTML, include_bytes!("../../../../web/index.html")),
    asset("/app.js", JS, include_bytes!("../../../../web/app.js")),
    // The modules app.js imports (web/app.js names each one's job).
    asset("/irc.js", JS, include_bytes!("../../../../web/irc.js")),
    asset(
        "/buffers.js",
        JS,
        include_bytes!("../../../../web/buffers.js"),
    ),
    asset(
        "/render.js",
        JS,
        include_bytes!("../../../../web/render.js"),
    ),
    asset("/ui.js", JS, include_bytes!("../../../../web/ui.js")),
    asset(
        "/commands.js",
        JS,
        include_bytes!("../../../../web/commands.js"),
    ),
    asset(
        "/upload.js",
        JS,
        include_bytes!("../../../../web/upload.js"),
    ),
    asset(
        "/style.css",
        CSS,
        include_bytes!("../../../../web/style.css"),
    ),
];

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const fn asset(path: &'static str, content_type: &'static str, body: &'static [u8]) -> Asset {
    Asset {
        path,
        content_type,
        body,
    }
}

/// The file served at `path` (`/index.html` is `/`); `None`: 404.
pub(crate) fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    FILES.iter().find(|a| a.path == path)
}

/// The `Content-Security-Policy` of every response: the page loads its
/// script, style and pictures only from this server, talks only to this
/// server (WebSocket included), and cannot be framed.
///
/// `blob:` pictures are images shared in a conversation (issue 14): an
/// `<img>` cannot send the account's credentials, so `web/upload.js`
/// fetches them from this server and shows them from a `blob:` URL of the
/// page's own making. Nothing from another host is ever shown.
pub(crate) const CSP: &str = "default-src 'self'; connect-src 'self'; \
    img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_its_script_and_style_are_found() {
        assert_eq!(find("/").unwrap().content_type, HTML);
        assert_eq!(find("/index.html").unwrap().path, "/");
        assert_eq!(find("/app.js").unwrap().content_type, JS);
        assert_eq!(find("/style.css").unwrap().content_type, CSS);
        for module in [
            "/irc.js",
            "/buffers.js",
            "/render.js",
            "/ui.js",
            "/commands.js",
            "/upload.js",
        ] {
            assert_eq!(find(module).unwrap().content_type, JS, "{module}");
        }
        assert!(find("/natter.toml").is_none());
        assert!(find("/../Cargo.toml").is_none());
    }
}
