//! When scheduled work runs: the schedule expressions of caretaker's one scheduler
//! (jobs, backup plans, restore drills, log ingest), parsed and evaluated without I/O.
//!
//! # Cron
//!
//! Standard five-field cron, `minute hour day-of-month month day-of-week`, with `*`,
//! lists (`1,15`), ranges (`8-17`), steps (`*/15`, `5-50/10`, and `10/15` meaning
//! `10-59/15`), month names `JAN`–`DEC`, weekday names `SUN`–`SAT` (any case), weekday
//! numbers 0–7 where both 0 and 7 are Sunday, and the shortcuts `@hourly`, `@daily`,
//! `@midnight`, `@weekly`, `@monthly`, `@yearly` and `@annually`. Seconds fields are
//! refused: the scheduler works to the minute.
//!
//! Days follow Vixie cron: when both day fields are restricted, a day matches if
//! *either* matches (`0 0 13 * FRI` runs on every 13th and on every Friday). As in
//! Vixie cron, a day field counts as unrestricted when it is written starting with `*`,
//! so `0 0 */2 * MON` runs on Mondays that fall on odd days, not on the union.
//!
//! # Time zones and daylight saving
//!
//! Expressions are read as wall-clock times in their IANA zone. Twice a year some wall
//! times do not exist or exist twice, and the rule depends on whether the hour field
//! names a single hour (a *fixed-hour* job, like a nightly backup at `30 2 * * *`) or
//! several (an *hourly* job: `*`, a step, range or list, like `30 * * * *`):
//!
//! - **Spring forward** (02:30 on 2026-03-29 in Europe/Berlin does not exist): a
//!   fixed-hour job still runs once that day, at the first instant after the gap
//!   (03:00 local), as Vixie cron and systemd do for jobs inside the gap. An hourly job
//!   simply has no 02:30 that day; it keeps running every real hour around the gap.
//! - **Fall back** (02:30 on 2026-10-25 in Europe/Berlin happens twice): a fixed-hour
//!   job runs once, at the first occurrence. An hourly job runs at both occurrences, so
//!   it still runs every real hour.
//!
//! Several wall times falling into one gap (`*/15 2 * * *`) become a single run.

use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// When something runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// A cron expression evaluated in a time zone.
    Cron {
        /// The expression as written (trimmed), e.g. `15 * * * *` or `@daily`.
        expression: String,
        /// IANA zone name, e.g. `Europe/Berlin`, or `UTC`.
        zone: String,
    },
    /// Once when caretaker starts.
    #[serde(rename = "startup")]
    AtStartup,
    /// Once when caretaker is asked to stop (SIGTERM / Ctrl-C), before it exits.
    #[serde(rename = "shutdown")]
    BeforeShutdown,
    /// Only when someone clicks "run now".
    Manual,
}

/// Ends every cron error so the form tells people what to write instead.
const CRON_HINT: &str = "Write five fields: minute hour day-of-month month day-of-week, \
                         for example 15 * * * * (every hour at :15).";

impl Schedule {
    /// Reads a schedule from the form's three inputs. `kind` is `cron`, `startup`,
    /// `shutdown` or `manual`; `expression` and `zone` matter only for `cron`.
    pub fn parse(kind: &str, expression: &str, zone: &str) -> Result<Schedule, String> {
        match kind.trim() {
            "cron" => {
                let expression = expression.trim();
                CronExpression::parse(expression).map_err(|problem| match problem {
                    CronProblem::Empty => format!("Schedule: the cron expression is empty. {CRON_HINT}"),
                    CronProblem::Invalid(reason) => format!(
                        "Schedule: “{expression}” is not a cron expression: {reason}. {CRON_HINT}"
                    ),
                })?;
                let zone = parse_zone(zone)?;
                Ok(Schedule::Cron {
                    expression: expression.to_string(),
                    zone: zone.name().to_string(),
                })
            }
            "startup" => Ok(Schedule::AtStartup),
            "shutdown" => Ok(Schedule::BeforeShutdown),
            "manual" => Ok(Schedule::Manual),
            other => Err(format!(
                "Schedule: “{other}” is not a kind of schedule; choose cron, startup, shutdown or manual."
            )),
        }
    }

    /// The `kind` that [`Schedule::parse`] takes back, for storing a schedule as
    /// kind, expression and zone.
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::Cron { .. } => "cron",
            Schedule::AtStartup => "startup",
            Schedule::BeforeShutdown => "shutdown",
            Schedule::Manual => "manual",
        }
    }

    /// The first run strictly after `after` (None for non-cron kinds or an expression that never fires).
    ///
    /// Also None for a cron schedule that does not parse, which only a hand-edited or
    /// older stored schedule can be: [`Schedule::parse`] checks both fields.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (cron, zone) = self.compiled()?;
        cron.next_after(zone, after)
    }

    /// The next `count` runs after `after`, for the form's "next five runs" check.
    pub fn upcoming(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        let Some((cron, zone)) = self.compiled() else {
            return Vec::new();
        };
        let mut runs = Vec::with_capacity(count.min(64));
        let mut cursor = after;
        while runs.len() < count {
            let Some(run) = cron.next_after(zone, cursor) else {
                break;
            };
            runs.push(run);
            cursor = run;
        }
        runs
    }

    /// Runs that were due in (from, to]: for catch-up after downtime. Bounded: at most `limit`.
    ///
    /// Oldest first; when there were more than `limit`, the oldest `limit` are returned,
    /// so a result of exactly `limit` runs means there may be more.
    pub fn missed_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let Some((cron, zone)) = self.compiled() else {
            return Vec::new();
        };
        let mut runs = Vec::new();
        let mut cursor = from;
        while runs.len() < limit {
            match cron.next_after(zone, cursor) {
                Some(run) if run <= to => {
                    runs.push(run);
                    cursor = run;
                }
                _ => break,
            }
        }
        runs
    }

    /// A short English description for pages: "every hour at :15", "at 03:30 every day (Europe/Berlin)", or the expression itself when no simple wording fits.
    ///
    /// Wordings that name an hour or a day carry the zone; minute-only wordings do not,
    /// since "every hour at :15" reads the same on any clock.
    pub fn describe(&self) -> String {
        match self {
            Schedule::AtStartup => "when caretaker starts".to_string(),
            Schedule::BeforeShutdown => "when caretaker stops".to_string(),
            Schedule::Manual => "only when run by hand".to_string(),
            Schedule::Cron { expression, zone } => match CronExpression::parse(expression) {
                Ok(cron) => match cron.wording() {
                    Wording::MinutesOnly(text) => text,
                    Wording::WithTimeOfDay(text) => format!("{text} ({zone})"),
                    Wording::None => format!("{expression} ({zone})"),
                },
                Err(_) => format!("{expression} ({zone})"),
            },
        }
    }

    fn compiled(&self) -> Option<(CronExpression, Tz)> {
        let Schedule::Cron { expression, zone } = self else {
            return None;
        };
        let cron = CronExpression::parse(expression).ok()?;
        let zone = Tz::from_str(zone).ok()?;
        Some((cron, zone))
    }
}

