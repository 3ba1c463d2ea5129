//! The OAuth App web flow: `GET /login/oauth/authorize` (ref §1) and
//! `POST /login/oauth/access_token` (ref §2).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::distr::Alphanumeric;
use rand::Rng as _;
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::{redirect, scopes, CodeGrant, FakeGithub, TokenGrant, TokenRequestRecord};

/// "The code expires after 10 minutes" (ref §2).
const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);

const AUTHORIZE_ERRORS_DOC: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/";
const TOKEN_ERRORS_DOC: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/";

/// Query or form pairs; the first occurrence of a name wins.
fn parse_pairs(raw: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

// ---------------------------------------------------------------------------
// Step 1: authorize
// ---------------------------------------------------------------------------

pub(crate) async fn authorize(State(gh): State<FakeGithub>, RawQuery(query): RawQuery) -> Response {
    let params = parse_pairs(query.as_deref().unwrap_or("").as_bytes());
    let param = |name: &str| params.get(name).map(String::as_str);
    let app = &gh.app;

    // Unknown client: an error page and no redirect, as there is no app whose
    // callback could be trusted (ref §7; exact page UNCONFIRMED).
    if param("client_id") != Some(app.client_id.as_str()) {
        return html_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "No OAuth application is registered with this client_id.",
        );
    }

    gh.state()
        .authorize_scopes
        .push(param("scope").unwrap_or("").to_owned());
    let state_param = param("state");

    // redirect_uri: omitted means the registered callback (ref §1). A
    // mismatching one is never redirected to; the error goes to the
    // registered callback instead ([E] "Redirect URI mismatch", ref §1).
    let target = match param("redirect_uri") {
        None => app.callback.clone(),
        Some(raw) => match Url::parse(raw) {
            Ok(url) if redirect::allowed(&app.callback, &url) => url,
            _ => {
                return redirect_error(
                    &app.callback,
                    "redirect_uri_mismatch",
                    "The redirect_uri MUST match the registered callback URL for this application.",
                    "redirect-uri-mismatch",
                    state_param,
                );
            }
        },
    };

    // PKCE: only S256; `plain` is refused (ref §1). How GitHub refuses is not
    // documented, so the fake answers a 400 page rather than guess an error
    // code (UNCONFIRMED). A challenge without a method would mean `plain`
    // under RFC 7636 §4.3, so it is refused too (UNCONFIRMED); a method
    // without a challenge is refused because the challenge is "needed
    // whenever code_challenge_method is sent" (ref §1).
    let challenge = param("code_challenge");
    match (challenge, param("code_challenge_method")) {
        (None, None) | (Some(_), Some("S256")) => {}
        (Some(_), None) => {
            return html_page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "code_challenge_method is required with code_challenge; only S256 is supported.",
            );
        }
        (None, Some(_)) => {
            return html_page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "code_challenge is required when code_challenge_method is sent.",
            );
        }
        (Some(_), Some(_)) => {
            return html_page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "Unsupported code_challenge_method: only S256 is supported.",
            );
        }
    }

    // `response_type`, `login`, `allow_signup` and `prompt` are accepted and
    // ignored: the fake has no sign-in, sign-up or account picker pages
    // (ref §1: the oauth2 crate always sends response_type=code).

    let mut state = gh.state();
    let Some(user_id) = state.signed_in else {
        drop(state);
        // The "user refused" path. [E] says these errors go to the
        // registered callback; the redirect_uri in use has just been checked
        // against it, so it is used, as an app with a deeper callback path
        // expects.
        return redirect_error(
            &target,
            "access_denied",
            "The user has denied your application access.",
            "access-denied",
            state_param,
        );
    };
    if !state.users.contains_key(&user_id) {
        return html_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake-github misconfigured",
            &format!("The signed-in user id {user_id} is not a known user."),
        );
    }

    let code = random_hex_code();
    let grant = CodeGrant {
        user_id,
        scopes: scopes::normalize(&scopes::parse(param("scope").unwrap_or(""))),
        redirect_uri: param("redirect_uri").map(str::to_owned),
        code_challenge: challenge.map(str::to_owned),
        issued_at: state.now(),
    };
    state.codes.insert(code.clone(), grant);
    drop(state);

    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = state_param {
        pairs.push(("state", s));
    }
    redirect_with(&target, &pairs)
}

