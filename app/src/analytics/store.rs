//! The SQL of the analytics area.

use std::collections::HashMap;

use sqlx::{Sqlite, SqlitePool, Transaction};

use super::aggregate::{method_name, Batch, Cell, CellKey};
use super::histogram::Histogram;
use super::ingest::LogFile;
use super::sketch::Visitors;
use super::{LogSource, RejectSample};
use crate::core::error::AppError;

/// Rejected-line samples kept per source.
const KEEP_SAMPLES: i64 = 20;

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: i64,
    name: String,
    service_id: Option<i64>,
    path: String,
    format: String,
    format_string: String,
    route_patterns: String,
}

impl From<SourceRow> for LogSource {
    fn from(row: SourceRow) -> Self {
        LogSource {
            id: row.id,
            name: row.name,
            service_id: row.service_id,
            path: row.path,
            format: row.format,
            format_string: row.format_string,
            route_patterns: row.route_patterns,
        }
    }
}

const SOURCE_COLUMNS: &str = "id, name, service_id, path, format, format_string, route_patterns";

pub async fn sources(pool: &SqlitePool) -> Result<Vec<LogSource>, AppError> {
    let rows: Vec<SourceRow> = sqlx::query_as(&format!(
        "SELECT {SOURCE_COLUMNS} FROM log_sources ORDER BY name"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(LogSource::from).collect())
}

pub async fn source(pool: &SqlitePool, id: i64) -> Result<Option<LogSource>, AppError> {
    let row: Option<SourceRow> = sqlx::query_as(&format!(
        "SELECT {SOURCE_COLUMNS} FROM log_sources WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(LogSource::from))
}

pub async fn source_by_name(pool: &SqlitePool, name: &str) -> Result<Option<LogSource>, AppError> {
    let row: Option<SourceRow> = sqlx::query_as(&format!(
        "SELECT {SOURCE_COLUMNS} FROM log_sources WHERE name = ?"
    ))
    .bind(name)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(LogSource::from))
}

/// Inserts a source; its id, or None when the name is taken.
pub async fn insert_source(
    pool: &SqlitePool,
    source: &LogSource,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let id = sqlx::query_scalar(
        "INSERT INTO log_sources (name, service_id, path, format, format_string, route_patterns, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(&source.name)
    .bind(source.service_id)
    .bind(&source.path)
    .bind(&source.format)
    .bind(&source.format_string)
    .bind(&source.route_patterns)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

pub async fn delete_source(pool: &SqlitePool, id: i64) -> Result<bool, AppError> {
    let done = sqlx::query("DELETE FROM log_sources WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Where ingest stands in a file: (bytes read, done), or None for a file not seen yet.
pub async fn file_position(
    pool: &SqlitePool,
    source_id: i64,
    fingerprint: &str,
) -> Result<Option<(u64, bool)>, AppError> {
    let row: Option<(i64, bool)> = sqlx::query_as(
        "SELECT read_to, done FROM log_files WHERE source_id = ? AND fingerprint = ?",
    )
    .bind(source_id)
    .bind(fingerprint)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(read_to, done)| (read_to.max(0) as u64, done)))
}

/// What a commit found when the position had moved under it: another ingest of the same
/// file ran meanwhile, so this batch must not be counted.
#[derive(Debug)]
pub struct PositionMoved;

/// How far a batch moves a file's position.
pub struct Advance {
    /// Where the batch started: the stored position must still be this.
    pub from: u64,
    pub read_to: u64,
    /// A compressed file read to its end.
    pub done: bool,
}

/// Writes a batch and the position it reached in one transaction, only if the stored
/// position is still `advance.from` (so two ingests of one file never count a line twice).
pub async fn commit(
    pool: &SqlitePool,
    source_id: i64,
    file: &LogFile,
    advance: Advance,
    batch: &Batch,
    now: i64,
) -> Result<Result<(), PositionMoved>, AppError> {
    let Advance {
        from,
        read_to,
        done,
    } = advance;
    let mut tx = pool.begin().await?;
    let moved = if from == 0 {
        let inserted = sqlx::query(
            "INSERT INTO log_files (source_id, fingerprint, path, device, inode, read_to, done, lines, rejected, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (source_id, fingerprint) DO UPDATE SET path = ?3, device = ?4, inode = ?5, read_to = ?6, \
             done = ?7, lines = lines + ?8, rejected = rejected + ?9, updated_at = ?10 WHERE read_to = 0",
        )
        .bind(source_id)
        .bind(&file.fingerprint)
        .bind(file.path.to_string_lossy())
        .bind(file.device as i64)
        .bind(file.inode as i64)
        .bind(read_to as i64)
        .bind(done)
        .bind(batch.lines as i64)
        .bind(batch.rejected as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        inserted.rows_affected() == 0
    } else {
        let updated = sqlx::query(
            "UPDATE log_files SET path = ?, device = ?, inode = ?, read_to = ?, done = ?, lines = lines + ?, \
             rejected = rejected + ?, updated_at = ? WHERE source_id = ? AND fingerprint = ? AND read_to = ?",
        )
        .bind(file.path.to_string_lossy())
        .bind(file.device as i64)
        .bind(file.inode as i64)
        .bind(read_to as i64)
        .bind(done)
        .bind(batch.lines as i64)
        .bind(batch.rejected as i64)
        .bind(now)
        .bind(source_id)
        .bind(&file.fingerprint)
        .bind(from as i64)
        .execute(&mut *tx)
        .await?;
        updated.rows_affected() == 0
    };
    if moved {
        tx.rollback().await?;
        return Ok(Err(PositionMoved));
    }
    for (key, cell) in &batch.cells {
        upsert_cell(
            &mut tx,
            "analytics_hourly",
            "hour",
            source_id,
            key,
            batch.route(key),
            cell,
        )
        .await?;
    }
    for (key, cell) in &batch.days() {
        upsert_cell(
            &mut tx,
            "analytics_daily",
            "day",
            source_id,
            key,
            batch.route(key),
            cell,
        )
        .await?;
    }
    for (day, visitors) in &batch.visitors {
        let stored: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT sketch FROM analytics_visitors WHERE source_id = ? AND day = ?",
        )
        .bind(source_id)
        .bind(day)
        .fetch_optional(&mut *tx)
        .await?;
        let mut merged = match stored {
            // A sketch that cannot be read is replaced rather than blocking ingest forever.
            Some(blob) => Visitors::from_blob(&blob).unwrap_or_default(),
            None => Visitors::default(),
        };
        merged.merge(visitors);
        sqlx::query(
            "INSERT INTO analytics_visitors (source_id, day, sketch) VALUES (?, ?, ?) \
             ON CONFLICT (source_id, day) DO UPDATE SET sketch = excluded.sketch",
        )
        .bind(source_id)
        .bind(day)
        .bind(merged.to_blob())
        .execute(&mut *tx)
        .await?;
    }
    if !batch.samples.is_empty() {
        for (reason, sample) in &batch.samples {
            sqlx::query(
                "INSERT INTO log_rejects (source_id, seen_at, reason, sample) VALUES (?, ?, ?, ?)",
            )
            .bind(source_id)
            .bind(now)
            .bind(reason)
            .bind(sample)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "DELETE FROM log_rejects WHERE source_id = ?1 AND id NOT IN \
             (SELECT id FROM log_rejects WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2)",
        )
        .bind(source_id)
        .bind(KEEP_SAMPLES)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds a cell to its row. Counts add up in SQL; a histogram is merged here, since SQLite
/// cannot merge it.
async fn upsert_cell(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    bucket: &str,
    source_id: i64,
    key: &CellKey,
    route: &str,
    cell: &Cell,
) -> Result<(), AppError> {
    let method = method_name(key.method);
    let response = match &cell.response {
        None => None,
        Some(histogram) => {
            let stored: Option<Option<Vec<u8>>> = sqlx::query_scalar(&format!(
                "SELECT response FROM {table} WHERE source_id = ? AND {bucket} = ? AND route = ? \
                 AND method = ? AND status_class = ? AND bot = ?"
            ))
            .bind(source_id)
            .bind(key.hour)
            .bind(route)
            .bind(method)
            .bind(key.status_class)
            .bind(key.bot)
            .fetch_optional(&mut **tx)
            .await?;
            let mut merged = stored
                .flatten()
                .and_then(|blob| Histogram::from_blob(&blob).ok())
                .unwrap_or_default();
            merged.merge(histogram);
            Some(merged.to_blob())
        }
    };
    sqlx::query(&format!(
        "INSERT INTO {table} (source_id, {bucket}, route, method, status_class, bot, requests, bytes, response) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (source_id, {bucket}, route, method, status_class, bot) DO UPDATE SET \
         requests = requests + excluded.requests, bytes = bytes + excluded.bytes, \
         response = coalesce(excluded.response, response)"
    ))
    .bind(source_id)
    .bind(key.hour)
    .bind(route)
    .bind(method)
    .bind(key.status_class)
    .bind(key.bot)
    .bind(cell.requests as i64)
    .bind(cell.bytes as i64)
    .bind(response)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Requests per route of the sources in `[from, to)` (Unix seconds, whole days or hours),
/// bots apart: (route, requests of people, requests of bots).
pub async fn route_totals(
    pool: &SqlitePool,
    sources: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64, i64)>, AppError> {
    let (table, bucket) = table_for(from, to);
    let marks = numbered_marks(3, sources.len());
    let sql = format!(
        "SELECT route, coalesce(sum(CASE WHEN bot = 0 THEN requests END), 0), \
         coalesce(sum(CASE WHEN bot = 1 THEN requests END), 0) FROM {table} \
         WHERE {bucket} >= ?1 AND {bucket} < ?2 AND source_id IN ({marks}) GROUP BY route"
    );
    let mut query = sqlx::query_as(&sql).bind(from).bind(to);
    for source in sources {
        query = query.bind(source);
    }
    Ok(query.fetch_all(pool).await?)
}

/// One bucket's counts (hour or day start → requests, bytes, 4xx, 5xx, bot requests) and
/// response histograms, for charts and tables; `route` narrows to one route.
pub struct Series {
    /// (bucket start, requests, errors 4xx, errors 5xx, bots)
    pub points: Vec<(i64, i64, i64, i64, i64)>,
    pub response: HashMap<i64, Histogram>,
    pub bytes: i64,
}

impl Series {
    /// The points and histograms summed into the buckets starting at `starts` (sorted):
    /// hours into local days, say. Points before the first start are dropped.
    pub fn regrouped(self, starts: &[i64]) -> Series {
        let bucket = |at: i64| match starts.binary_search(&at) {
            Ok(index) => Some(starts[index]),
            Err(0) => None,
            Err(index) => Some(starts[index - 1]),
        };
        let mut points: std::collections::BTreeMap<i64, (i64, i64, i64, i64)> = Default::default();
        for (at, requests, e4, e5, bots) in self.points {
            if let Some(start) = bucket(at) {
                let point = points.entry(start).or_default();
                point.0 += requests;
                point.1 += e4;
                point.2 += e5;
                point.3 += bots;
            }
        }
        let mut response: HashMap<i64, Histogram> = HashMap::new();
        for (at, histogram) in self.response {
            if let Some(start) = bucket(at) {
                response.entry(start).or_default().merge(&histogram);
            }
        }
        Series {
            points: points
                .into_iter()
                .map(|(at, (requests, e4, e5, bots))| (at, requests, e4, e5, bots))
                .collect(),
            response,
            bytes: self.bytes,
        }
    }
}

pub async fn series(
    pool: &SqlitePool,
    sources: &[i64],
    route: Option<&str>,
    from: i64,
    to: i64,
    hourly: bool,
) -> Result<Series, AppError> {
    let (table, bucket) = if hourly {
        ("analytics_hourly", "hour")
    } else {
        ("analytics_daily", "day")
    };
    let marks = numbered_marks(4, sources.len());
    let sql = format!(
        "SELECT {bucket}, status_class, bot, requests, bytes, response FROM {table} \
         WHERE {bucket} >= ?1 AND {bucket} < ?2 AND (?3 IS NULL OR route = ?3) AND source_id IN ({marks})"
    );
    let mut query = sqlx::query_as::<_, (i64, i64, bool, i64, i64, Option<Vec<u8>>)>(&sql)
        .bind(from)
        .bind(to)
        .bind(route);
    for source in sources {
        query = query.bind(source);
    }
    let mut points: std::collections::BTreeMap<i64, (i64, i64, i64, i64)> = Default::default();
    let mut response: HashMap<i64, Histogram> = HashMap::new();
    let mut bytes = 0;
    for (at, class, bot, requests, row_bytes, blob) in query.fetch_all(pool).await? {
        let point = points.entry(at).or_default();
        point.0 += requests;
        if class == 4 {
            point.1 += requests;
        }
        if class == 5 {
            point.2 += requests;
        }
        if bot {
            point.3 += requests;
        }
        bytes += row_bytes;
        if let Some(histogram) = blob.and_then(|blob| Histogram::from_blob(&blob).ok()) {
            response.entry(at).or_default().merge(&histogram);
        }
    }
    Ok(Series {
        points: points
            .into_iter()
            .map(|(at, (requests, e4, e5, bots))| (at, requests, e4, e5, bots))
            .collect(),
        response,
        bytes,
    })
}

/// Unique visitors over `[from, to)` days: the sketches merged.
pub async fn visitors(
    pool: &SqlitePool,
    sources: &[i64],
    from: i64,
    to: i64,
) -> Result<u64, AppError> {
    let marks = numbered_marks(3, sources.len());
    let sql = format!(
        "SELECT sketch FROM analytics_visitors WHERE day >= ?1 AND day < ?2 AND source_id IN ({marks})"
    );
    let mut query = sqlx::query_scalar::<_, Vec<u8>>(&sql).bind(from).bind(to);
    for source in sources {
        query = query.bind(source);
    }
    let mut merged = Visitors::default();
    for blob in query.fetch_all(pool).await? {
        if let Ok(sketch) = Visitors::from_blob(&blob) {
            merged.merge(&sketch);
        }
    }
    Ok(merged.estimate())
}

/// Lines read and rejected per source, with recent samples.
pub async fn reject_summary(
    pool: &SqlitePool,
    source_id: i64,
) -> Result<(i64, i64, Vec<RejectSample>), AppError> {
    let (lines, rejected): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(lines), 0), coalesce(sum(rejected), 0) FROM log_files WHERE source_id = ?",
    )
    .bind(source_id)
    .fetch_one(pool)
    .await?;
    let samples: Vec<(String, String)> = sqlx::query_as(
        "SELECT reason, sample FROM log_rejects WHERE source_id = ? ORDER BY id DESC LIMIT 5",
    )
    .bind(source_id)
    .fetch_all(pool)
    .await?;
    Ok((
        lines,
        rejected,
        samples
            .into_iter()
            .map(|(reason, sample)| RejectSample { reason, sample })
            .collect(),
    ))
}

/// Promotions of the sources' services in `[from, to)`: (time, service, tag).
pub async fn deployments(
    pool: &SqlitePool,
    sources: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<(i64, String, String)>, AppError> {
    let marks = numbered_marks(3, sources.len());
    // deployments keeps milliseconds.
    let sql = format!(
        "SELECT d.promoted_at / 1000, s.name, d.tag FROM deployments d JOIN services s ON s.id = d.service_id \
         WHERE d.promoted_at >= ?1 * 1000 AND d.promoted_at < ?2 * 1000 AND d.service_id IN \
         (SELECT service_id FROM log_sources WHERE id IN ({marks})) ORDER BY d.promoted_at"
    );
    let mut query = sqlx::query_as(&sql).bind(from).bind(to);
    for source in sources {
        query = query.bind(source);
    }
    Ok(query.fetch_all(pool).await?)
}

/// The daily table for whole-day ranges, the hourly one otherwise.
fn table_for(from: i64, to: i64) -> (&'static str, &'static str) {
    if from % super::aggregate::DAY == 0 && to % super::aggregate::DAY == 0 {
        ("analytics_daily", "day")
    } else {
        ("analytics_hourly", "hour")
    }
}

/// `?N, ?N+1, …`: sqlx counts unnumbered `?` from the first argument, so lists after
/// numbered parameters are numbered too.
fn numbered_marks(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Services a source may belong to: (id, name).
pub async fn service_names(pool: &SqlitePool) -> Result<Vec<(i64, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, name FROM services ORDER BY name")
            .fetch_all(pool)
            .await?,
    )
}
