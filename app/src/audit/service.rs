//! Recording and reading the audit log.

use chrono::Utc;
use sqlx::SqlitePool;

use super::store::{self, NewEntry};
use super::{AuditEntry, AuditFilter, Outcome};
use crate::core::error::AppError;

/// Who did something, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// A GitHub login, "local admin", or "anonymous".
    pub name: String,
    pub address: String,
}

impl Actor {
    pub fn anonymous(address: impl Into<String>) -> Self {
        Self {
            user_id: None,
            name: "anonymous".to_owned(),
            address: address.into(),
        }
    }
}

/// Records one action. An audit record that cannot be written is logged loudly but does
/// not undo the action it describes (that already happened).
pub async fn record(
    pool: &SqlitePool,
    actor: &Actor,
    area: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    detail: &str,
) {
    let entry = NewEntry {
        at: Utc::now(),
        user_id: actor.user_id,
        actor: &actor.name,
        address: &actor.address,
        area,
        action,
        target,
        outcome,
        detail,
    };
    if let Err(error) = store::insert(pool, entry).await {
        tracing::error!(%error, area, action, target, "could not write the audit record");
    }
}

/// Records how a piece of work ended: `Ok` with the detail `done` gives, or `Failed` with
/// the error's sentence.
pub async fn record_result<T>(
    pool: &SqlitePool,
    actor: &Actor,
    area: &str,
    action: &str,
    target: &str,
    result: &Result<T, AppError>,
    done: impl FnOnce(&T) -> String,
) {
    let (outcome, detail) = match result {
        Ok(value) => (Outcome::Ok, done(value)),
        Err(error) => (Outcome::Failed, error.to_string()),
    };
    record(pool, actor, area, action, target, outcome, &detail).await;
}

pub async fn search(
    pool: &SqlitePool,
    filter: &AuditFilter,
    limit: Option<i64>,
) -> Result<Vec<AuditEntry>, AppError> {
    store::search(pool, filter, limit).await
}

pub async fn facets(pool: &SqlitePool) -> Result<(Vec<String>, Vec<String>), AppError> {
    store::facets(pool).await
}

/// CSV with a header row; fields quoted where needed (RFC 4180), and cells that a
/// spreadsheet would run as a formula prefixed with a quote.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    fn cell(text: &str) -> String {
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
    let mut out = String::from("id,at,actor,address,area,action,target,result,detail\n");
    for entry in entries {
        let fields = [
            entry.id.to_string(),
            entry.at.to_rfc3339(),
            entry.actor.clone(),
            entry.address.clone(),
            entry.area.clone(),
            entry.action.clone(),
            entry.target.clone(),
            entry.outcome.as_str().to_owned(),
            entry.detail.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|field| cell(field)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_are_found_by_actor_area_and_day() {
        let pool = crate::core::db::open_in_memory().await.unwrap();
        let alice = Actor {
            user_id: None,
            name: "alice".into(),
            address: "10.0.0.1".into(),
        };
        record(&pool, &alice, "auth", "login", "github", Outcome::Ok, "").await;
        record(
            &pool,
            &Actor::anonymous("10.0.0.9"),
            "auth",
            "login",
            "github",
            Outcome::Refused,
            "not on the allow-list",
        )
        .await;
        record(
            &pool,
            &alice,
            "overview",
            "measure disk use",
            "unix:///var/run/docker.sock",
            Outcome::Ok,
            "",
        )
        .await;

        let all = search(&pool, &AuditFilter::default(), None).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].action, "measure disk use", "newest first");

        let by_alice = AuditFilter {
            actor: "alice".into(),
            ..Default::default()
        };
        assert_eq!(search(&pool, &by_alice, None).await.unwrap().len(), 2);
        let auth = AuditFilter {
            area: "auth".into(),
            ..Default::default()
        };
        let refused: Vec<_> = search(&pool, &auth, None)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.outcome == Outcome::Refused)
            .collect();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].address, "10.0.0.9");

        let today = Utc::now().format("%Y-%m-%d").to_string();
        let today_only = AuditFilter {
            from: today.clone(),
            to: today,
            ..Default::default()
        };
        assert_eq!(search(&pool, &today_only, None).await.unwrap().len(), 3);
        let long_ago = AuditFilter {
            to: "2000-01-01".into(),
            ..Default::default()
        };
        assert!(search(&pool, &long_ago, None).await.unwrap().is_empty());

        let bad = AuditFilter {
            from: "yesterday".into(),
            ..Default::default()
        };
        let error = search(&pool, &bad, None).await.unwrap_err();
        assert!(error.to_string().contains("2026-11-22"), "{error}");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let entry = AuditEntry {
            id: 1,
            at: Utc::now(),
            actor: "bob".into(),
            address: "::1".into(),
            area: "auth".into(),
            action: "login".into(),
            target: "=HYPERLINK(\"x\")".into(),
            outcome: Outcome::Refused,
            detail: "a, b".into(),
        };
        let csv = to_csv(&[entry]);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{line}");
        assert!(line.ends_with(",refused,\"a, b\""), "{line}");
    }
}