/// Observed code format: 20 hex characters (ref §1, UNCONFIRMED as a contract).
fn random_hex_code() -> String {
    let bytes: [u8; 10] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn redirect_error(
    target: &Url,
    error: &str,
    description: &str,
    anchor: &str,
    state: Option<&str>,
) -> Response {
    // The docs show a site-relative error_uri; live GitHub sends an absolute
    // docs.github.com URL (ref §2), so the fake does too.
    let uri = format!("{AUTHORIZE_ERRORS_DOC}#{anchor}");
    let mut pairs = vec![
        ("error", error),
        ("error_description", description),
        ("error_uri", uri.as_str()),
    ];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    redirect_with(target, &pairs)
}

fn redirect_with(target: &Url, pairs: &[(&str, &str)]) -> Response {
    let mut url = target.clone();
    url.query_pairs_mut().extend_pairs(pairs);
    (StatusCode::FOUND, [(LOCATION, url.to_string())]).into_response()
}

fn html_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{m}</p></body></html>\n",
        t = html_escape(title),
        m = html_escape(message),
    );
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------
// Step 2: exchange the code
// ---------------------------------------------------------------------------

/// The three answer encodings chosen by `Accept` (ref §2).
#[derive(Clone, Copy)]
enum Format {
    Json,
    Xml,
    Form,
}

impl Format {
    fn from_accept(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/json") => Format::Json,
            Some(a) if a.contains("application/xml") => Format::Xml,
            _ => Format::Form,
        }
    }
}

struct TokenError {
    code: &'static str,
    description: &'static str,
    /// Anchor on the troubleshooting page (as in the docs, ref §2 [D]).
    uri: String,
}

impl TokenError {
    fn incorrect_client_credentials() -> Self {
        TokenError {
            code: "incorrect_client_credentials",
            description: "The client_id and/or client_secret passed are incorrect.",
            uri: format!("{TOKEN_ERRORS_DOC}#incorrect-client-credentials"),
        }
    }

    fn redirect_uri_mismatch() -> Self {
        TokenError {
            code: "redirect_uri_mismatch",
            description:
                "The redirect_uri MUST match the registered callback URL for this application.",
            // Sic: the docs point this one at the authorization errors page.
            uri: format!("{AUTHORIZE_ERRORS_DOC}#redirect-uri-mismatch2"),
        }
    }

    fn bad_verification_code() -> Self {
        TokenError {
            code: "bad_verification_code",
            description: "The code passed is incorrect or expired.",
            uri: format!("{TOKEN_ERRORS_DOC}#bad-verification-code"),
        }
    }

    fn bad_refresh_token() -> Self {
        TokenError {
            code: "bad_refresh_token",
            description: "The refresh token passed is incorrect or expired.",
            uri: format!("{TOKEN_ERRORS_DOC}#bad-refresh-token"),
        }
    }

    fn unsupported_grant_type() -> Self {
        TokenError {
            code: "unsupported_grant_type",
            description: "The grant type is not supported.",
            uri: TOKEN_ERRORS_DOC.to_owned(),
        }
    }
}

struct Issued {
    access_token: String,
    scope: String,
}

pub(crate) async fn access_token(
    State(gh): State<FakeGithub>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let accept = header(ACCEPT).map(str::to_owned);

    // Parameters come from the query string and the body (ref §2, [A2] calls
    // them query parameters); the body wins where both have one.
    let mut params: BTreeMap<String, String> =
        parse_pairs(query.as_deref().unwrap_or("").as_bytes())
            .into_iter()
            .collect();
    params.extend(parse_body(header(CONTENT_TYPE), &body));

    let basic = header(AUTHORIZATION).and_then(parse_basic);
    let result = exchange(&gh, &params, basic.as_ref());

    gh.state().token_requests.push(TokenRequestRecord {
        params,
        basic_auth: basic.is_some(),
        basic_client_id: basic.map(|(id, _)| id),
        accept: accept.clone(),
        error: result.as_ref().err().map(|e| e.code.to_owned()),
    });

    let fields: Vec<(&str, &str)> = match &result {
        Ok(issued) => vec![
            // The order of the docs' form-encoded example (ref §2).
            ("access_token", issued.access_token.as_str()),
            ("scope", issued.scope.as_str()),
            ("token_type", "bearer"),
        ],
        Err(e) => vec![
            ("error", e.code),
            ("error_description", e.description),
            ("error_uri", e.uri.as_str()),
        ],
    };
    // Always 200, errors included (ref §2).
    encode(Format::from_accept(accept.as_deref()), &fields)
}

