//! What a page costs to download (issue #15, item 7): English pages name no font anywhere in
//! what they link, and Urdu pages declare the subset WOFF2 for Arabic script only. (The browser
//! suite measures the bytes a fresh Chromium actually transfers.)

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
