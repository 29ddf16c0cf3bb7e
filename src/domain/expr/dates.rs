//! The date functions (facts §3.2, §3.4). A date is `YYYY-MM-DD` text, an RFC 3339 date-time,
//! or (where a date is expected, as in `dueDateEpochExpression`) milliseconds since the epoch.

use crate::domain::expr::EvalError;
use crate::domain::expr::coerce::{arg, type_err, whole};
use crate::domain::expr::literal::{describe, ordinal};
use chrono::{
    DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    SecondsFormat, TimeDelta, Timelike, Utc, Weekday,
};
use serde_json::Value;

/// A date as read: a calendar day, or an instant with the offset it was written in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum When {
    Day(NaiveDate),
    At(DateTime<FixedOffset>),
}

impl When {
    fn utc() -> FixedOffset {
        Utc.fix()
    }

    /// The wall-clock date and time as written (a day alone: its midnight).
    fn local(self) -> NaiveDateTime {
        match self {
            When::Day(d) => d.and_time(NaiveTime::MIN),
            When::At(t) => t.naive_local(),
        }
    }

    fn offset(self) -> FixedOffset {
        match self {
            When::Day(_) => When::utc(),
            When::At(t) => *t.offset(),
        }
    }

    /// The instant: a day alone is its midnight in UTC.
    fn instant(self) -> DateTime<FixedOffset> {
        match self {
            When::Day(d) => d.and_time(NaiveTime::MIN).and_utc().fixed_offset(),
            When::At(t) => t,
        }
    }
}

fn when_of(v: &Value) -> Option<When> {
    match v {
        Value::Number(n) => {
            let ms = n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
                    .map(|x| x as i64)
            })?;
            DateTime::from_timestamp_millis(ms).map(|t| When::At(t.fixed_offset()))
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                && s.len() == 10
            {
                return Some(When::Day(d));
            }
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Some(When::At(t));
            }
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|t| When::At(t.and_utc().fixed_offset()))
        }
        _ => None,
    }
}

/// A value read as a date-time where Wix expects one (a due date): RFC 3339 text, a date alone
/// (midnight UTC), or epoch milliseconds. `None` when it is none of these.
pub fn date_time_of(v: &Value) -> Option<DateTime<FixedOffset>> {
    when_of(v).map(When::instant)
}

fn date_arg(function: &str, args: &[Value], i: usize) -> Result<When, EvalError> {
    let v = arg(function, args, i)?;
    when_of(v).ok_or_else(|| {
        type_err(
            function,
            format!(
                "the {} argument is {}, not a date (YYYY-MM-DD, an ISO date-time with its zone, or epoch milliseconds)",
                ordinal(i),
                describe(v)
            ),
        )
    })
}

