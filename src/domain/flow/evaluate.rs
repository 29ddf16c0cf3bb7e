//! Wix's expressions in a run: what a condition decides (each expression's value and what it
//! read), when a delay ends, what a rate limit counts, the variables a step sets, whether an
//! action is skipped, whether the trigger's filters pass. Each is evaluated against one
//! branch's payload at the (simulated) time given; nothing here waits or remembers.

use super::activation::{Branch, FlowRun};
use super::nodes::Test;
use super::{Step, parse_duration};
use crate::domain::automation::{Group, RateLimit, TimeUnit};
use crate::domain::expr::{self, Env};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// What a condition decided: the path to take (None: the condition itself failed, and neither
/// path runs), and why in words, with each expression's value and the fields it read.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub value: Option<bool>,
    pub why: String,
}

/// What a rate limit counts: runs with this identifier, at most `max` in `window` (None:
/// ever).
#[derive(Clone, Debug, PartialEq)]
pub struct RateKey {
    pub identifier: String,
    pub max: u64,
    pub window: Option<Duration>,
}

/// The value at a dotted path (objects only: a path does not cross an array).
fn lookup<'a>(payload: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(payload, |at, key| at.as_object().and_then(|o| o.get(key)))
}

/// What `text` read, in words: `totals.total: "150.00", contactId: (none)`.
fn what_it_read(text: &str, payload: &Value) -> String {
    let paths = expr::var_paths(text);
    paths
        .iter()
        .map(|p| match lookup(payload, p) {
            Some(v) => {
                let mut shown = v.to_string();
                if shown.chars().count() > 60 {
                    shown = shown.chars().take(57).collect::<String>() + "…";
                }
                format!("{p}: {shown}")
            }
            None => format!("{p}: (no value)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One expression's value in words, and its value (an error counts as false).
fn one(text: &str, env: &Env<'_>) -> (Result<bool, String>, String) {
    let result = expr::eval_bool(text, env).map_err(|e| e.to_string());
    let read = what_it_read(text, env.payload);
    let read = if read.is_empty() {
        String::new()
    } else {
        format!(" ({read})")
    };
    let said = match &result {
        Ok(v) => format!("{text} is {v}{read}"),
        Err(e) => format!("{text} could not be evaluated: {e}{read}"),
    };
    (result, said)
}

/// A group's value (AND or OR of its expressions) and its words; `failed` is set when an
/// expression could not be evaluated.
fn group(g: &Group, env: &Env<'_>, failed: &mut Option<String>) -> (bool, String) {
    let mut values = vec![];
    let mut words = vec![];
    for e in &g.expressions {
        let (r, said) = one(e, env);
        if let Err(why) = &r {
            failed.get_or_insert_with(|| why.clone());
        }
        values.push(r.unwrap_or(false));
        words.push(said);
    }
    let value = if g.and {
        values.iter().all(|v| *v)
    } else {
        values.iter().any(|v| *v)
    };
    (value, words.join(if g.and { " AND " } else { " OR " }))
}

impl FlowRun {
    fn env<'a>(branch: &'a Branch, now: DateTime<Utc>) -> Env<'a> {
        Env {
            payload: &branch.payload,
            now,
        }
    }

    /// What condition step `i` decides on `branch` at `now`. An expression that cannot be
    /// evaluated counts as false, or (`errors_fail`) fails the condition.
    pub fn decide(
        &self,
        i: usize,
        branch: &Branch,
        now: DateTime<Utc>,
        errors_fail: bool,
    ) -> Decision {
        let Some(Step::Condition(c)) = self.flow.flow.steps.get(i) else {
            return Decision {
                value: None,
                why: "not a condition".into(),
            };
        };
        let env = Self::env(branch, now);
        match &c.test {
            Test::Groups(groups) => {
                let mut failed = None;
                let (values, words): (Vec<bool>, Vec<String>) =
                    groups.iter().map(|g| group(g, &env, &mut failed)).unzip();
                let value = values.iter().any(|v| *v);
                let why = if words.len() > 1 {
                    words
                        .iter()
                        .map(|w| format!("({w})"))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                } else {
                    words.join("")
                };
                match failed {
                    Some(e) if errors_fail => Decision {
                        value: None,
                        why: format!(
                            "{why}; an expression that fails fails the condition (an assumption you switched on): {e}"
                        ),
                    },
                    _ => Decision {
                        value: Some(value),
                        why,
                    },
                }
            }
            Test::Code { code, declared } => {
                let paths: Vec<String> = declared.iter().flat_map(|d| expr::var_paths(d)).collect();
                let seen = crate::domain::code_condition::hydrate(&branch.payload, &paths);
                let limits = crate::domain::code_condition::CodeLimits::default();
                match crate::domain::code_condition::run(code, &seen, now, &limits) {
                    Ok(v) => Decision {
                        value: Some(v),
                        why: format!("the code returned {v}, seeing {}", shown(&seen)),
                    },
                    Err(e) if errors_fail => Decision {
                        value: None,
                        why: format!(
                            "the code failed ({e}), which fails the condition (an assumption you switched on)"
                        ),
                    },
                    Err(e) => Decision {
                        value: Some(false),
                        why: format!("the code failed ({e}), which counts as false"),
                    },
                }
            }
        }
    }

    /// When delay step `i` ends, counted from `now` (the step before finished then): a flow
    /// file's duration; Wix's offset, or its due date (the offset counted from it when both
    /// are given). A due date already past is returned as it is: the run goes on at once.
    pub fn delay_until(
        &self,
        i: usize,
        branch: &Branch,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, String> {
        let Some(Step::Delay(d)) = self.flow.flow.steps.get(i) else {
            return Err("not a delay".into());
        };
        let Some(w) = &d.wix else {
            return Ok(now + parse_duration(&d.duration)?);
        };
        let env = Self::env(branch, now);
        let base = match (&w.due_date, &w.due_epoch) {
            (Some(e), _) | (None, Some(e)) => due(e, &env)?,
            (None, None) => now,
        };
        let Some(offset) = &w.offset else {
            return Ok(base);
        };
        let n = whole_number(offset, &env).map_err(|e| format!("offsetExpression: {e}"))?;
        w.unit.add(base, n).ok_or_else(|| {
            format!(
                "offsetExpression: {n} {} cannot be added to {base}",
                w.unit.name()
            )
        })
    }

    /// What rate limit `limit` counts on `branch` at `now`.
    pub fn rate_key(
        &self,
        limit: &RateLimit,
        branch: &Branch,
        now: DateTime<Utc>,
    ) -> Result<RateKey, String> {
        let env = Self::env(branch, now);
        let identifier = match &limit.identifier {
            Some(e) => {
                let v =
                    value_of(e, &env).map_err(|e| format!("uniqueIdentifierExpression: {e}"))?;
                match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                }
            }
            None => String::new(),
        };
        let max =
            whole_number(&limit.max, &env).map_err(|e| format!("maxActivationsExpression: {e}"))?;
        let max = u64::try_from(max)
            .map_err(|_| format!("maxActivationsExpression: {max} is below zero"))?;
        let window = match &limit.duration {
            None => None,
            Some(e) => {
                let n = whole_number(e, &env)
                    .map_err(|e| format!("rateLimitDurationExpression: {e}"))?;
                Some(unit_span(limit.unit, n).ok_or_else(|| {
                    format!(
                        "rateLimitDurationExpression: {n} {} is not a span of time",
                        limit.unit.name()
                    )
                })?)
            }
        };
        Ok(RateKey {
            identifier,
            max,
            window,
        })
    }

    /// The variables step `i` sets on `branch` at `now`, and what was wrong with any.
    pub fn variables(&self, i: usize, branch: &Branch, now: DateTime<Utc>) -> (Value, Vec<String>) {
        let Some(Step::SetVariables(v)) = self.flow.flow.steps.get(i) else {
            return (Value::Null, vec!["not a variables step".into()]);
        };
        let r = expr::resolve_mapping(&v.mapping, v.schema.as_ref(), &Self::env(branch, now));
        let mut problems: Vec<String> = r
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        problems.extend(
            r.missing
                .iter()
                .map(|m| format!("var(\"{m}\") has no value")),
        );
        (r.value, problems)
    }

    /// Why action step `i` is skipped on `branch` at `now` (its skip expression or one of its
    /// skip groups is true), if it is.
    pub fn skipped(&self, i: usize, branch: &Branch, now: DateTime<Utc>) -> Option<String> {
        let Some(Step::Action(a)) = self.flow.flow.steps.get(i) else {
            return None;
        };
        let skip = &a.wix.as_ref()?.skip;
        let env = Self::env(branch, now);
        if let Some(e) = &skip.expression
            && expr::eval_bool(e, &env).unwrap_or(false)
        {
            return Some(format!("its skipActionExpression {e} is true"));
        }
        let mut failed = None;
        skip.groups.iter().find_map(|g| {
            let (v, words) = group(g, &env, &mut failed);
            v.then(|| format!("its skip condition is true: {words}"))
        })
    }

    /// Whether the trigger's filters all pass on the trigger payload at `now`; when not, why
    /// (Wix logs the run SKIPPED, TRIGGER_FILTERS_NOT_PASSED).
    pub fn filters_pass(&self, branch: &Branch, now: DateTime<Utc>) -> Result<(), String> {
        let Some(w) = &self.flow.flow.wix else {
            return Ok(());
        };
        let env = Self::env(branch, now);
        for f in &w.automation.trigger.filters {
            let (r, said) = one(&f.expression, &env);
            if r != Ok(true) {
                return Err(format!(
                    "the trigger's filter on {} did not pass: {said}",
                    if f.field_key.is_empty() {
                        "a field"
                    } else {
                        &f.field_key
                    }
                ));
            }
        }
        Ok(())
    }
}

/// A payload in words, for a code condition's decision.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        s.chars().take(117).collect::<String>() + "…"
    } else {
        s
    }
}

