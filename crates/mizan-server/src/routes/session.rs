//! Signing in and out, and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::serve::{ClientAddr, retry_after};
use mizan_app::signin::SignIn;

use crate::auth::SESSION_COOKIE;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::{Lang, cookie};
use crate::pages::{Ctx, render};
use crate::util::safe_next;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    email: String,
    failed: bool,
    /// Too many failures: the message saying how long to wait.
    throttled: Option<String>,
}

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct NextParam {
    #[serde(default)]
    next: String,
}

/// `GET /login`.
pub async fn login_form(ctx: Ctx, Query(q): Query<NextParam>) -> Response {
    render(&LoginPage {
        ctx,
        next: safe_next(&q.next, "/app"),
        email: String::new(),
        failed: false,
        throttled: None,
    })
}

/// `POST /login`: checks the password and starts a session. Too many failures for the
/// account or from the address answer 429 with `Retry-After`, the same for real and unknown
/// accounts.
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(from): ClientAddr,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let (email, password) = (form.get("email"), form.get("password"));
    let next = safe_next(form.get("next"), "/app");
    let user = match state.app.sign_in(email, password, from).await? {
        SignIn::Welcome(user) => user,
        SignIn::Refused => {
            let mut res =
                render(&LoginPage { ctx, next, email: email.to_owned(), failed: true, throttled: None });
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(res);
        }
        SignIn::Throttled(wait) => {
            let (header, minutes) = retry_after(wait);
            let wait = ctx.lang.t_count("wait-minutes", "minutes", minutes);
            let throttled = Some(ctx.lang.t_args("login-throttled", &[("wait", wait)]));
            let mut res = render(&LoginPage { ctx, next, email: email.to_owned(), failed: false, throttled });
            *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(header));
            return Ok(res);
        }
    };
    let secret = state.app.store().create_session(user.id, time::Duration::hours(12)).await?;
    let mut res = Redirect::to(&next).into_response();
    let value = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200{}",
        if state.config.secure_cookies { "; Secure" } else { "" }
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(res)
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm,
) -> Result<Response, AppError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.app.store().delete_session(secret).await?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("mizan_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(res)
}

/// `GET /lang/{code}?next=`: remembers the language choice and goes back.
pub async fn switch_lang(Path(code): Path<String>, Query(q): Query<NextParam>) -> Result<Response, AppError> {
    let lang = Lang::parse(&code).ok_or_else(|| AppError::NotFound(format!("language `{code}`")))?;
    // Drop any ?lang= override in the target so the new cookie wins.
    let next = strip_lang_param(&safe_next(&q.next, "/"));
    let mut res = Redirect::to(&next).into_response();
    let value = format!("mizan_lang={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code());
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(res)
}

fn strip_lang_param(path: &str) -> String {
    let Some((p, q)) = path.split_once('?') else { return path.to_owned() };
    let kept: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=")).collect();
    if kept.is_empty() { p.to_owned() } else { format!("{p}?{}", kept.join("&")) }
}
