//! GitHub: the OAuth web flow (oauth2 crate, authorization code + PKCE S256) and the REST
//! calls that decide who may log in. Facts and quirks: shared/reference/github-oauth.md.

use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

use crate::core::error::AppError;

/// The GitHub OAuth app and where GitHub is (github.com, GitHub Enterprise, or a test server).
#[derive(Clone)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: String,
    /// `https://github.com/login/oauth/authorize` for github.com.
    pub authorize_url: String,
    /// `https://github.com/login/oauth/access_token` for github.com.
    pub token_url: String,
    /// `https://api.github.com` for github.com, `https://HOST/api/v3` for Enterprise Server.
    pub api_url: String,
    /// Send a PKCE challenge. github.com supports it; Enterprise Server may not.
    pub pkce: bool,
}

impl std::fmt::Debug for GithubSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("api_url", &self.api_url)
            .field("pkce", &self.pkce)
            .finish()
    }
}

/// Where to send the browser, and what to remember in its session until it comes back.
pub struct AuthorizeStart {
    pub url: String,
    pub state: String,
    pub pkce_verifier: Option<String>,
}

pub struct GithubToken {
    pub access_token: String,
    /// As GitHub granted them (it may grant fewer than asked).
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GithubUser {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
}

/// A login failure, phrased for the person logging in; the detail goes to the log.
fn refused(message: &str, detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(%detail, "GitHub login step failed");
    AppError::EngineUnavailable(message.to_owned())
}

fn invalid_setting(error: impl std::fmt::Display) -> AppError {
    AppError::internal(format_args!("GitHub OAuth settings: {error}"))
}

pub fn authorize(
    settings: &GithubSettings,
    redirect_uri: &str,
    scopes: &[&str],
) -> Result<AuthorizeStart, AppError> {
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(AuthUrl::new(settings.authorize_url.clone()).map_err(invalid_setting)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(invalid_setting)?);
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.iter().map(|scope| Scope::new((*scope).to_owned())))
        .add_extra_param("allow_signup", "false");
    let mut verifier = None;
    if settings.pkce {
        let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        request = request.set_pkce_challenge(challenge);
        verifier = Some(pkce_verifier.secret().clone());
    }
    let (url, state) = request.url();
    Ok(AuthorizeStart {
        url: url.to_string(),
        state: state.secret().clone(),
        pkce_verifier: verifier,
    })
}

pub async fn exchange_code(
    settings: &GithubSettings,
    http: &reqwest::Client,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: Option<String>,
) -> Result<GithubToken, AppError> {
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
        .set_token_uri(TokenUrl::new(settings.token_url.clone()).map_err(invalid_setting)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(invalid_setting)?)
        // GitHub documents the credentials in the form body, not HTTP Basic.
        .set_auth_type(AuthType::RequestBody);
    let mut request = client.exchange_code(AuthorizationCode::new(code.to_owned()));
    if let Some(verifier) = pkce_verifier {
        request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier));
    }
    match request.request_async(http).await {
        Ok(token) => Ok(GithubToken {
            access_token: token.access_token().secret().clone(),
            // GitHub joins granted scopes with commas; oauth2 splits on spaces only.
            scopes: token
                .scopes()
                .into_iter()
                .flatten()
                .flat_map(|scope| {
                    scope
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .filter(|scope| !scope.is_empty())
                .collect(),
        }),
        // GitHub answers errors with HTTP 200 and an `error` field, which oauth2 reports as
        // a parse failure carrying the body.
        Err(RequestTokenError::Parse(_, body)) => {
            // Only a recognised error is logged: an unreadable body may hold a token.
            let detail = serde_json::from_slice::<BasicErrorResponse>(&body)
                .map(|error| error.to_string())
                .unwrap_or_else(|_| format!("an unreadable answer of {} bytes", body.len()));
            Err(refused(
                "GitHub did not accept the login. Please try again.",
                detail,
            ))
        }
        Err(RequestTokenError::ServerResponse(error)) => Err(refused(
            "GitHub did not accept the login. Please try again.",
            error,
        )),
        Err(error) => Err(refused(
            "GitHub could not be reached to finish the login.",
            error,
        )),
    }
}

fn api_request(
    settings: &GithubSettings,
    http: &reqwest::Client,
    token: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    http.get(format!("{}{path}", settings.api_url.trim_end_matches('/')))
        .header(reqwest::header::USER_AGENT, "caretaker")
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .bearer_auth(token)
}

/// `GET /user`: who the token belongs to.
pub async fn user(
    settings: &GithubSettings,
    http: &reqwest::Client,
    token: &str,
) -> Result<GithubUser, AppError> {
    let response = api_request(settings, http, token, "/user")
        .send()
        .await
        .map_err(|error| refused("GitHub could not be reached to read your account.", error))?;
    if !response.status().is_success() {
        return Err(refused(
            "GitHub did not let caretaker read your account.",
            format!("GET /user answered {}", response.status()),
        ));
    }
    response.json().await.map_err(|error| {
        refused(
            "GitHub answered with an account caretaker cannot read.",
            error,
        )
    })
}

#[derive(Deserialize)]
struct Membership {
    state: String,
}

/// Is the membership at `path` active? 404 means no membership; pending invitations do
/// not count.
async fn active_membership(
    settings: &GithubSettings,
    http: &reqwest::Client,
    token: &str,
    path: &str,
) -> Result<bool, AppError> {
    let response = api_request(settings, http, token, path)
        .send()
        .await
        .map_err(|error| {
            refused(
                "GitHub could not be reached to check your memberships.",
                error,
            )
        })?;
    match response.status().as_u16() {
        200 => {
            let membership: Membership = response.json().await.map_err(|error| {
                refused(
                    "GitHub answered with a membership caretaker cannot read.",
                    error,
                )
            })?;
            Ok(membership.state == "active")
        }
        404 => Ok(false),
        status => Err(refused(
            "GitHub did not let caretaker check your organisation and team memberships.",
            format!("GET {path} answered {status}"),
        )),
    }
}

pub async fn is_org_member(
    settings: &GithubSettings,
    http: &reqwest::Client,
    token: &str,
    org: &str,
) -> Result<bool, AppError> {
    active_membership(
        settings,
        http,
        token,
        &format!("/user/memberships/orgs/{}", path_segment(org)),
    )
    .await
}

/// Team membership, asked with the login just read from `/user` (never a stored one).
pub async fn is_team_member(
    settings: &GithubSettings,
    http: &reqwest::Client,
    token: &str,
    org: &str,
    team_slug: &str,
    login: &str,
) -> Result<bool, AppError> {
    let path = format!(
        "/orgs/{}/teams/{}/memberships/{}",
        path_segment(org),
        path_segment(team_slug),
        path_segment(login)
    );
    active_membership(settings, http, token, &path).await
}

/// GitHub names are [A-Za-z0-9-_.]; anything else is dropped so a rule can never change
/// the path it is put into.
fn path_segment(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    // Never `.` or `..`, which URL resolution would turn into a different path.
    kept.trim_start_matches('.').to_owned()
}