/// The value of a whole field: one `{{…}}` (any type), a literal, or text.
fn value_of(text: &str, env: &Env<'_>) -> Result<Value, String> {
    let t = expr::parse_text(text).map_err(|e| format!("cannot read {text:?} {e}"))?;
    expr::eval_text(&t, env).map_err(|e| e.to_string())
}

/// A whole number from `text` (`{{3}}`, a number, a numeric string).
fn whole_number(text: &str, env: &Env<'_>) -> Result<i64, String> {
    let v = value_of(text, env)?;
    let n = match &v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{text} gives {v}, not a number"))?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(format!("{text} gives {n}, not a whole number"));
    }
    Ok(n as i64)
}

/// A due date: a bare ISO date-time, `{{var()}}`, a date formula, or epoch milliseconds.
fn due(text: &str, env: &Env<'_>) -> Result<DateTime<Utc>, String> {
    let v = value_of(text, env).map_err(|e| format!("the due date: {e}"))?;
    expr::date_time_of(&v)
        .map(|d| d.to_utc())
        .ok_or_else(|| format!("the due date {text} gives {v}, not a date"))
}

/// `n` of `unit` as a span (months as 30 days).
fn unit_span(unit: TimeUnit, n: i64) -> Option<Duration> {
    match unit {
        TimeUnit::Minutes => Duration::try_minutes(n),
        TimeUnit::Hours => Duration::try_hours(n),
        TimeUnit::Days => Duration::try_days(n),
        TimeUnit::Weeks => Duration::try_weeks(n),
        TimeUnit::Months => Duration::try_days(n.checked_mul(30)?),
        TimeUnit::Unknown => None,
    }
}
