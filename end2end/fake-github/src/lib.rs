//! # fake-github
//!
//! A test double of GitHub's OAuth App web flow and of the few REST calls a
//! "who may log in" check needs. It is used in-process by Rust integration
//! tests ([`FakeGithub::serve`]) and as the `fake-github` binary by browser
//! end-to-end tests.
//!
//! ## What it follows
//!
//! Behaviour follows GitHub's documentation as summarised, with sources, in
//! `shared/reference/github-oauth.md` (cited below as "ref §N"):
//!
//! * the OAuth App web flow (`/login/oauth/authorize`, `/login/oauth/access_token`)
//!   **with PKCE (`S256` only) as of the 2025-07-14 changelog**;
//! * GitHub REST API versions **`2022-11-28`** (the default when no
//!   `X-GitHub-Api-Version` header is sent) and **`2026-03-10`**; neither
//!   version changes the routes served here (ref §3);
//! * `GET /user`, `GET /user/orgs`, `GET /user/memberships/orgs/{org}`,
//!   `GET /user/teams` and `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`.
//!
//! One router serves the "OAuth host" paths and the REST paths on the same
//! base URL; REST may sit under a prefix (`/api/v3` for GitHub Enterprise
//! Server style, see [`FakeGithub::with_api_prefix`]).
//!
//! ## Where it is not GitHub
//!
//! * There is no sign-in or consent page: the authorize endpoint approves at
//!   once as the user chosen with [`FakeGithub::sign_in_as`], or answers
//!   `access_denied` when nobody is signed in (the "user refused" path).
//! * No rate limits, no refresh or expiring tokens, no device flow, no
//!   `unverified_user_email`, no SAML, no child teams, no `304`s.
//! * Choices where the reference says **UNCONFIRMED** are marked so in the
//!   code, next to the behaviour they pick.
//!
//! ## Test hooks
//!
//! Besides the GitHub surface the router has `/_fake/...` control endpoints
//! (see [`FakeGithub::router`]) so a browser test can change who is signed
//! in or rename a user while the binary runs.

mod control;
mod oauth;
mod redirect;
mod rest;
mod scopes;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use url::Url;

/// A GitHub account known to the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeUser {
    /// The durable numeric id (ref §4): tokens point at this, not at `login`.
    pub id: u64,
    pub login: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub orgs: Vec<FakeOrgMembership>,
    #[serde(default)]
    pub teams: Vec<FakeTeamMembership>,
}

/// The user's tie to an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeOrgMembership {
    pub org_login: String,
    pub org_id: u64,
    /// `false` = an invitation not yet accepted (`state: "pending"`, ref §3).
    #[serde(default = "default_true")]
    pub active: bool,
    /// `"admin"` or `"member"` (GitHub also knows `"billing_manager"`).
    #[serde(default = "default_role")]
    pub role: String,
}

/// The user's membership of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeTeamMembership {
    pub org_login: String,
    pub org_id: u64,
    pub team_slug: String,
    pub team_id: u64,
    /// `false` = added by an owner but not yet in the org (`state: "pending"`, ref §3).
    #[serde(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

fn default_role() -> String {
    "member".to_owned()
}

impl FakeUser {
    /// A user with no display name and no memberships.
    pub fn new(id: u64, login: &str) -> Self {
        FakeUser {
            id,
            login: login.to_owned(),
            name: None,
            orgs: Vec::new(),
            teams: Vec::new(),
        }
    }
}

impl FakeOrgMembership {
    pub fn active(org_login: &str, org_id: u64, role: &str) -> Self {
        FakeOrgMembership {
            org_login: org_login.to_owned(),
            org_id,
            active: true,
            role: role.to_owned(),
        }
    }

    pub fn pending(org_login: &str, org_id: u64, role: &str) -> Self {
        FakeOrgMembership {
            active: false,
            ..Self::active(org_login, org_id, role)
        }
    }
}

impl FakeTeamMembership {
    pub fn active(org_login: &str, org_id: u64, team_slug: &str, team_id: u64) -> Self {
        FakeTeamMembership {
            org_login: org_login.to_owned(),
            org_id,
            team_slug: team_slug.to_owned(),
            team_id,
            active: true,
        }
    }

