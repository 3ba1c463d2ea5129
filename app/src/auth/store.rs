//! The SQL of auth: rules, users, sessions and one-time links.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{AccessRule, CurrentUser, Role, RuleKind, SessionSummary, UserSummary};
use crate::core::error::AppError;

pub(super) use crate::core::db::{from_millis, millis};

fn role(text: Option<String>) -> Option<Role> {
    text.as_deref().and_then(Role::parse)
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    kind: String,
    value: String,
    pinned_id: Option<String>,
    role: String,
    created_at: i64,
}

impl RuleRow {
    fn into_rule(self) -> Option<AccessRule> {
        Some(AccessRule {
            id: self.id,
            kind: RuleKind::parse(&self.kind)?,
            value: self.value,
            pinned_id: self.pinned_id,
            role: Role::parse(&self.role)?,
            created_at: from_millis(self.created_at),
        })
    }
}

pub async fn list_rules(pool: &SqlitePool) -> Result<Vec<AccessRule>, AppError> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT id, kind, value, pinned_id, role, created_at FROM access_rules ORDER BY kind, value",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(RuleRow::into_rule).collect())
}

pub async fn insert_rule(
    pool: &SqlitePool,
    kind: RuleKind,
    value: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO access_rules (kind, value, role, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (kind, value) DO NOTHING RETURNING id",
    )
    .bind(kind.as_str())
    .bind(value)
    .bind(role.as_str())
    .bind(millis(now))
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

/// Deletes a rule and takes the role away from every user it granted one, in one
/// transaction, so their very next request is refused.
pub async fn delete_rule(pool: &SqlitePool, id: i64) -> Result<Option<AccessRule>, AppError> {
    let mut tx = crate::core::db::begin_immediate(pool).await?;
    let row: Option<RuleRow> = sqlx::query_as(
        "SELECT id, kind, value, pinned_id, role, created_at FROM access_rules WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET role = NULL WHERE rule_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM access_rules WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row.and_then(RuleRow::into_rule))
}

pub async fn pin_rule(pool: &SqlitePool, id: i64, github_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE access_rules SET pinned_id = ? WHERE id = ? AND pinned_id IS NULL")
        .bind(github_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Creates or updates a user after a login and returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_user(
    pool: &SqlitePool,
    provider: &str,
    provider_id: &str,
    login: &str,
    name: Option<&str>,
    role: Option<Role>,
    rule_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (provider, provider_id, login, name, role, rule_id, created_at, last_login_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
         ON CONFLICT (provider, provider_id) DO UPDATE SET \
           login = excluded.login, name = excluded.name, role = excluded.role, \
           rule_id = excluded.rule_id, last_login_at = excluded.last_login_at \
         RETURNING id",
    )
    .bind(provider)
    .bind(provider_id)
    .bind(login)
    .bind(name)
    .bind(role.map(Role::as_str))
    .bind(rule_id)
    .bind(millis(now))
    .fetch_one(pool)
    .await?;
    Ok(id)
}

pub async fn admin_exists(pool: &SqlitePool) -> Result<bool, AppError> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin'")
        .fetch_one(pool)
        .await?;
    Ok(count > 0)
}

pub struct SessionUser {
    pub user: CurrentUser,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The user of a logged-in session, if the session is known and the user still has a role.
pub async fn session_user(
    pool: &SqlitePool,
    session_id: &str,
) -> Result<Option<SessionUser>, AppError> {
    let row: Option<(i64, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT u.id, u.login, u.role, s.created_at, s.last_seen_at \
         FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.session_id = ?",
    )
    .bind(session_id)
    .fetch_optional(pool)
    .await?;
    Ok(
        row.and_then(|(id, login, role_text, created_at, last_seen_at)| {
            Some(SessionUser {
                user: CurrentUser {
                    id,
                    login,
                    role: role(role_text)?,
                },
                created_at: from_millis(created_at),
                last_seen_at: from_millis(last_seen_at),
            })
        }),
    )
}

pub async fn insert_session(
    pool: &SqlitePool,
    session_id: &str,
    user_id: i64,
    address: &str,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO user_sessions (session_id, user_id, created_at, last_seen_at, address, user_agent) \
         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(millis(now))
    .bind(address)
    .bind(user_agent)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn touch_session(
    pool: &SqlitePool,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE user_sessions SET last_seen_at = ? WHERE session_id = ?")
        .bind(millis(now))
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete_session(pool: &SqlitePool, session_id: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM user_sessions WHERE session_id = ?")
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes sessions idle since before `idle_before` or created before `created_before`.
pub async fn delete_stale_sessions(
    pool: &SqlitePool,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM user_sessions WHERE last_seen_at < ? OR created_at < ?")
        .bind(millis(idle_before))
        .bind(millis(created_before))
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes every session of a user and returns their ids (to remove the session data too).
pub async fn delete_user_sessions(
    pool: &SqlitePool,
    user_id: i64,
) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query_scalar("DELETE FROM user_sessions WHERE user_id = ? RETURNING session_id")
            .bind(user_id)
            .fetch_all(pool)
            .await?,
    )
}

/// Every user with their sessions: two queries, grouped here.
pub async fn list_users(pool: &SqlitePool) -> Result<Vec<UserSummary>, AppError> {
    #[allow(clippy::type_complexity)]
    let users: Vec<(
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
    )> = sqlx::query_as(
        "SELECT id, provider, login, name, role, last_login_at FROM users ORDER BY login",
    )
    .fetch_all(pool)
    .await?;
    let sessions: Vec<(i64, String, i64, i64, String, String)> = sqlx::query_as(
        "SELECT user_id, session_id, created_at, last_seen_at, address, user_agent \
         FROM user_sessions ORDER BY last_seen_at DESC",
    )
    .fetch_all(pool)
    .await?;
    Ok(users
        .into_iter()
        .map(|(id, provider, login, name, role_text, last_login_at)| {
            let mine: Vec<SessionSummary> = sessions
                .iter()
                .filter(|session| session.0 == id)
                .map(
                    |(_, session_id, created_at, last_seen_at, address, user_agent)| {
                        SessionSummary {
                            // A hash prefix: enough to tell sessions apart, useless to take one over.
                            handle: super::service::session_handle(session_id),
                            created_at: from_millis(*created_at),
                            last_seen_at: from_millis(*last_seen_at),
                            address: address.clone(),
                            user_agent: user_agent.clone(),
                        }
                    },
                )
                .collect();
            UserSummary {
                id,
                provider,
                login,
                name,
                role: role(role_text),
                last_login_at: last_login_at.map(from_millis),
                last_seen_at: mine.first().map(|session| session.last_seen_at),
                sessions: mine,
            }
        })
        .collect())
}

pub async fn insert_link(
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO login_links (token_hash, created_at, expires_at) VALUES (?, ?, ?)")
        .bind(token_hash)
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(pool)
        .await?;
    Ok(())
}

/// Marks an unused, unexpired link used; true when this call used it. One statement, so
/// two requests racing with the same link cannot both succeed.
pub async fn consume_link(
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE login_links SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1",
    )
    .bind(millis(now))
    .bind(token_hash)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
