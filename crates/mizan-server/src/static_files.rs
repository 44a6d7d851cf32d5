//! The stylesheet, embedded in the binary so a deployment is one file.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

const CSS: &str = include_str!("../static/mizan.css");
/// Noto Nastaliq Urdu (SIL Open Font License 1.1, see `static/fonts/LICENSE-noto.txt`), so Urdu
/// pages render in Nastaliq on devices that do not have the font. Browsers fetch it only for
/// Urdu text, and cache it for a year.
const NASTALIQ: &[u8] = include_bytes!("../static/fonts/NotoNastaliqUrdu-Regular.ttf");

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Result<Response, AppError> {
    match file.as_str() {
        "mizan.css" => Ok((
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            CSS,
        )
            .into_response()),
        "NotoNastaliqUrdu-Regular.ttf" => Ok((
            [
                (header::CONTENT_TYPE, "font/ttf"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            NASTALIQ,
        )
            .into_response()),
        _ => Err(AppError::NotFound(format!("file `{file}`"))),
    }
}