    pub fn pending(org_login: &str, org_id: u64, team_slug: &str, team_id: u64) -> Self {
        FakeTeamMembership {
            active: false,
            ..Self::active(org_login, org_id, team_slug, team_id)
        }
    }
}

/// One request seen at `POST /login/oauth/access_token`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRequestRecord {
    /// Parameters from the query string and the body (a body value wins).
    pub params: BTreeMap<String, String>,
    /// Whether the client credentials came in `Authorization: Basic`.
    pub basic_auth: bool,
    /// The client id decoded from `Authorization: Basic`, if that was used.
    pub basic_client_id: Option<String>,
    /// The request's `Accept` header.
    pub accept: Option<String>,
    /// The `error` code answered, `None` when a token was issued.
    pub error: Option<String>,
}

impl TokenRequestRecord {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// The OAuth App registration: fixed for the fake's lifetime.
pub(crate) struct AppConfig {
    pub client_id: String,
    pub client_secret: String,
    pub callback: Url,
}

/// An authorization code waiting to be exchanged.
pub(crate) struct CodeGrant {
    pub user_id: u64,
    pub scopes: Vec<String>,
    /// The `redirect_uri` as sent to the authorize endpoint, `None` if omitted.
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub issued_at: Instant,
}

pub(crate) struct TokenGrant {
    pub user_id: u64,
    pub scopes: Vec<String>,
    pub revoked: bool,
}

#[derive(Default)]
pub(crate) struct State {
    pub users: BTreeMap<u64, FakeUser>,
    pub signed_in: Option<u64>,
    pub codes: HashMap<String, CodeGrant>,
    pub tokens: HashMap<String, TokenGrant>,
    pub token_requests: Vec<TokenRequestRecord>,
    pub authorize_scopes: Vec<String>,
    /// Added to the real clock, so tests can let codes expire without waiting.
    pub clock_offset: Duration,
}

impl State {
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    /// Logins are unique on GitHub, compared without case.
    pub fn user_by_login(&self, login: &str) -> Option<&FakeUser> {
        self.users
            .values()
            .find(|u| u.login.eq_ignore_ascii_case(login))
    }

    fn login_taken_by_other(&self, login: &str, id: u64) -> bool {
        self.user_by_login(login).is_some_and(|u| u.id != id)
    }

    pub fn try_add_user(&mut self, user: FakeUser) -> Result<(), String> {
        if self.login_taken_by_other(&user.login, user.id) {
            return Err(format!("login {:?} is already taken", user.login));
        }
        self.users.insert(user.id, user);
        Ok(())
    }

    pub fn try_rename(&mut self, id: u64, new_login: &str) -> Result<(), String> {
        if self.login_taken_by_other(new_login, id) {
            return Err(format!("login {new_login:?} is already taken"));
        }
        match self.users.get_mut(&id) {
            Some(user) => {
                user.login = new_login.to_owned();
                Ok(())
            }
            None => Err(format!("no user with id {id}")),
        }
    }
}

/// The fake GitHub. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct FakeGithub {
    pub(crate) app: Arc<AppConfig>,
    pub(crate) api_prefix: Arc<str>,
    pub(crate) state: Arc<Mutex<State>>,
}