fn parse_zone(zone: &str) -> Result<Tz, String> {
    let zone = zone.trim();
    if zone.is_empty() {
        return Err(
            "Time zone: a time zone is needed; use a name such as Europe/Berlin or UTC."
                .to_string(),
        );
    }
    Tz::from_str(zone).map_err(|_| {
        format!("Time zone: “{zone}” is not a time zone; use a name such as Europe/Berlin or UTC.")
    })
}

/// How far apart, in wall-clock time, two runs can be whose order flips in real time.
/// Real zones shift by at most two hours at once; three leaves a margin.
const FOLD_WINDOW: Duration = Duration::hours(3);

/// Every calendar pattern repeats within 400 Gregorian years, so an expression that has
/// not fired by then never will ("0 0 30 2 *").
const SEARCH_YEARS: i32 = 401;

/// One of the five fields: its name in messages, its range and its names.
struct FieldKind {
    name: &'static str,
    min: u32,
    max: u32,
    /// The largest step that can reach a second value.
    max_step: u32,
    /// Names for values `name_base`, `name_base + 1`, …
    names: &'static [&'static str],
    name_base: u32,
    /// How to write a value, for "is not a …" messages.
    accepted: &'static str,
}

const MINUTE: FieldKind = FieldKind {
    name: "minute",
    min: 0,
    max: 59,
    max_step: 59,
    names: &[],
    name_base: 0,
    accepted: "a number from 0 to 59",
};
const HOUR: FieldKind = FieldKind {
    name: "hour",
    min: 0,
    max: 23,
    max_step: 23,
    names: &[],
    name_base: 0,
    accepted: "a number from 0 to 23",
};
const DAY_OF_MONTH: FieldKind = FieldKind {
    name: "day-of-month",
    min: 1,
    max: 31,
    max_step: 30,
    names: &[],
    name_base: 1,
    accepted: "a number from 1 to 31",
};
const MONTH: FieldKind = FieldKind {
    name: "month",
    min: 1,
    max: 12,
    max_step: 11,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    name_base: 1,
    accepted: "a number from 1 to 12 or a name from JAN to DEC",
};
const DAY_OF_WEEK: FieldKind = FieldKind {
    name: "day-of-week",
    min: 0,
    max: 7,
    max_step: 6,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    name_base: 0,
    accepted: "a number from 0 to 7 (0 and 7 are Sunday) or a name from SUN to SAT",
};

const ALL_MINUTES: u64 = (1 << 60) - 1;
const ALL_HOURS: u64 = (1 << 24) - 1;
const ALL_DAYS_OF_MONTH: u64 = ((1 << 32) - 1) & !1;
const ALL_MONTHS: u64 = ((1 << 13) - 1) & !1;
const ALL_DAYS_OF_WEEK: u64 = (1 << 7) - 1;

enum CronProblem {
    Empty,
    /// The middle of the error sentence: what is wrong.
    Invalid(String),
}

/// A parsed cron expression: one bit per allowed value of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CronExpression {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    /// Sunday is bit 0; a written 7 is folded into it.
    days_of_week: u64,
    /// Vixie cron's "written starting with `*`", which switches the OR rule off.
    day_of_month_starred: bool,
    day_of_week_starred: bool,
}

