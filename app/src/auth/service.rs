//! The logic of logging in and out, sessions, the allow-list and one-time links.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use tower_sessions::Session;

use super::github::{self, GithubSettings};
use super::{store, AccessRule, CurrentUser, Role, RuleKind, UserSummary};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;

/// How long a one-time login link is valid.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The session key that marks a logged-in session (its value: login time, ms).
const LOGGED_IN_KEY: &str = "logged_in_at";
const OAUTH_STATE_KEY: &str = "oauth_state";
const OAUTH_VERIFIER_KEY: &str = "oauth_pkce_verifier";
const OAUTH_STARTED_KEY: &str = "oauth_started_at";
/// A login started at GitHub must come back within this time (GitHub's codes live 10 min).
const OAUTH_FLOW_LIMIT: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Everything auth needs from the configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Where users reach caretaker, without a trailing slash: `https://example.org/caretaker`.
    pub public_url: String,
    /// True when `public_url` was configured (not derived from the bind address). Then the
    /// Origin of state-changing requests must match it exactly.
    pub public_url_configured: bool,
    pub github: Option<GithubSettings>,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Lets a scraper read `/metrics` with `Authorization: Bearer TOKEN`, without a session.
    pub metrics_token: Option<String>,
}

impl AuthSettings {
    /// Does this `Authorization` header carry the metrics token?
    pub fn is_metrics_scraper(&self, authorization: Option<&str>) -> bool {
        match (
            &self.metrics_token,
            authorization.and_then(|value| value.strip_prefix("Bearer ")),
        ) {
            (Some(expected), Some(given)) => {
                constant_time_eq(expected.as_bytes(), given.trim().as_bytes())
            }
            _ => false,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The sub-path of `public_url`: `/caretaker` for `https://example.org/caretaker`, `""`
    /// at the root.
    pub fn base_path(&self) -> &str {
        let after_scheme = self.public_url.find("://").map_or(0, |index| index + 3);
        self.public_url[after_scheme..]
            .find('/')
            .map_or("", |slash| &self.public_url[after_scheme + slash..])
    }

    /// A root-relative address as the browser must ask for it: `/login` → `/caretaker/login`.
    pub fn link(&self, path: &str) -> String {
        crate::ui::paths::join(self.base_path(), path)
    }

    pub fn github_callback(&self) -> String {
        format!("{}/auth/github/callback", self.public_url)
    }
}

/// Auth's shared parts: settings, the HTTP client for GitHub, rate limits.
pub struct Auth {
    pub settings: AuthSettings,
    http: reqwest::Client,
    pub limiter: RateLimiter,
    /// tower-sessions' store (its own table in caretaker's database).
    pub sessions: tower_sessions_sqlx_store::SqliteStore,
}

impl Auth {
    pub fn new(settings: AuthSettings, sessions: tower_sessions_sqlx_store::SqliteStore) -> Self {
        let http = reqwest::Client::builder()
            // No redirects: the token endpoint must answer itself (no SSRF through redirects).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            limiter: RateLimiter::new(20, Duration::from_secs(60)),
            sessions,
        }
    }
}

/// Where a request comes from, as the audit log and rate limits see it.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub address: String,
    pub user_agent: String,
}

fn actor_for(user: Option<&CurrentUser>, client: &ClientInfo) -> Actor {
    match user {
        Some(user) => Actor {
            user_id: Some(user.id),
            name: user.login.clone(),
            address: client.address.clone(),
        },
        None => Actor::anonymous(client.address.clone()),
    }
}

