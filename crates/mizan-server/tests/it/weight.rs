//! What a page costs to download (issue #15, item 7): English pages name no font anywhere in
//! what they link, Urdu pages declare the subset WOFF2 for Arabic script only, and pages, CSS,
//! JSON, CSV and the feed are compressed when, and only when, the client asks. (The browser
//! suite measures the bytes a fresh Chromium actually transfers.)

use std::io::Read as _;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::TestApp;

/// The most the Urdu font may weigh. It is about 104 KiB; a regenerated font that grows past
/// this is a decision to make, not to notice later.
const FONT_MAX_BYTES: usize = 120 * 1024;

/// The `href`s of a page's `<link rel="stylesheet">`s.
fn stylesheets(html: &str) -> Vec<String> {
    html.split("<link ")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>')?];
            let href = tag.split("href=\"").nth(1)?.split('"').next()?;
            tag.contains("rel=\"stylesheet\"").then(|| href.to_owned())
        })
        .collect()
}

/// Each stylesheet a page links, with its text.
async fn linked_css(app: &TestApp, c: &reqwest::Client, path: &str) -> Vec<(String, String)> {
    let page = c.get(app.url(path)).send().await.unwrap().text().await.unwrap();
    let mut out = Vec::new();
    for href in stylesheets(&page) {
        let res = c.get(app.url(&href)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{href} linked from {path}");
        out.push((href, res.text().await.unwrap()));
    }
    assert!(!out.is_empty(), "{path} links a stylesheet");
    assert!(!page.contains(".woff") && !page.contains(".ttf"), "{path} names no font file itself");
    out
}

/// The code points of a `unicode-range` descriptor, as inclusive ranges.
fn unicode_range(css: &str) -> Vec<(u32, u32)> {
    let decl = css.split("unicode-range:").nth(1).expect("a unicode-range").split(';').next().unwrap();
    decl.split(',')
        .map(|r| {
            let r = r.trim().trim_start_matches("U+");
            let (lo, hi) = r.split_once('-').unwrap_or((r, r));
            (u32::from_str_radix(lo, 16).expect(lo), u32::from_str_radix(hi, 16).expect(hi))
        })
        .collect()
}

#[tokio::test]
async fn english_pages_load_no_font_and_urdu_pages_a_small_woff2_for_urdu_text_only() {
    let app = TestApp::start(true).await;
    let c = app.client();
    // English pages, the 404 page included: nothing they link declares a font face.
    for path in ["/", "/register", "/about", "/verify", "/register/zzzzzzzz"] {
        for (href, css) in linked_css(&app, &c, path).await {
            assert!(!css.contains("@font-face"), "{href}, linked from English {path}, declares a font");
            assert!(!href.contains("urdu"), "English {path} links {href}");
        }
    }

    // Urdu pages link the stylesheet that declares the face, limited to Arabic script.
    let mut faces = Vec::new();
    for path in ["/?lang=ur", "/register?lang=ur", "/register/zzzzzzzz?lang=ur"] {
        let declaring: Vec<_> = linked_css(&app, &c, path)
            .await
            .into_iter()
            .filter(|(_, css)| css.contains("@font-face"))
            .collect();
        assert_eq!(declaring.len(), 1, "Urdu {path} links one stylesheet declaring the font");
        faces.push(declaring[0].1.clone());
    }
    let css = &faces[0];
    assert!(faces.iter().all(|f| f == css), "one face for every Urdu page");
    assert!(css.contains("font-family: \"Noto Nastaliq Urdu\""), "{css}");
    assert!(!css.contains("local("), "no local() source: every device gets the tested subset");
    let range = unicode_range(css);
    let covered = |c: char| range.iter().any(|&(lo, hi)| (lo..=hi).contains(&u32::from(c)));
    for c in ['a', 'Z', '0', '.', 'é', '—'] {
        assert!(!covered(c), "`{c}` is not Urdu script, yet in the font's unicode-range");
    }
    // Every Urdu-script character Mizan shows (the Urdu messages) is in the range.
    let messages = include_str!("../../locales/ur/main.ftl");
    let arabic: Vec<char> = messages.chars().filter(|c| ('\u{0600}'..='\u{06FF}').contains(c)).collect();
    assert!(arabic.len() > 1000, "the Urdu messages are read");
    for c in "میزان ٹ ڈ ڑ ں ھ ہ ۂ ے ی ک گ ۔ ، ؛ ؟ ۰۱۲۳۴۵۶۷۸۹\u{200C}\u{200D}".chars().chain(arabic)
    {
        assert!(covered(c), "U+{:04X} `{c}` is outside the font's unicode-range", u32::from(c));
    }

    // The font: WOFF2, small, immutable under a name that carries its hash, never recompressed.
    let url = css.split("url(\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(url.starts_with("/static/NotoNastaliqUrdu-urdu.") && url.ends_with(".woff2"), "{url}");
    let hash = url.trim_start_matches("/static/NotoNastaliqUrdu-urdu.").trim_end_matches(".woff2");
    assert!(hash.len() >= 12 && hash.chars().all(|c| c.is_ascii_hexdigit()), "a content hash in {url}");
    let font = c.get(app.url(url)).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(font.status(), 200);
    assert_eq!(font.headers()["content-type"], "font/woff2");
    assert!(font.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(font.headers().get("content-encoding").is_none(), "WOFF2 is compressed already");
    let bytes = font.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"wOF2", "a WOFF2 font");
    assert!(bytes.len() <= FONT_MAX_BYTES, "the Urdu font is {} bytes, over {FONT_MAX_BYTES}", bytes.len());
    for gone in ["/static/NotoNastaliqUrdu-Regular.ttf", "/static/NotoNastaliqUrdu-urdu.woff2"] {
        assert_eq!(c.get(app.url(gone)).send().await.unwrap().status(), 404, "{gone}");
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096).read_to_end(&mut out).expect("valid brotli");
    out
}

/// Two bodies of one URL are the same, but for `register.json`'s time of generation.
fn same_but_generated_at(a: &[u8], b: &[u8]) -> bool {
    let generated = |bytes: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        v.as_object_mut()?.remove("generated_at")?;
        Some(v)
    };
    a == b || generated(a).is_some_and(|a| Some(a) == generated(b))
}

#[tokio::test]
async fn pages_css_json_csv_and_the_feed_are_compressed_only_when_asked() {
    let app = TestApp::start(true).await;
    // The client keeps the CSRF cookie, so a page is the same bytes every time it is asked for.
    let c = app.client();
    c.get(app.url("/register")).send().await.unwrap();
    for path in [
        "/register",
        "/register?lang=ur",
        "/static/mizan.css",
        "/api/v1/register.json",
        "/api/v1/openapi.json",
        "/api/v1/schemas/mizan.receipt-1.json",
        "/api/v1/register.csv",
        "/api/v1/changes.atom",
    ] {
        // reqwest is built without its decoders: it sends no Accept-Encoding unless told to.
        let plain = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path} plain when not asked");
        let plain = plain.bytes().await.unwrap();
        assert!(plain.len() > 256, "{path} is big enough to compress");
        for (encoding, decode) in [("br", unbrotli as fn(&[u8]) -> Vec<u8>), ("gzip", gunzip)] {
            let res = c.get(app.url(path)).header("accept-encoding", encoding).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let h = res.headers().clone();
            assert_eq!(h["content-encoding"], encoding, "{path}");
            assert!(h["vary"].to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"), "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path} keeps its security headers");
            if path.starts_with("/register") {
                assert!(h["content-security-policy"].to_str().unwrap().contains("script-src 'none'"));
            }
            let body = res.bytes().await.unwrap();
            assert!(
                body.len() < plain.len(),
                "{path} in {encoding}: {} of {} bytes",
                body.len(),
                plain.len()
            );
            assert!(
                same_but_generated_at(&decode(&body), &plain),
                "{path} in {encoding} decodes to the same bytes"
            );
        }
    }

    // A client preferring gzip gets gzip; one refusing both gets the plain body.
    let res =
        c.get(app.url("/register")).header("accept-encoding", "gzip;q=1, br;q=0.5").send().await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let res = c.get(app.url("/register")).header("accept-encoding", "identity").send().await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());

    // HEAD answers with the headers and no body.
    let res = c.head(app.url("/register")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().is_empty());

    // The body limit still refuses before reading the body, with its security headers.
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/org/systems HTTP/1.1\r\nHost: mizan\r\nContent-Type: application/json\r\n\
          Accept-Encoding: gzip\r\nConnection: close\r\nContent-Length: 99999999999\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .expect("answered at once, the body not waited for")
        .unwrap();
    let head = String::from_utf8_lossy(&answer[..answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap()])
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
}