impl CronExpression {
    fn parse(expression: &str) -> Result<CronExpression, CronProblem> {
        let expression = expression.trim();
        if expression.is_empty() {
            return Err(CronProblem::Empty);
        }
        let expanded = if expression.starts_with('@') {
            expand_shortcut(expression).map_err(CronProblem::Invalid)?
        } else {
            expression
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        match fields.len() {
            5 => {}
            6 => {
                return Err(CronProblem::Invalid(
                    "it has six fields, and caretaker schedules to the minute, not the second; \
                     leave out the seconds field"
                        .to_string(),
                ))
            }
            count => {
                return Err(CronProblem::Invalid(format!(
                    "it has {count} {}, not five",
                    if count == 1 { "field" } else { "fields" }
                )))
            }
        }
        let parse =
            |text: &str, kind: &FieldKind| parse_field(text, kind).map_err(CronProblem::Invalid);
        let mut days_of_week = parse(fields[4], &DAY_OF_WEEK)?;
        if days_of_week & (1 << 7) != 0 {
            days_of_week = (days_of_week & !(1 << 7)) | 1;
        }
        Ok(CronExpression {
            minutes: parse(fields[0], &MINUTE)?,
            hours: parse(fields[1], &HOUR)?,
            days_of_month: parse(fields[2], &DAY_OF_MONTH)?,
            months: parse(fields[3], &MONTH)?,
            days_of_week,
            day_of_month_starred: fields[2].starts_with('*'),
            day_of_week_starred: fields[4].starts_with('*'),
        })
    }

    /// A job whose hour field names one hour runs once per day even across daylight
    /// saving changes; one with several hours follows real time (see the module doc).
    fn runs_at_fixed_hour(&self) -> bool {
        self.hours.count_ones() == 1
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let by_day_of_month = has(self.days_of_month, date.day());
        let by_day_of_week = has(self.days_of_week, date.weekday().num_days_from_sunday());
        if self.day_of_month_starred || self.day_of_week_starred {
            by_day_of_month && by_day_of_week
        } else {
            by_day_of_month || by_day_of_week
        }
    }

    /// The first matching wall-clock minute at or after `from`, skipping whole months,
    /// days and hours that cannot match, so rare dates ("0 0 29 2 *") cost little.
    fn next_wall_time(&self, from: NaiveDateTime, last_year: i32) -> Option<NaiveDateTime> {
        let mut date = from.date();
        let mut hour = from.hour();
        let mut minute = from.minute();
        loop {
            if date.year() > last_year {
                return None;
            }
            if !has(self.months, date.month()) {
                date = first_of_next_month(date)?;
                (hour, minute) = (0, 0);
                continue;
            }
            if !self.day_matches(date) {
                date = date.succ_opt()?;
                (hour, minute) = (0, 0);
                continue;
            }
            if let Some(matching_hour) = next_member(self.hours, hour) {
                let first_minute = if matching_hour == hour { minute } else { 0 };
                if let Some(matching_minute) = next_member(self.minutes, first_minute) {
                    return date.and_hms_opt(matching_hour, matching_minute, 0);
                }
                if matching_hour < 23 {
                    (hour, minute) = (matching_hour + 1, 0);
                    continue;
                }
            }
            date = date.succ_opt()?;
            (hour, minute) = (0, 0);
        }
    }

    /// The real instants at which one matching wall time runs, under the daylight
    /// saving rules of the module doc.
    fn runs_at(&self, zone: Tz, wall: NaiveDateTime) -> Vec<DateTime<Utc>> {
        match zone.from_local_datetime(&wall) {
            LocalResult::Single(run) => vec![run.to_utc()],
            LocalResult::Ambiguous(first, second) => {
                if self.runs_at_fixed_hour() {
                    vec![first.to_utc()]
                } else {
                    vec![first.to_utc(), second.to_utc()]
                }
            }
            LocalResult::None => {
                if self.runs_at_fixed_hour() {
                    first_instant_after_gap(zone, wall).into_iter().collect()
                } else {
                    Vec::new()
                }
            }
        }
    }

    fn next_after(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local_after = after.with_timezone(&zone).naive_local();
        // Start early: during a fall-back hour the second occurrence of a wall time
        // already passed on the clock can still lie ahead in real time.
        let start = local_after.checked_sub_signed(FOLD_WINDOW)?;
        let mut from = start.with_second(0)?.with_nanosecond(0)?;
        let last_year = local_after.year().checked_add(SEARCH_YEARS)?;
        let mut earliest: Option<DateTime<Utc>> = None;
        let mut scan_until: Option<NaiveDateTime> = None;
        while let Some(wall) = self.next_wall_time(from, last_year) {
            if scan_until.is_some_and(|limit| wall > limit) {
                break;
            }
            for run in self.runs_at(zone, wall) {
                if run > after && earliest.is_none_or(|best| run < best) {
                    earliest = Some(run);
                }
            }
            // Wall times and real times run in the same order except within a fold,
            // so once a run is found only a fold's width further can beat it.
            if earliest.is_some() && scan_until.is_none() {
                scan_until = wall.checked_add_signed(FOLD_WINDOW);
            }
            let Some(next_minute) = wall.checked_add_signed(Duration::minutes(1)) else {
                break;
            };
            from = next_minute;
        }
        earliest
    }

    fn wording(&self) -> Wording {
        let every_day = self.months == ALL_MONTHS
            && self.days_of_month == ALL_DAYS_OF_MONTH
            && self.days_of_week == ALL_DAYS_OF_WEEK;
        let single_minute = single_member(self.minutes);
        let single_hour = single_member(self.hours);

        if self.hours == ALL_HOURS && every_day {
            if self.minutes == ALL_MINUTES {
                return Wording::MinutesOnly("every minute".to_string());
            }
            if let Some(minute) = single_minute {
                return Wording::MinutesOnly(format!("every hour at :{minute:02}"));
            }
            if let Some(step) = even_step_from_zero(self.minutes) {
                return Wording::MinutesOnly(format!("every {step} minutes"));
            }
            return Wording::None;
        }

        let (Some(minute), Some(hour)) = (single_minute, single_hour) else {
            return Wording::None;
        };
        let time = format!("at {hour:02}:{minute:02}");
        if every_day {
            return Wording::WithTimeOfDay(format!("{time} every day"));
        }
        let every_day_of_month = self.days_of_month == ALL_DAYS_OF_MONTH;
        let every_day_of_week = self.days_of_week == ALL_DAYS_OF_WEEK;
        let every_month = self.months == ALL_MONTHS;
        if every_month && every_day_of_month && !every_day_of_week {
            return Wording::WithTimeOfDay(format!(
                "{time} {}",
                weekdays_phrase(self.days_of_week)
            ));
        }
        if every_day_of_week && !every_day_of_month {
            let Some(day) = single_member(self.days_of_month) else {
                return Wording::None;
            };
            if every_month {
                return Wording::WithTimeOfDay(format!(
                    "{time} on the {} of every month",
                    ordinal(day)
                ));
            }
            if let Some(month) = single_member(self.months) {
                return Wording::WithTimeOfDay(format!(
                    "{time} on {day} {} every year",
                    MONTH_NAMES[month as usize - 1]
                ));
            }
        }
        Wording::None
    }
}

enum Wording {
    /// Does not depend on the zone.
    MinutesOnly(String),
    /// Names an hour or a day, so the zone goes with it.
    WithTimeOfDay(String),
    /// No simple wording: show the expression.
    None,
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weekdays_phrase(days_of_week: u64) -> String {
    const MONDAY_TO_FRIDAY: u64 = 0b011_1110;
    if days_of_week == MONDAY_TO_FRIDAY {
        return "Monday to Friday".to_string();
    }
    // Monday first, as people list a week.
    let names: Vec<&str> = [1, 2, 3, 4, 5, 6, 0]
        .into_iter()
        .filter(|&day| has(days_of_week, day))
        .map(|day| WEEKDAY_NAMES_FROM_SUNDAY[day as usize])
        .collect();
    match names.as_slice() {
        [only] => format!("every {only}"),
        [rest @ .., last] => format!("on {} and {last}", rest.join(", ")),
        [] => String::new(),
    }
}

const WEEKDAY_NAMES_FROM_SUNDAY: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// `*/n` over minutes, when n divides the hour evenly (so "every n minutes" is true).
fn even_step_from_zero(minutes: u64) -> Option<u32> {
    let second = next_member(minutes, 1)?;
    if 60 % second != 0 {
        return None;
    }
    let expected = (0..60)
        .step_by(second as usize)
        .fold(0u64, |set, m| set | 1 << m);
    (minutes == expected).then_some(second)
}

fn expand_shortcut(shortcut: &str) -> Result<&'static str, String> {
    match shortcut.to_ascii_lowercase().as_str() {
        "@hourly" => Ok("0 * * * *"),
        "@daily" | "@midnight" => Ok("0 0 * * *"),
        "@weekly" => Ok("0 0 * * 0"),
        "@monthly" => Ok("0 0 1 * *"),
        "@yearly" | "@annually" => Ok("0 0 1 1 *"),
        "@reboot" => Err(
            "@reboot is not a cron schedule here; choose the “startup” kind instead".to_string(),
        ),
        _ => Err(format!(
            "“{shortcut}” is not a known shortcut; use @hourly, @daily, @midnight, @weekly, \
             @monthly, @yearly or @annually"
        )),
    }
}

/// One field: a comma-separated list of `*`, values and ranges, each with an optional step.
fn parse_field(text: &str, kind: &FieldKind) -> Result<u64, String> {
    let mut allowed = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(format!(
                "the {} field “{text}” has an empty item between commas",
                kind.name
            ));
        }
        allowed |= parse_item(item, kind)?;
    }
    Ok(allowed)
}