/// The audit actor for a logged-in user.
pub fn actor(user: &CurrentUser, client: &ClientInfo) -> Actor {
    actor_for(Some(user), client)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A short, non-secret name for a session, shown on the Users page.
pub fn session_handle(session_id: &str) -> String {
    sha256_hex(session_id)[..10].to_owned()
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    AppError::internal(format_args!("session store: {error}"))
}

// ---- sessions -------------------------------------------------------------------------

/// The user of this session, if it is logged in, the user still has a role, and neither
/// the idle nor the absolute timeout has passed. Ends the session otherwise.
pub async fn session_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(id) = session.id().map(|id| id.to_string()) else {
        return Ok(None);
    };
    if session
        .get::<i64>(LOGGED_IN_KEY)
        .await
        .map_err(session_error)?
        .is_none()
    {
        return Ok(None);
    }
    let settings = &state.auth.settings;
    let now = Utc::now();
    let found = store::session_user(&state.db, &id).await?;
    let Some(found) = found else {
        // Revoked, or the user lost their role: this session is over.
        end_session(state, session).await?;
        return Ok(None);
    };
    let idle = (now - found.last_seen_at).to_std().unwrap_or_default();
    let age = (now - found.created_at).to_std().unwrap_or_default();
    if idle > settings.idle_timeout || age > settings.absolute_timeout {
        end_session(state, session).await?;
        return Ok(None);
    }
    // Written at most once a minute: enough for "last seen" and the idle timeout.
    if now - found.last_seen_at > chrono::TimeDelta::seconds(60) {
        store::touch_session(&state.db, &id, now).await?;
    }
    Ok(Some(found.user))
}

/// Starts a logged-in session for `user_id` with a new session id (the id the browser
/// had before login is never the one it has after).
async fn establish_session(
    state: &AppState,
    session: &Session,
    user_id: i64,
    client: &ClientInfo,
) -> Result<(), AppError> {
    // A browser logging in again leaves no stale row behind.
    if let Some(old_id) = session.id() {
        store::delete_session(&state.db, &old_id.to_string()).await?;
    }
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(LOGGED_IN_KEY, Utc::now().timestamp_millis())
        .await
        .map_err(session_error)?;
    session.save().await.map_err(session_error)?;
    let id = session
        .id()
        .ok_or_else(|| AppError::internal("a saved session has no id"))?
        .to_string();
    store::insert_session(
        &state.db,
        &id,
        user_id,
        &client.address,
        &client.user_agent,
        Utc::now(),
    )
    .await
}

/// Deletes logged-in sessions past the idle or absolute timeout.
pub async fn sweep_sessions(state: &AppState) -> Result<u64, AppError> {
    let settings = &state.auth.settings;
    let now = Utc::now();
    let idle = chrono::TimeDelta::from_std(settings.idle_timeout).unwrap_or_default();
    let age = chrono::TimeDelta::from_std(settings.absolute_timeout).unwrap_or_default();
    store::delete_stale_sessions(&state.db, now - idle, now - age).await
}

async fn end_session(state: &AppState, session: &Session) -> Result<(), AppError> {
    if let Some(id) = session.id() {
        store::delete_session(&state.db, &id.to_string()).await?;
    }
    session.delete().await.map_err(session_error)?;
    Ok(())
}

pub async fn logout(
    state: &AppState,
    session: &Session,
    user: Option<&CurrentUser>,
    client: &ClientInfo,
) -> Result<(), AppError> {
    end_session(state, session).await?;
    if let Some(user) = user {
        record(
            &state.db,
            &actor(user, client),
            "auth",
            "logout",
            &user.login,
            Outcome::Ok,
            "",
        )
        .await;
    }
    Ok(())
}

// ---- GitHub login ---------------------------------------------------------------------

/// Starts a GitHub login: remembers `state` and the PKCE verifier in this browser's
/// session and returns GitHub's authorize URL.
pub async fn start_github_login(state: &AppState, session: &Session) -> Result<String, AppError> {
    let settings = &state.auth.settings;
    let github = settings
        .github
        .as_ref()
        .ok_or_else(|| AppError::invalid("GitHub login is not configured on this caretaker."))?;
    let rules = store::list_rules(&state.db).await?;
    // read:org only when an org or team rule needs it.
    let scopes: &[&str] = if rules.iter().any(|rule| rule.kind != RuleKind::User) {
        &["read:org"]
    } else {
        &[]
    };
    let start = github::authorize(github, &settings.github_callback(), scopes)?;
    session
        .insert(OAUTH_STATE_KEY, &start.state)
        .await
        .map_err(session_error)?;
    session
        .insert(OAUTH_VERIFIER_KEY, &start.pkce_verifier)
        .await
        .map_err(session_error)?;
    session
        .insert(OAUTH_STARTED_KEY, Utc::now().timestamp_millis())
        .await
        .map_err(session_error)?;
    Ok(start.url)
}