/// RFC 3339 as `addToDate` and `now()` give it: `Z` for UTC, fraction digits only when needed.
fn written(t: DateTime<FixedOffset>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// Runs `name` when it is a date function; `None` otherwise. `now` is the environment's clock.
pub(crate) fn apply(
    name: &str,
    args: &[Value],
    now: DateTime<Utc>,
) -> Option<Result<Value, EvalError>> {
    let r = match name {
        "hour" | "minute" | "year" | "month" | "day" => {
            date_arg(name, args, 0).map(|w| Value::from(part(name, w.local())))
        }
        "weekDay" => date_arg(name, args, 0).map(|w| Value::from(week_day(w.local().weekday()))),
        "dateEq" | "dateBefore" | "dateAfter" => both(name, args).map(|(a, b)| {
            let (a, b) = (a.local().date(), b.local().date());
            Value::Bool(order(name, a.cmp(&b)))
        }),
        "dateTimeEq" | "dateTimeBefore" | "dateTimeAfter" => {
            both(name, args).map(|(a, b)| Value::Bool(order(name, a.instant().cmp(&b.instant()))))
        }
        "addToDate" => shift(name, args, 1),
        "subtractFromDate" => shift(name, args, -1),
        "now" => Ok(written(now.fixed_offset())),
        _ => return None,
    };
    Some(r)
}

fn both(function: &str, args: &[Value]) -> Result<(When, When), EvalError> {
    Ok((date_arg(function, args, 0)?, date_arg(function, args, 1)?))
}

fn order(function: &str, o: std::cmp::Ordering) -> bool {
    if function.ends_with("Eq") {
        o.is_eq()
    } else if function.ends_with("Before") {
        o.is_lt()
    } else {
        o.is_gt()
    }
}

fn part(name: &str, t: NaiveDateTime) -> i64 {
    i64::from(match name {
        "hour" => t.hour(),
        "minute" => t.minute(),
        "month" => t.month(),
        "day" => t.day(),
        _ => return i64::from(t.year()),
    })
}

fn week_day(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// `addToDate(d;years;months;days)` (`sign` 1) and `subtractFromDate` (`sign` -1): years and
/// months first, clamped to the month's end (Jan 31 + 1 month = Feb 28), then days; the offset
/// is kept.
fn shift(function: &str, args: &[Value], sign: i64) -> Result<Value, EvalError> {
    let w = date_arg(function, args, 0)?;
    let years = whole(function, 1, arg(function, args, 1)?)?;
    let months = whole(function, 2, arg(function, args, 2)?)?;
    let days = whole(function, 3, arg(function, args, 3)?)?;
    let out_of_range = || type_err(function, "the date falls outside the calendar");
    let total_months = years
        .checked_mul(12)
        .and_then(|y| y.checked_add(months))
        .and_then(|m| m.checked_mul(sign))
        .ok_or_else(out_of_range)?;
    let step = Months::new(u32::try_from(total_months.unsigned_abs()).map_err(|_| out_of_range())?);
    let local = w.local();
    let moved = if total_months >= 0 {
        local.checked_add_months(step)
    } else {
        local.checked_sub_months(step)
    }
    .ok_or_else(out_of_range)?;
    let delta = days
        .checked_mul(sign)
        .and_then(TimeDelta::try_days)
        .ok_or_else(out_of_range)?;
    let moved = moved.checked_add_signed(delta).ok_or_else(out_of_range)?;
    let t = moved
        .and_local_timezone(w.offset())
        .single()
        .ok_or_else(out_of_range)?;
    Ok(written(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-05T10:30:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default()
    }
    fn run(name: &str, args: Value) -> Result<Value, EvalError> {
        let args = args.as_array().cloned().unwrap_or_default();
        apply(name, &args, now()).unwrap_or_else(|| panic!("{name} is not a date function"))
    }
    fn fails(name: &str, args: Value) -> String {
        match run(name, args) {
            Ok(v) => panic!("{name} gave {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_days_date_times_and_epoch_milliseconds() {
        assert_eq!(
            when_of(&json!("2026-12-25")),
            NaiveDate::from_ymd_opt(2026, 12, 25).map(When::Day)
        );
        let t = date_time_of(&json!("2026-12-31T23:59:00+02:00")).expect("a date-time");
        assert_eq!(t.to_rfc3339(), "2026-12-31T23:59:00+02:00");
        let e = date_time_of(&json!(18_238_348_023_423_i64)).expect("epoch ms");
        assert_eq!(e.timestamp_millis(), 18_238_348_023_423);
        let naive = date_time_of(&json!("2026-12-25T10:00:00")).expect("naive is UTC");
        assert_eq!(naive.to_rfc3339(), "2026-12-25T10:00:00+00:00");
        let day = date_time_of(&json!("2026-12-25")).expect("a day");
        assert_eq!(day.to_rfc3339(), "2026-12-25T00:00:00+00:00");
        for no in [
            json!("2026-13-01"),
            json!("tomorrow"),
            json!(""),
            json!(true),
            json!(1.5),
        ] {
            assert_eq!(date_time_of(&no), None, "{no}");
        }
    }

    #[test]
    fn parts_as_written() {
        let t = json!(["2026-12-31T23:59:00+02:00"]);
        assert_eq!(run("hour", t.clone()), Ok(json!(23)));
        assert_eq!(run("minute", t.clone()), Ok(json!(59)));
        assert_eq!(run("year", t.clone()), Ok(json!(2026)));
        assert_eq!(run("month", t.clone()), Ok(json!(12)));
        assert_eq!(run("day", t.clone()), Ok(json!(31)));
        assert_eq!(run("weekDay", t), Ok(json!("thursday")));
        assert_eq!(run("weekDay", json!(["2026-12-25"])), Ok(json!("friday")));
        assert_eq!(run("hour", json!(["2026-12-25"])), Ok(json!(0)));
    }

    #[test]
    fn date_comparisons_use_the_calendar_day() {
        assert_eq!(
            run("dateEq", json!(["2026-12-25T23:00:00-05:00", "2026-12-25"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("dateBefore", json!(["2026-12-24", "2026-12-25"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("dateAfter", json!(["2026-12-24", "2026-12-25"])),
            Ok(json!(false))
        );
        assert_eq!(
            run(
                "dateEq",
                json!(["2026-12-25T01:00:00Z", "2026-12-25T23:00:00Z"])
            ),
            Ok(json!(true))
        );
    }

    #[test]
    fn date_time_comparisons_use_the_instant() {
        assert_eq!(
            run(
                "dateTimeEq",
                json!(["2026-12-25T10:00:00Z", "2026-12-25T12:00:00+02:00"])
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "dateTimeBefore",
                json!(["2026-12-31T23:59:00+02:00", "2026-12-31T22:00:00Z"])
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "dateTimeAfter",
                json!(["2026-12-31T23:59:00+02:00", "2026-12-31T22:00:00Z"])
            ),
            Ok(json!(false))
        );
    }

    #[test]
    fn add_and_subtract_clamp_to_the_months_end() {
        assert_eq!(
            run("addToDate", json!(["2026-01-31", 0, 1, 0])),
            Ok(json!("2026-02-28T00:00:00Z"))
        );
        assert_eq!(
            run("addToDate", json!(["2028-02-29", 1, 0, 0])),
            Ok(json!("2029-02-28T00:00:00Z"))
        );
        assert_eq!(
            run("addToDate", json!(["2026-12-31", 0, 0, 1])),
            Ok(json!("2027-01-01T00:00:00Z"))
        );
        assert_eq!(
            run(
                "subtractFromDate",
                json!(["2026-12-31T23:59:00+02:00", 0, 0, 1])
            ),
            Ok(json!("2026-12-30T23:59:00+02:00"))
        );
        assert_eq!(
            run(
                "subtractFromDate",
                json!(["2026-03-31T08:00:00.250Z", 0, 1, 0])
            ),
            Ok(json!("2026-02-28T08:00:00.250Z"))
        );
        assert_eq!(
            run("addToDate", json!(["2026-03-10", 0, -1, -10])),
            Ok(json!("2026-01-31T00:00:00Z"))
        );
    }

    #[test]
    fn shifts_refuse_bad_counts_and_the_end_of_time() {
        let m = fails("addToDate", json!(["2026-01-01", 0, 1.5, 0]));
        assert!(
            m.starts_with("addToDate: the 3rd argument") && m.contains("whole"),
            "{m}"
        );
        let m = fails("addToDate", json!(["2026-01-01", "1", 0, 0]));
        assert!(m.contains("toNumber"), "{m}");
        let m = fails("addToDate", json!(["2026-01-01", 900_000_000, 0, 0]));
        assert_eq!(m, "addToDate: the date falls outside the calendar");
        let m = fails(
            "subtractFromDate",
            json!(["2026-01-01", 0, 0, 999_999_999_999_999_i64]),
        );
        assert_eq!(m, "subtractFromDate: the date falls outside the calendar");
    }

    #[test]
    fn now_is_the_environments_clock() {
        assert_eq!(run("now", json!([])), Ok(json!("2026-12-05T10:30:00Z")));
    }

    #[test]
    fn a_non_date_is_named() {
        let m = fails("dateEq", json!(["2026-12-25", "soon"]));
        assert!(
            m.starts_with("dateEq: the 2nd argument is the text \"soon\", not a date"),
            "{m}"
        );
        let m = fails("weekDay", json!([null]));
        assert!(
            m.starts_with("weekDay: the 1st argument is null, not a date"),
            "{m}"
        );
    }

    #[test]
    fn other_names_are_not_dates() {
        assert!(apply("sum", &[], now()).is_none());
    }
}