fn parse_item(item: &str, kind: &FieldKind) -> Result<u64, String> {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(parse_step(step, item, kind)?)),
        None => (item, None),
    };
    let (low, high) = if range == "*" {
        (kind.min, kind.max)
    } else if let Some((low, high)) = range.split_once('-') {
        let (low, high) = (
            parse_value(low, item, kind)?,
            parse_value(high, item, kind)?,
        );
        if low > high {
            return Err(format!(
                "the {} range “{range}” runs backwards; write the smaller value first",
                kind.name
            ));
        }
        (low, high)
    } else {
        let value = parse_value(range, item, kind)?;
        // "10/15" is read as "10-59/15", as most crons do.
        (value, if step.is_some() { kind.max } else { value })
    };
    let step = step.unwrap_or(1) as usize;
    Ok((low..=high)
        .step_by(step)
        .fold(0u64, |set, value| set | 1 << value))
}

fn parse_step(step: &str, item: &str, kind: &FieldKind) -> Result<u32, String> {
    let valid = is_plain_number(step)
        .then(|| step.parse::<u32>().ok())
        .flatten()
        .filter(|step| (1..=kind.max_step).contains(step));
    valid.ok_or_else(|| {
        format!(
            "the step in “{item}” must be a whole number from 1 to {} in the {} field",
            kind.max_step, kind.name
        )
    })
}

/// A number or, in the month and day-of-week fields, a name. `item` is the whole list
/// item, shown when `text` alone would say nothing (as in "-5").
fn parse_value(text: &str, item: &str, kind: &FieldKind) -> Result<u32, String> {
    if is_plain_number(text) {
        return match text.parse::<u32>() {
            Ok(value) if (kind.min..=kind.max).contains(&value) => Ok(value),
            _ => Err(format!(
                "{} {text} is out of range {}–{}",
                kind.name, kind.min, kind.max
            )),
        };
    }
    let upper = text.to_ascii_uppercase();
    if let Some(index) = kind.names.iter().position(|name| *name == upper) {
        return Ok(kind.name_base + index as u32);
    }
    let shown = if text.is_empty() { item } else { text };
    Err(format!("{} “{shown}” is not {}", kind.name, kind.accepted))
}

fn is_plain_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn has(set: u64, value: u32) -> bool {
    value < 64 && set & (1 << value) != 0
}

/// The smallest member of `set` that is at least `from`.
fn next_member(set: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let remaining = set & (u64::MAX << from);
    (remaining != 0).then(|| remaining.trailing_zeros())
}