/// A form body (what the oauth2 crate sends) or, leniently, a JSON object of
/// strings (what octokit sends).
fn parse_body(content_type: Option<&str>, body: &[u8]) -> Vec<(String, String)> {
    if content_type.is_some_and(|ct| ct.starts_with("application/json")) {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) else {
            return Vec::new();
        };
        return map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect();
    }
    parse_pairs(body).into_iter().collect()
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, the
/// oauth2 crate's default (RFC 6749 §2.3.1; not in GitHub's docs, ref §2/§6).
fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(s: &str) -> String {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

fn exchange(
    gh: &FakeGithub,
    params: &BTreeMap<String, String>,
    basic: Option<&(String, String)>,
) -> Result<Issued, TokenError> {
    let param = |name: &str| params.get(name).map(String::as_str);
    let app = &gh.app;

    // Basic credentials, when present, are the ones checked (UNCONFIRMED
    // which one GitHub prefers when both are sent).
    let (client_id, client_secret) = match basic {
        Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
        None => (param("client_id"), param("client_secret")),
    };
    if client_id != Some(app.client_id.as_str())
        || client_secret != Some(app.client_secret.as_str())
    {
        return Err(TokenError::incorrect_client_credentials());
    }

    // The same URL serves refresh and the device flow (ref §2). The fake
    // issues no refresh tokens, so every one is bad; other grant types get
    // the RFC 6749 error (UNCONFIRMED for GitHub).
    match param("grant_type") {
        None | Some("authorization_code") => {}
        Some("refresh_token") => return Err(TokenError::bad_refresh_token()),
        Some(_) => return Err(TokenError::unsupported_grant_type()),
    }

    let mut state = gh.state();
    let now = state.now();
    let code = param("code").unwrap_or("");
    let Some(grant) = state.codes.get(code) else {
        // Unknown or already used (single use: ref §2).
        return Err(TokenError::bad_verification_code());
    };
    if now.duration_since(grant.issued_at) >= CODE_LIFETIME {
        state.codes.remove(code);
        return Err(TokenError::bad_verification_code());
    }

    // Compared with the redirect_uri used at authorize, or the registered
    // callback if none was used there.
    if let Some(given) = param("redirect_uri") {
        let used = grant
            .redirect_uri
            .clone()
            .unwrap_or_else(|| app.callback.to_string());
        if given != used {
            return Err(TokenError::redirect_uri_mismatch());
        }
    }

    // PKCE: BASE64URL-no-pad(SHA256(code_verifier)) == code_challenge (ref
    // §2, §7). What GitHub answers for a missing or wrong verifier is
    // UNCONFIRMED; the fake says bad_verification_code, the error for "code
    // ... not the one issued". A verifier without a stored challenge is
    // ignored.
    if let Some(challenge) = &grant.code_challenge {
        let verified = param("code_verifier")
            .is_some_and(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == *challenge);
        if !verified {
            return Err(TokenError::bad_verification_code());
        }
    }

    // Only a successful exchange uses the code up. Whether GitHub also burns
    // a code on a failed exchange is UNCONFIRMED.
    let grant = state.codes.remove(code).expect("code looked up above");
    let access_token = random_token();
    // `scope` in the answer is comma-joined without spaces (ref §2).
    let scope = grant.scopes.join(",");
    state.tokens.insert(
        access_token.clone(),
        TokenGrant {
            user_id: grant.user_id,
            scopes: grant.scopes,
            revoked: false,
        },
    );
    Ok(Issued {
        access_token,
        scope,
    })
}

/// `gho_` plus 36 alphanumerics: 40 characters like the docs' example (ref §2).
fn random_token() -> String {
    let tail: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    format!("gho_{tail}")
}

fn encode(format: Format, fields: &[(&str, &str)]) -> Response {
    let (content_type, body) = match format {
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                .collect();
            (
                "application/json; charset=utf-8",
                serde_json::Value::Object(map).to_string(),
            )
        }
        Format::Xml => {
            // The docs' XML example lists the fields the other way round:
            // token_type, scope, access_token (ref §2).
            let inner: String = fields
                .iter()
                .rev()
                .map(|(k, v)| format!("<{k}>{}</{k}>", html_escape(v)))
                .collect();
            (
                "application/xml; charset=utf-8",
                format!("<OAuth>{inner}</OAuth>"),
            )
        }
        Format::Form => {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            ("application/x-www-form-urlencoded; charset=utf-8", body)
        }
    };
    (StatusCode::OK, [(CONTENT_TYPE, content_type)], body).into_response()
}
