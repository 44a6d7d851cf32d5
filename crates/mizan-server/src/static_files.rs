//! The stylesheets and the Urdu web font, embedded in the binary so a deployment is one file.
//!
//! Every page links `mizan.css`; only Urdu pages link `urdu.css`, the one place the web font is
//! declared, so an English page never downloads it (its language switch "اردو" is drawn with
//! whatever the device has). The font is Noto Nastaliq Urdu subset to the characters Urdu uses
//! (`scripts/fonts/subset-urdu` makes it), as WOFF2. Its file name carries the first bytes of
//! its SHA-256, put into `urdu.css` when the server starts, so it is cached for a year and a new
//! font is a new name.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use crate::error::AppError;

const CSS: &str = include_str!("../static/mizan.css");
/// `urdu.css` as written, naming the font by [`FONT_NAME`].
const URDU_CSS: &str = include_str!("../static/urdu.css");
/// Noto Nastaliq Urdu (SIL Open Font License 1.1, see `static/fonts/LICENSE-noto.txt`), so Urdu
/// pages render in Nastaliq on devices that do not have the font.
const NASTALIQ: &[u8] = include_bytes!("../static/fonts/NotoNastaliqUrdu-urdu.woff2");
/// The font's name in `urdu.css`, before the hash is put in.
const FONT_NAME: &str = "NotoNastaliqUrdu-urdu.woff2";

/// The font's served file name and the stylesheet naming it.
struct Urdu {
    font_file: String,
    css: String,
}

static URDU: LazyLock<Urdu> = LazyLock::new(|| {
    let hash = hex::encode(&Sha256::digest(NASTALIQ)[..6]);
    let font_file = format!("NotoNastaliqUrdu-urdu.{hash}.woff2");
    let css = URDU_CSS.replace(FONT_NAME, &font_file);
    Urdu { font_file, css }
});

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Result<Response, AppError> {
    let urdu = &*URDU;
    let (content_type, cache, body): (_, _, &'static [u8]) = match file.as_str() {
        "mizan.css" => ("text/css; charset=utf-8", "public, max-age=3600", CSS.as_bytes()),
        "urdu.css" => ("text/css; charset=utf-8", "public, max-age=3600", urdu.css.as_bytes()),
        f if f == urdu.font_file => ("font/woff2", "public, max-age=31536000, immutable", NASTALIQ),
        _ => return Err(AppError::NotFound(format!("file `{file}`"))),
    };
    Ok(([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], body).into_response())
}