impl FakeGithub {
    /// A fake with one registered OAuth App.
    ///
    /// # Panics
    /// If `callback_url` is not an absolute URL.
    pub fn new(client_id: &str, client_secret: &str, callback_url: &str) -> Self {
        let callback = Url::parse(callback_url)
            .unwrap_or_else(|e| panic!("callback URL {callback_url:?} is not a URL: {e}"));
        FakeGithub {
            app: Arc::new(AppConfig {
                client_id: client_id.to_owned(),
                client_secret: client_secret.to_owned(),
                callback,
            }),
            api_prefix: Arc::from(""),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Serve the REST routes under this prefix: `""` (default) for github.com
    /// style, where the API is a host of its own; `"/api/v3"` for GitHub
    /// Enterprise Server style (ref §0). The OAuth paths stay at the root.
    pub fn with_api_prefix(mut self, prefix: &str) -> Self {
        let trimmed = prefix.trim_end_matches('/');
        self.api_prefix = if trimmed.is_empty() || trimmed.starts_with('/') {
            Arc::from(trimmed)
        } else {
            Arc::from(format!("/{trimmed}"))
        };
        self
    }

    /// The REST prefix in use (`""` or e.g. `"/api/v3"`).
    pub fn api_prefix(&self) -> &str {
        &self.api_prefix
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not make every later request fail too.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a user, or replaces the user with the same `id` (use that to
    /// change memberships mid-test).
    ///
    /// # Panics
    /// If another user already has this login (logins are unique, ignoring case).
    pub fn add_user(&self, user: FakeUser) {
        if let Err(e) = self.state().try_add_user(user) {
            panic!("add_user: {e}");
        }
    }

    /// Renames a user; the id stays, the old login becomes free (ref §4).
    ///
    /// # Panics
    /// If there is no such user or another user has `new_login`.
    pub fn rename_user(&self, id: u64, new_login: &str) {
        if let Err(e) = self.state().try_rename(id, new_login) {
            panic!("rename_user: {e}");
        }
    }

    /// Which user is "signed in to GitHub" in the browser. The authorize
    /// endpoint approves as this user; `None` makes it answer `access_denied`.
    pub fn sign_in_as(&self, id: Option<u64>) {
        self.state().signed_in = id;
    }

    /// Revokes every token issued so far: REST calls with them get `401 Bad credentials`.
    pub fn revoke_tokens(&self) {
        for grant in self.state().tokens.values_mut() {
            grant.revoked = true;
        }
    }

    /// Revokes one token. Returns whether the fake had issued it.
    pub fn revoke_token(&self, token: &str) -> bool {
        match self.state().tokens.get_mut(token) {
            Some(grant) => {
                grant.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Moves the fake's clock forward, e.g. past the 10 minute code lifetime.
    pub fn advance_clock(&self, by: Duration) {
        self.state().clock_offset += by;
    }

    /// The requests seen at the token endpoint, oldest first.
    pub fn token_requests(&self) -> Vec<TokenRequestRecord> {
        self.state().token_requests.clone()
    }

    /// The raw `scope` parameters seen at `/login/oauth/authorize`, in order
    /// (`""` when the parameter was left out).
    pub fn authorize_scopes(&self) -> Vec<String> {
        self.state().authorize_scopes.clone()
    }

    /// The whole fake on one router:
    ///
    /// * `GET /login/oauth/authorize`, `POST /login/oauth/access_token`;
    /// * the REST routes under [`FakeGithub::api_prefix`];
    /// * `GET /avatars/u/{id}` (what `avatar_url` points at, so a browser
    ///   never reaches for the real avatar host);
    /// * test controls: `POST /_fake/sign-in-as/{id}`, `POST /_fake/sign-out`,
    ///   `POST /_fake/rename/{id}/{login}`, `POST /_fake/revoke-tokens`,
    ///   `POST /_fake/users` (JSON [`FakeUser`], adds or replaces),
    ///   `GET /_fake/token-requests`, `GET /_fake/authorize-scopes`.
    pub fn router(&self) -> Router {
        let site = Router::new()
            .route("/login/oauth/authorize", get(oauth::authorize))
            .route("/login/oauth/access_token", post(oauth::access_token))
            .route("/avatars/u/{id}", get(rest::avatar))
            .merge(control::router());
        let app = if self.api_prefix.is_empty() {
            site.merge(rest::router())
        } else {
            site.nest(&self.api_prefix, rest::router())
        };
        app.with_state(self.clone())
    }

    /// Serves on `127.0.0.1` with a free port; see [`FakeGithub::serve_on`].
    pub async fn serve(&self) -> std::io::Result<String> {
        self.serve_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr`, spawns the server on the current tokio runtime and
    /// returns the base URL, e.g. `http://127.0.0.1:41234`. The server runs
    /// until the runtime shuts down.
    pub async fn serve_on(&self, addr: SocketAddr) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!("fake-github server stopped: {e}");
            }
        });
        Ok(format!("http://{local}"))
    }
}