fn single_member(set: u64) -> Option<u32> {
    (set.count_ones() == 1).then(|| set.trailing_zeros())
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    if date.month() == 12 {
        NaiveDate::from_ymd_opt(date.year().checked_add(1)?, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
    }
}

/// The instant a daylight-saving gap ends, for a wall time inside it: the first
/// instant whose wall time is not earlier than `wall`.
fn first_instant_after_gap(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    // No zone is more than 14 hours from UTC, so these bracket the transition.
    let as_if_utc = wall.and_utc().timestamp();
    let mut before = as_if_utc - 26 * 3600;
    let mut after = as_if_utc + 26 * 3600;
    let reached = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0)
            .is_some_and(|instant| instant.with_timezone(&zone).naive_local() >= wall)
    };
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if reached(middle) {
            after = middle;
        } else {
            before = middle;
        }
    }
    DateTime::from_timestamp(after, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|error| panic!("test instant {text}: {error}"))
            .to_utc()
    }

    fn cron(expression: &str, zone: &str) -> Schedule {
        Schedule::parse("cron", expression, zone)
            .unwrap_or_else(|error| panic!("{expression} in {zone}: {error}"))
    }

    fn assert_runs(schedule: &Schedule, after: &str, expected: &[&str]) {
        let runs = schedule.upcoming(at(after), expected.len());
        let expected: Vec<DateTime<Utc>> = expected.iter().map(|text| at(text)).collect();
        assert_eq!(runs, expected, "{schedule:?} after {after}");
    }

    fn error_of(expression: &str) -> String {
        Schedule::parse("cron", expression, "UTC").expect_err(expression)
    }

    #[test]
    fn every_hour_at_a_minute() {
        assert_runs(
            &cron("15 * * * *", "UTC"),
            "2026-11-22T10:20:00Z",
            &[
                "2026-11-22T11:15:00Z",
                "2026-11-22T12:15:00Z",
                "2026-11-22T13:15:00Z",
            ],
        );
    }

    #[test]
    fn next_run_is_strictly_after() {
        let schedule = cron("15 * * * *", "UTC");
        assert_eq!(
            schedule.next_after(at("2026-11-22T10:15:00Z")),
            Some(at("2026-11-22T11:15:00Z"))
        );
        assert_eq!(
            schedule.next_after(at("2026-11-22T10:14:59.5Z")),
            Some(at("2026-11-22T10:15:00Z"))
        );
    }

    #[test]
    fn leap_day_only() {
        assert_runs(
            &cron("0 0 29 2 *", "UTC"),
            "2026-03-01T00:00:00Z",
            &["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"],
        );
    }

    #[test]
    fn expression_that_never_fires() {
        let schedule = cron("0 0 30 2 *", "UTC");
        assert_eq!(schedule.next_after(at("2026-01-01T00:00:00Z")), None);
        assert!(schedule.upcoming(at("2026-01-01T00:00:00Z"), 5).is_empty());
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        // 2026-11-20 is a Friday.
        assert_runs(
            &cron("0 9 * * MON-FRI", "UTC"),
            "2026-11-20T10:00:00Z",
            &["2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z"],
        );
        assert_runs(
            &cron("0 9 * * 1-5", "UTC"),
            "2026-11-20T08:00:00Z",
            &["2026-11-20T09:00:00Z", "2026-11-23T09:00:00Z"],
        );
    }

    #[test]
    fn sunday_is_zero_and_seven() {
        // 2026-11-22 and 2026-11-29 are Sundays.
        for expression in ["0 12 * * 0", "0 12 * * 7", "0 12 * * sun", "0 12 * * 6-7"] {
            let runs = cron(expression, "UTC").upcoming(at("2026-11-21T13:00:00Z"), 2);
            assert_eq!(runs[0], at("2026-11-22T12:00:00Z"), "{expression}");
        }
        assert_runs(
            &cron("0 12 * * 6-7", "UTC"),
            "2026-11-20T13:00:00Z",
            &[
                "2026-11-21T12:00:00Z",
                "2026-11-22T12:00:00Z",
                "2026-11-28T12:00:00Z",
            ],
        );
    }

    #[test]
    fn day_fields_or_when_both_restricted() {
        // Fridays in November 2026: 6, 13, 20, 27; the 13th is itself a Friday.
        assert_runs(
            &cron("0 0 13 * FRI", "UTC"),
            "2026-11-01T00:00:00Z",
            &[
                "2026-11-06T00:00:00Z",
                "2026-11-13T00:00:00Z",
                "2026-11-20T00:00:00Z",
                "2026-11-27T00:00:00Z",
                "2026-12-04T00:00:00Z",
                "2026-12-11T00:00:00Z",
                "2026-12-13T00:00:00Z",
                "2026-12-18T00:00:00Z",
            ],
        );
    }

    #[test]
    fn day_fields_and_when_one_is_starred() {
        // Vixie: a field written starting with `*` is "unrestricted", so both must match.
        // Mondays in November 2026: 2, 9, 16, 23, 30; the odd ones are 9 and 23.
        assert_runs(
            &cron("0 0 */2 * MON", "UTC"),
            "2026-11-01T00:00:00Z",
            &["2026-11-09T00:00:00Z", "2026-11-23T00:00:00Z"],
        );
    }

    #[test]
    fn steps_within_a_range_of_hours() {
        assert_runs(
            &cron("*/20 8-9 * * *", "UTC"),
            "2026-11-22T07:59:00Z",
            &[
                "2026-11-22T08:00:00Z",
                "2026-11-22T08:20:00Z",
                "2026-11-22T08:40:00Z",
                "2026-11-22T09:00:00Z",
                "2026-11-22T09:20:00Z",
                "2026-11-22T09:40:00Z",
                "2026-11-23T08:00:00Z",
            ],
        );
    }

    #[test]
    fn stepped_ranges_lists_and_month_names() {
        assert_runs(
            &cron("5-50/15 1,13 * * *", "UTC"),
            "2026-11-22T00:00:00Z",
            &[
                "2026-11-22T01:05:00Z",
                "2026-11-22T01:20:00Z",
                "2026-11-22T01:35:00Z",
                "2026-11-22T01:50:00Z",
                "2026-11-22T13:05:00Z",
            ],
        );
        assert_runs(
            &cron("0 6 1 jan,Jul *", "UTC"),
            "2026-03-01T00:00:00Z",
            &["2026-07-01T06:00:00Z", "2027-01-01T06:00:00Z"],
        );
        assert_runs(
            &cron("50/5 0 1 1 *", "UTC"),
            "2026-03-01T00:00:00Z",
            &[
                "2027-01-01T00:50:00Z",
                "2027-01-01T00:55:00Z",
                "2028-01-01T00:50:00Z",
            ],
        );
    }

    #[test]
    fn shortcuts() {
        let after = "2026-11-22T10:20:00Z";
        assert_runs(&cron("@hourly", "UTC"), after, &["2026-11-22T11:00:00Z"]);
        assert_runs(&cron("@daily", "UTC"), after, &["2026-11-23T00:00:00Z"]);
        assert_runs(&cron("@midnight", "UTC"), after, &["2026-11-23T00:00:00Z"]);
        // 2026-11-22 is a Sunday, already past midnight.
        assert_runs(&cron("@weekly", "UTC"), after, &["2026-11-29T00:00:00Z"]);
        assert_runs(&cron("@monthly", "UTC"), after, &["2026-12-01T00:00:00Z"]);
        assert_runs(&cron("@yearly", "UTC"), after, &["2027-01-01T00:00:00Z"]);
        assert_runs(&cron("@ANNUALLY", "UTC"), after, &["2027-01-01T00:00:00Z"]);
    }

    #[test]
    fn berlin_spring_forward_fixed_hour_runs_once_after_the_gap() {
        // 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist.
        assert_runs(
            &cron("30 2 * * *", "Europe/Berlin"),
            "2026-03-28T00:00:00Z",
            &[
                "2026-03-28T01:30:00Z", // 02:30 CET
                "2026-03-29T01:00:00Z", // 03:00 CEST, the first instant after the gap
                "2026-03-30T00:30:00Z", // 02:30 CEST
            ],
        );
        // Four wall times inside the gap collapse into one run.
        assert_runs(
            &cron("*/15 2 * * *", "Europe/Berlin"),
            "2026-03-28T01:50:00Z",
            &["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"],
        );
    }

    #[test]
    fn berlin_spring_forward_hourly_skips_the_missing_hour() {
        assert_runs(
            &cron("30 * * * *", "Europe/Berlin"),
            "2026-03-28T23:00:00Z", // 00:00 CET on the 29th
            &[
                "2026-03-28T23:30:00Z", // 00:30 CET
                "2026-03-29T00:30:00Z", // 01:30 CET
                "2026-03-29T01:30:00Z", // 03:30 CEST; there is no 02:30
                "2026-03-29T02:30:00Z", // 04:30 CEST
            ],
        );
    }

    #[test]
    fn berlin_fall_back_fixed_hour_runs_at_the_first_occurrence() {
        // 2026-10-25 01:00Z: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
        assert_runs(
            &cron("30 2 * * *", "Europe/Berlin"),
            "2026-10-24T00:00:00Z",
            &[
                "2026-10-24T00:30:00Z", // 02:30 CEST
                "2026-10-25T00:30:00Z", // 02:30 CEST, the first of the two
                "2026-10-26T01:30:00Z", // 02:30 CET
            ],
        );
        // Between the two occurrences the second one is not a run.
        assert_eq!(
            cron("30 2 * * *", "Europe/Berlin").next_after(at("2026-10-25T00:40:00Z")),
            Some(at("2026-10-26T01:30:00Z"))
        );
    }

    #[test]
    fn berlin_fall_back_hourly_runs_at_both_occurrences() {
        assert_runs(
            &cron("30 * * * *", "Europe/Berlin"),
            "2026-10-24T22:00:00Z", // 00:00 CEST on the 25th
            &[
                "2026-10-24T22:30:00Z", // 00:30 CEST
                "2026-10-24T23:30:00Z", // 01:30 CEST
                "2026-10-25T00:30:00Z", // 02:30 CEST
                "2026-10-25T01:30:00Z", // 02:30 CET
                "2026-10-25T02:30:00Z", // 03:30 CET
            ],
        );
        // From inside the first 02:xx, the clock shows 02:40 but the second 02:30 is
        // still ahead in real time.
        assert_eq!(
            cron("30 * * * *", "Europe/Berlin").next_after(at("2026-10-25T00:40:00Z")),
            Some(at("2026-10-25T01:30:00Z"))
        );
    }

    #[test]
    fn new_york_spring_forward() {
        // 2026-03-08 07:00Z: 02:00 EST becomes 03:00 EDT.
        assert_runs(
            &cron("30 2 * * *", "America/New_York"),
            "2026-03-07T00:00:00Z",
            &[
                "2026-03-07T07:30:00Z", // 02:30 EST
                "2026-03-08T07:00:00Z", // 03:00 EDT
                "2026-03-09T06:30:00Z", // 02:30 EDT
            ],
        );
        assert_runs(
            &cron("30 * * * *", "America/New_York"),
            "2026-03-08T05:00:00Z", // 00:00 EST
            &[
                "2026-03-08T05:30:00Z", // 00:30 EST
                "2026-03-08T06:30:00Z", // 01:30 EST
                "2026-03-08T07:30:00Z", // 03:30 EDT
                "2026-03-08T08:30:00Z", // 04:30 EDT
            ],
        );
    }

    #[test]
    fn new_york_fall_back() {
        // 2026-11-01 06:00Z: 02:00 EDT becomes 01:00 EST, so 01:30 happens twice.
        assert_runs(
            &cron("30 1 * * *", "America/New_York"),
            "2026-10-31T00:00:00Z",
            &[
                "2026-10-31T05:30:00Z", // 01:30 EDT
                "2026-11-01T05:30:00Z", // 01:30 EDT, the first of the two
                "2026-11-02T06:30:00Z", // 01:30 EST
            ],
        );
        assert_runs(
            &cron("30 * * * *", "America/New_York"),
            "2026-11-01T04:00:00Z", // 00:00 EDT
            &[
                "2026-11-01T04:30:00Z", // 00:30 EDT
                "2026-11-01T05:30:00Z", // 01:30 EDT
                "2026-11-01T06:30:00Z", // 01:30 EST
                "2026-11-01T07:30:00Z", // 02:30 EST
            ],
        );
    }

    #[test]
    fn zone_ahead_of_utc_across_midnight_utc() {
        // Tokyo is UTC+9 all year: 00:30 JST is 15:30Z the day before.
        assert_runs(
            &cron("30 0 * * *", "Asia/Tokyo"),
            "2026-11-22T12:00:00Z",
            &["2026-11-22T15:30:00Z", "2026-11-23T15:30:00Z"],
        );
        // Monday 08:00 JST is Sunday 23:00Z; 2026-11-23 is a Monday.
        assert_runs(
            &cron("0 8 * * MON", "Asia/Tokyo"),
            "2026-11-20T00:00:00Z",
            &["2026-11-22T23:00:00Z", "2026-11-29T23:00:00Z"],
        );
    }

    #[test]
    fn missed_runs_are_bounded_and_exclusive_of_the_start() {
        let hourly = cron("0 * * * *", "UTC");
        assert_eq!(
            hourly.missed_between(at("2026-11-22T00:00:00Z"), at("2026-11-22T10:00:00Z"), 3),
            vec![
                at("2026-11-22T01:00:00Z"),
                at("2026-11-22T02:00:00Z"),
                at("2026-11-22T03:00:00Z"),
            ]
        );
        assert_eq!(
            hourly.missed_between(at("2026-11-22T00:00:00Z"), at("2026-11-22T03:00:00Z"), 10),
            vec![
                at("2026-11-22T01:00:00Z"),
                at("2026-11-22T02:00:00Z"),
                at("2026-11-22T03:00:00Z"),
            ]
        );
        assert!(hourly
            .missed_between(at("2026-11-22T00:00:00Z"), at("2026-11-22T00:59:00Z"), 10)
            .is_empty());
        assert!(hourly
            .missed_between(at("2026-11-22T00:00:00Z"), at("2026-11-22T10:00:00Z"), 0)
            .is_empty());
    }

    #[test]
    fn non_cron_kinds_never_come_due() {
        for kind in ["startup", "shutdown", "manual"] {
            let schedule = Schedule::parse(kind, "", "").expect(kind);
            assert_eq!(schedule.kind(), kind);
            assert_eq!(schedule.next_after(at("2026-11-22T00:00:00Z")), None);
            assert!(schedule.upcoming(at("2026-11-22T00:00:00Z"), 5).is_empty());
            assert!(schedule
                .missed_between(at("2026-11-22T00:00:00Z"), at("2026-11-23T00:00:00Z"), 5)
                .is_empty());
        }
        assert_eq!(Schedule::parse("startup", "", ""), Ok(Schedule::AtStartup));
        assert_eq!(
            Schedule::parse("shutdown", "", ""),
            Ok(Schedule::BeforeShutdown)
        );
        assert_eq!(Schedule::parse("manual", "", ""), Ok(Schedule::Manual));
    }

    #[test]
    fn parse_trims_and_keeps_the_canonical_zone() {
        assert_eq!(
            Schedule::parse("cron", "  15 * * * * ", " Europe/Berlin "),
            Ok(Schedule::Cron {
                expression: "15 * * * *".to_string(),
                zone: "Europe/Berlin".to_string(),
            })
        );
    }

    #[test]
    fn serde_round_trip() {
        for schedule in [
            cron("15 * * * *", "Europe/Berlin"),
            Schedule::AtStartup,
            Schedule::BeforeShutdown,
            Schedule::Manual,
        ] {
            let json = serde_json::to_string(&schedule).expect("serializes");
            let back: Schedule = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, schedule);
        }
        assert_eq!(
            serde_json::to_string(&Schedule::AtStartup).expect("serializes"),
            r#"{"kind":"startup"}"#
        );
    }

    #[test]
    fn descriptions() {
        let cases = [
            ("15 * * * *", "UTC", "every hour at :15"),
            ("15 * * * *", "Europe/Berlin", "every hour at :15"),
            ("@hourly", "UTC", "every hour at :00"),
            ("* * * * *", "UTC", "every minute"),
            ("*/15 * * * *", "UTC", "every 15 minutes"),
            (
                "30 3 * * *",
                "Europe/Berlin",
                "at 03:30 every day (Europe/Berlin)",
            ),
            ("@daily", "UTC", "at 00:00 every day (UTC)"),
            ("0 9 * * MON-FRI", "UTC", "at 09:00 Monday to Friday (UTC)"),
            ("0 9 * * 1", "UTC", "at 09:00 every Monday (UTC)"),
            (
                "0 10 * * 0,6",
                "UTC",
                "at 10:00 on Saturday and Sunday (UTC)",
            ),
            (
                "0 9 * * 1,3,5",
                "UTC",
                "at 09:00 on Monday, Wednesday and Friday (UTC)",
            ),
            (
                "0 4 1 * *",
                "UTC",
                "at 04:00 on the 1st of every month (UTC)",
            ),
            (
                "0 4 22 * *",
                "UTC",
                "at 04:00 on the 22nd of every month (UTC)",
            ),
            (
                "0 4 12 * *",
                "UTC",
                "at 04:00 on the 12th of every month (UTC)",
            ),
            ("@yearly", "UTC", "at 00:00 on 1 January every year (UTC)"),
            (
                "0 0 13 * FRI",
                "Europe/Berlin",
                "0 0 13 * FRI (Europe/Berlin)",
            ),
            ("*/7 * * * *", "UTC", "*/7 * * * * (UTC)"),
        ];
        for (expression, zone, expected) in cases {
            assert_eq!(cron(expression, zone).describe(), expected, "{expression}");
        }
        assert_eq!(Schedule::AtStartup.describe(), "when caretaker starts");
        assert_eq!(Schedule::BeforeShutdown.describe(), "when caretaker stops");
        assert_eq!(Schedule::Manual.describe(), "only when run by hand");
    }

    const HINT: &str = "Write five fields: minute hour day-of-month month day-of-week, for example 15 * * * * (every hour at :15).";

    #[test]
    fn error_out_of_range() {
        assert_eq!(
            error_of("61 * * * *"),
            format!("Schedule: “61 * * * *” is not a cron expression: minute 61 is out of range 0–59. {HINT}")
        );
        assert_eq!(
            error_of("0 24 * * *"),
            format!("Schedule: “0 24 * * *” is not a cron expression: hour 24 is out of range 0–23. {HINT}")
        );
        assert_eq!(
            error_of("0 0 0 * *"),
            format!("Schedule: “0 0 0 * *” is not a cron expression: day-of-month 0 is out of range 1–31. {HINT}")
        );
        assert_eq!(
            error_of("0 0 1 13 *"),
            format!("Schedule: “0 0 1 13 *” is not a cron expression: month 13 is out of range 1–12. {HINT}")
        );
        assert_eq!(
            error_of("0 0 * * 8"),
            format!("Schedule: “0 0 * * 8” is not a cron expression: day-of-week 8 is out of range 0–7. {HINT}")
        );
        assert_eq!(
            error_of("0 0-99999999999 * * *"),
            format!("Schedule: “0 0-99999999999 * * *” is not a cron expression: hour 99999999999 is out of range 0–23. {HINT}")
        );
    }

    #[test]
    fn error_backwards_range() {
        assert_eq!(
            error_of("0 5-3 * * *"),
            format!("Schedule: “0 5-3 * * *” is not a cron expression: the hour range “5-3” runs backwards; write the smaller value first. {HINT}")
        );
    }

    #[test]
    fn error_bad_step() {
        assert_eq!(
            error_of("*/0 * * * *"),
            format!("Schedule: “*/0 * * * *” is not a cron expression: the step in “*/0” must be a whole number from 1 to 59 in the minute field. {HINT}")
        );
        assert_eq!(
            error_of("0 */x * * *"),
            format!("Schedule: “0 */x * * *” is not a cron expression: the step in “*/x” must be a whole number from 1 to 23 in the hour field. {HINT}")
        );
        assert_eq!(
            error_of("0 0 1 */12 *"),
            format!("Schedule: “0 0 1 */12 *” is not a cron expression: the step in “*/12” must be a whole number from 1 to 11 in the month field. {HINT}")
        );
        assert_eq!(
            error_of("*/ * * * *"),
            format!("Schedule: “*/ * * * *” is not a cron expression: the step in “*/” must be a whole number from 1 to 59 in the minute field. {HINT}")
        );
    }

    #[test]
    fn error_unknown_name_or_not_a_number() {
        assert_eq!(
            error_of("0 0 * FOO *"),
            format!("Schedule: “0 0 * FOO *” is not a cron expression: month “FOO” is not a number from 1 to 12 or a name from JAN to DEC. {HINT}")
        );
        assert_eq!(
            error_of("0 0 * * FUN"),
            format!("Schedule: “0 0 * * FUN” is not a cron expression: day-of-week “FUN” is not a number from 0 to 7 (0 and 7 are Sunday) or a name from SUN to SAT. {HINT}")
        );
        assert_eq!(
            error_of("0 MON * * *"),
            format!("Schedule: “0 MON * * *” is not a cron expression: hour “MON” is not a number from 0 to 23. {HINT}")
        );
        assert_eq!(
            error_of("0 0 L * *"),
            format!("Schedule: “0 0 L * *” is not a cron expression: day-of-month “L” is not a number from 1 to 31. {HINT}")
        );
        assert_eq!(
            error_of("-5 * * * *"),
            format!("Schedule: “-5 * * * *” is not a cron expression: minute “-5” is not a number from 0 to 59. {HINT}")
        );
        assert_eq!(
            error_of("1,,2 * * * *"),
            format!("Schedule: “1,,2 * * * *” is not a cron expression: the minute field “1,,2” has an empty item between commas. {HINT}")
        );
    }

    #[test]
    fn error_field_count() {
        assert_eq!(
            error_of("* * * *"),
            format!(
                "Schedule: “* * * *” is not a cron expression: it has 4 fields, not five. {HINT}"
            )
        );
        assert_eq!(
            error_of("daily"),
            format!("Schedule: “daily” is not a cron expression: it has 1 field, not five. {HINT}")
        );
        assert_eq!(
            error_of("0 0 1 1 * 2027 x"),
            format!("Schedule: “0 0 1 1 * 2027 x” is not a cron expression: it has 7 fields, not five. {HINT}")
        );
    }

    #[test]
    fn error_seconds_field() {
        assert_eq!(
            error_of("0 15 * * * *"),
            format!("Schedule: “0 15 * * * *” is not a cron expression: it has six fields, and caretaker schedules to the minute, not the second; leave out the seconds field. {HINT}")
        );
    }

    #[test]
    fn error_shortcuts() {
        assert_eq!(
            error_of("@every"),
            format!("Schedule: “@every” is not a cron expression: “@every” is not a known shortcut; use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually. {HINT}")
        );
        assert_eq!(
            error_of("@reboot"),
            format!("Schedule: “@reboot” is not a cron expression: @reboot is not a cron schedule here; choose the “startup” kind instead. {HINT}")
        );
    }

    #[test]
    fn error_empty() {
        assert_eq!(
            error_of(""),
            format!("Schedule: the cron expression is empty. {HINT}")
        );
        assert_eq!(
            error_of("   "),
            format!("Schedule: the cron expression is empty. {HINT}")
        );
    }

    #[test]
    fn error_zone() {
        assert_eq!(
            Schedule::parse("cron", "15 * * * *", "Mars/Base"),
            Err("Time zone: “Mars/Base” is not a time zone; use a name such as Europe/Berlin or UTC.".to_string())
        );
        assert_eq!(
            Schedule::parse("cron", "15 * * * *", ""),
            Err(
                "Time zone: a time zone is needed; use a name such as Europe/Berlin or UTC."
                    .to_string()
            )
        );
    }

    #[test]
    fn error_kind() {
        assert_eq!(
            Schedule::parse("weekly", "", ""),
            Err("Schedule: “weekly” is not a kind of schedule; choose cron, startup, shutdown or manual.".to_string())
        );
    }
}