/// Why a login did not happen, as shown on the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// The callback does not belong to a login this browser started (state mismatch,
    /// missing, expired).
    StaleAttempt,
    /// GitHub said no, or could not be reached.
    Github,
    /// The account is not on the allow-list.
    NotAllowed,
    /// GitHub did not grant `read:org`, so org and team rules could not be checked.
    MissingScope,
    /// The user refused at GitHub.
    Denied,
    /// Too many attempts from this address.
    TooMany,
    /// The one-time link is unknown, used or expired.
    BadLink,
}

impl LoginRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::StaleAttempt => "stale",
            Self::Github => "github",
            Self::NotAllowed => "not-allowed",
            Self::MissingScope => "scope",
            Self::Denied => "denied",
            Self::TooMany => "too-many",
            Self::BadLink => "bad-link",
        }
    }
}

/// Finishes a GitHub login from the callback's `code` and `state`.
pub async fn finish_github_login(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    code: Option<&str>,
    returned_state: Option<&str>,
    error: Option<&str>,
) -> Result<CurrentUser, LoginRefusal> {
    let refuse = |reason: LoginRefusal, detail: String| {
        let pool = state.db.clone();
        let actor = Actor::anonymous(client.address.clone());
        async move {
            record(
                &pool,
                &actor,
                "auth",
                "login",
                "github",
                Outcome::Refused,
                &detail,
            )
            .await;
            reason
        }
    };
    // The state and verifier are single use, whatever happens next.
    let expected: Option<String> = session.remove(OAUTH_STATE_KEY).await.ok().flatten();
    let verifier: Option<String> = session
        .remove::<Option<String>>(OAUTH_VERIFIER_KEY)
        .await
        .ok()
        .flatten()
        .flatten();
    let started: Option<i64> = session.remove(OAUTH_STARTED_KEY).await.ok().flatten();

    let Some(expected) = expected else {
        return Err(refuse(
            LoginRefusal::StaleAttempt,
            "no login was started in this browser session".into(),
        )
        .await);
    };
    if !constant_time_eq(
        expected.as_bytes(),
        returned_state.unwrap_or_default().as_bytes(),
    ) {
        return Err(refuse(
            LoginRefusal::StaleAttempt,
            "state does not match the one sent".into(),
        )
        .await);
    }
    let fresh = started
        .map(|at| Utc::now().timestamp_millis() - at < OAUTH_FLOW_LIMIT.num_milliseconds())
        .unwrap_or(false);
    if !fresh {
        return Err(refuse(
            LoginRefusal::StaleAttempt,
            "the login took longer than 10 minutes".into(),
        )
        .await);
    }
    if let Some(error) = error {
        let reason = if error == "access_denied" {
            LoginRefusal::Denied
        } else {
            LoginRefusal::Github
        };
        return Err(refuse(reason, format!("GitHub answered error={error}")).await);
    }
    let Some(code) = code else {
        return Err(refuse(LoginRefusal::Github, "the callback had no code".into()).await);
    };
    let Some(settings) = state.auth.settings.github.as_ref() else {
        return Err(refuse(
            LoginRefusal::Github,
            "GitHub login is not configured".into(),
        )
        .await);
    };
    let http = &state.auth.http;
    let callback = state.auth.settings.github_callback();
    let token = match github::exchange_code(settings, http, &callback, code, verifier).await {
        Ok(token) => token,
        Err(error) => return Err(refuse(LoginRefusal::Github, error.to_string()).await),
    };
    let account = match github::user(settings, http, &token.access_token).await {
        Ok(account) => account,
        Err(error) => return Err(refuse(LoginRefusal::Github, error.to_string()).await),
    };
    let rules = match store::list_rules(&state.db).await {
        Ok(rules) => rules,
        Err(_) => return Err(LoginRefusal::Github),
    };
    let grant = match matching_rule(settings, http, &token, &account, &rules).await {
        Ok(grant) => grant,
        Err(refusal) => {
            let detail = format!(
                "{} (GitHub id {}): {}",
                account.login,
                account.id,
                refusal.code()
            );
            return Err(refuse(refusal, detail).await);
        }
    };
    let Some(rule) = grant else {
        let detail = format!(
            "{} (GitHub id {}) is not on the allow-list",
            account.login, account.id
        );
        return Err(refuse(LoginRefusal::NotAllowed, detail).await);
    };
    let github_id = account.id.to_string();
    let result = async {
        // Every login rule this account matched is pinned to its id, not only the one
        // that let it in: a later holder of the login must not inherit any of them.
        let unpinned_login_rules = rules.iter().filter(|candidate| {
            candidate.kind == RuleKind::User
                && candidate.pinned_id.is_none()
                && candidate.value.parse::<u64>().is_err()
                && candidate.value.eq_ignore_ascii_case(&account.login)
        });
        for login_rule in unpinned_login_rules {
            store::pin_rule(&state.db, login_rule.id, &github_id).await?;
        }
        let user_id = store::upsert_user(
            &state.db,
            "github",
            &github_id,
            &account.login,
            account.name.as_deref(),
            Some(rule.role),
            Some(rule.id),
            Utc::now(),
        )
        .await?;
        establish_session(state, session, user_id, client).await?;
        Ok::<_, AppError>(CurrentUser {
            id: user_id,
            login: account.login.clone(),
            role: rule.role,
        })
    }
    .await;
    match result {
        Ok(user) => {
            let detail = format!(
                "GitHub id {}, role {} by rule {} {}",
                account.id,
                rule.role.as_str(),
                rule.kind.as_str(),
                rule.value
            );
            record(
                &state.db,
                &actor(&user, client),
                "auth",
                "login",
                "github",
                Outcome::Ok,
                &detail,
            )
            .await;
            Ok(user)
        }
        Err(_) => Err(LoginRefusal::Github),
    }
}

/// The strongest rule that lets this account in, if any.
async fn matching_rule(
    settings: &GithubSettings,
    http: &reqwest::Client,
    token: &github::GithubToken,
    account: &github::GithubUser,
    rules: &[AccessRule],
) -> Result<Option<AccessRule>, LoginRefusal> {
    let github_id = account.id.to_string();
    let needs_org_scope = rules.iter().any(|rule| rule.kind != RuleKind::User);
    let has_org_scope = token
        .scopes
        .iter()
        .any(|scope| matches!(scope.as_str(), "read:org" | "write:org" | "admin:org"));
    let user_rule_matches = |rule: &&AccessRule| match (&rule.pinned_id, rule.value.parse::<u64>())
    {
        (_, Ok(id)) => id == account.id,
        (Some(pinned), Err(_)) => *pinned == github_id,
        (None, Err(_)) => rule.value.eq_ignore_ascii_case(&account.login),
    };
    let mut best: Option<&AccessRule> = rules
        .iter()
        .filter(|rule| rule.kind == RuleKind::User)
        .filter(user_rule_matches)
        .max_by_key(|rule| rule.role);
    let mut check_failed = false;
    if needs_org_scope && best.is_none_or(|rule| rule.role < Role::Admin) {
        if !has_org_scope {
            // Org and team rules exist but cannot be checked; only fail if no user rule let them in.
            return if best.is_some() {
                Ok(best.cloned())
            } else {
                Err(LoginRefusal::MissingScope)
            };
        }
        for rule in rules.iter().filter(|rule| rule.kind != RuleKind::User) {
            if best.is_some_and(|current| current.role >= rule.role) {
                continue;
            }
            let member = match rule.kind {
                RuleKind::Org => {
                    github::is_org_member(settings, http, &token.access_token, &rule.value).await
                }
                _ => match rule.value.split_once('/') {
                    Some((org, team)) => {
                        github::is_team_member(
                            settings,
                            http,
                            &token.access_token,
                            org,
                            team,
                            &account.login,
                        )
                        .await
                    }
                    None => Ok(false),
                },
            };
            match member {
                Ok(true) => best = Some(rule),
                Ok(false) => {}
                // One org that GitHub will not answer for (OAuth app restrictions, rate
                // limits) must not lock out people another rule lets in.
                Err(_) => check_failed = true,
            }
        }
    }
    if best.is_none() && check_failed {
        return Err(LoginRefusal::Github);
    }
    Ok(best.cloned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- the local administrator's one-time link -----------------------------------------

/// Creates a one-time link (256 random bits, valid 15 minutes, single use) that logs in
/// as the local administrator. Only its hash is stored.
pub async fn create_login_link(pool: &SqlitePool, public_url: &str) -> Result<String, AppError> {
    let bytes: [u8; 32] = rand::rng().random();
    let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let now = Utc::now();
    let expires = now + chrono::TimeDelta::from_std(LINK_LIFETIME).unwrap_or_default();
    store::insert_link(pool, &sha256_hex(&token), now, expires).await?;
    Ok(format!("{public_url}/auth/link/{token}"))
}

/// True when no user holds the admin role yet (first run).
pub async fn needs_first_admin(pool: &SqlitePool) -> Result<bool, AppError> {
    Ok(!store::admin_exists(pool).await?)
}

pub async fn login_with_link(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    token: &str,
) -> Result<CurrentUser, LoginRefusal> {
    let used = store::consume_link(&state.db, &sha256_hex(token.trim()), Utc::now()).await;
    if !matches!(used, Ok(true)) {
        let actor = Actor::anonymous(client.address.clone());
        record(
            &state.db,
            &actor,
            "auth",
            "login",
            "one-time link",
            Outcome::Refused,
            "unknown, used or expired link",
        )
        .await;
        return Err(LoginRefusal::BadLink);
    }
    let result = async {
        let user_id = store::upsert_user(
            &state.db,
            "local",
            "admin",
            "local admin",
            None,
            Some(Role::Admin),
            None,
            Utc::now(),
        )
        .await?;
        establish_session(state, session, user_id, client).await?;
        Ok::<_, AppError>(CurrentUser {
            id: user_id,
            login: "local admin".to_owned(),
            role: Role::Admin,
        })
    }
    .await;
    match result {
        Ok(user) => {
            record(
                &state.db,
                &actor(&user, client),
                "auth",
                "login",
                "one-time link",
                Outcome::Ok,
                "",
            )
            .await;
            Ok(user)
        }
        Err(_) => Err(LoginRefusal::BadLink),
    }
}

// ---- the allow-list and users ----------------------------------------------------------

pub async fn list_rules(state: &AppState) -> Result<Vec<AccessRule>, AppError> {
    store::list_rules(&state.db).await
}

pub async fn list_users(state: &AppState) -> Result<Vec<UserSummary>, AppError> {
    store::list_users(&state.db).await
}

/// Checks a rule's value: what GitHub accepts as names, or a numeric id for users.
pub fn validate_rule(kind: RuleKind, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    // GitHub names start with a letter or digit; this also keeps `.` and `..` out of the
    // API paths the names are put into.
    let name_ok = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.len() <= 100
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let ok = match kind {
        RuleKind::User | RuleKind::Org => name_ok(value),
        RuleKind::Team => value
            .split_once('/')
            .is_some_and(|(org, team)| name_ok(org) && name_ok(team)),
    };
    if ok {
        Ok(value.to_owned())
    } else {
        Err(AppError::invalid(match kind {
            RuleKind::User => format!("'{value}' is not a GitHub user. Enter a login like octocat or a numeric id like 583231."),
            RuleKind::Org => format!("'{value}' is not a GitHub organisation. Enter its login, like acme."),
            RuleKind::Team => format!("'{value}' is not a GitHub team. Enter organisation/team-slug, like acme/ops."),
        }))
    }
}

pub async fn add_rule(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientInfo,
    kind: RuleKind,
    value: &str,
    role: Role,
) -> Result<i64, AppError> {
    let value = validate_rule(kind, value)?;
    let target = format!("{} {value}", kind.as_str());
    match store::insert_rule(&state.db, kind, &value, role, Utc::now()).await? {
        Some(id) => {
            record(
                &state.db,
                &actor(user, client),
                "auth",
                "add rule",
                &target,
                Outcome::Ok,
                role.as_str(),
            )
            .await;
            Ok(id)
        }
        None => Err(AppError::Conflict(format!(
            "There is already a rule for {target}."
        ))),
    }
}

/// Removes a rule; everyone it let in loses access on their next request.
pub async fn delete_rule(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientInfo,
    id: i64,
) -> Result<(), AppError> {
    let removed = store::delete_rule(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("That rule does not exist (any more)."))?;
    let target = format!("{} {}", removed.kind.as_str(), removed.value);
    record(
        &state.db,
        &actor(user, client),
        "auth",
        "remove rule",
        &target,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

/// Ends every session of a user at once.
pub async fn revoke_sessions(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientInfo,
    target_user: i64,
) -> Result<usize, AppError> {
    use tower_sessions::SessionStore;
    let ids = store::delete_user_sessions(&state.db, target_user).await?;
    for id in &ids {
        if let Ok(id) = id.parse() {
            // The mapping row is gone already, which is what locks the session out; this
            // only tidies the session data.
            let _ = state.auth.sessions.delete(&id).await;
        }
    }
    record(
        &state.db,
        &actor(user, client),
        "auth",
        "revoke sessions",
        &format!("user {target_user}"),
        Outcome::Ok,
        &format!("{} sessions", ids.len()),
    )
    .await;
    Ok(ids.len())
}

// ---- rate limits -----------------------------------------------------------------------

/// A fixed-window limit per client address for login attempts and one-time links.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            counts: Mutex::default(),
        }
    }

    /// Counts an attempt; false when the address is over the limit.
    pub fn allow(&self, address: &str) -> bool {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        // Forget old windows so the map cannot grow without bound.
        if counts.len() > 10_000 {
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = counts.entry(address.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_values_are_checked() {
        assert!(validate_rule(RuleKind::User, "octocat").is_ok());
        assert!(validate_rule(RuleKind::User, "583231").is_ok());
        assert!(validate_rule(RuleKind::Team, "acme/ops").is_ok());
        assert!(validate_rule(RuleKind::Team, "acme")
            .unwrap_err()
            .to_string()
            .contains("organisation/team-slug"));
        assert!(validate_rule(RuleKind::Org, "../admin").is_err());
        assert!(validate_rule(RuleKind::Org, "..").is_err());
        assert!(validate_rule(RuleKind::Team, "acme/..").is_err());
        assert!(validate_rule(RuleKind::User, "").is_err());
    }

    #[test]
    fn the_limiter_counts_per_address_and_window() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"));
    }

    #[tokio::test]
    async fn a_link_works_once_and_only_as_its_hash_is_stored() {
        let pool = crate::core::db::open_in_memory().await.unwrap();
        let link = create_login_link(&pool, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let token = link.rsplit('/').next().unwrap();
        assert_eq!(token.len(), 64, "256 bits as hex");
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM login_links")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_ne!(stored, token);
        assert!(store::consume_link(&pool, &sha256_hex(token), Utc::now())
            .await
            .unwrap());
        assert!(!store::consume_link(&pool, &sha256_hex(token), Utc::now())
            .await
            .unwrap());
        // An expired link is refused.
        let link = create_login_link(&pool, "http://x").await.unwrap();
        let token = link.rsplit('/').next().unwrap();
        let later = Utc::now() + chrono::TimeDelta::minutes(16);
        assert!(!store::consume_link(&pool, &sha256_hex(token), later)
            .await
            .unwrap());
    }
}
