//! Generated calls: `actionParams` made from an action's input schema with proptest
//! strategies (types, `enum`, formats, `examples`, arrays of objects, nested objects, optional
//! fields present and absent), biased to the edges where bugs live (empty strings, zero and
//! negative numbers, long and non-ASCII text, quotes, the bounds of `minimum`/`maxLength`, the
//! last day of a month). Every value passes the schema, as Wix only sends such params. A failing
//! call is shrunk with proptest's own shrinking (its value trees), then simplified field by
//! field ([`simplify`]), to the smallest params that still fail the same way; and each group of
//! failures says what its failing calls share ([`explain`]).

mod explain;
mod simplify;

pub use explain::{Explanation, explain};
pub use simplify::simplify;

use super::{Player, Target};
use crate::domain::as_wix::Source;
use crate::domain::contract::Severity;
use crate::domain::invocation::Phase;
use crate::domain::sample::{LoadedSample, Sample};
use crate::domain::schema::Schema;
use crate::engine::Engine;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Number, Value, json};

/// A strategy for values of `schema` (a JSON Schema, draft-07, as Wix stores input schemas).
pub fn strategy(schema: &Value) -> BoxedStrategy<Value> {
    value(schema, 0)
}

fn value(s: &Value, depth: usize) -> BoxedStrategy<Value> {
    if let Some(e) = s
        .get("enum")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        return proptest::sample::select(e.clone()).boxed();
    }
    if let Some(c) = s.get("const") {
        return Just(c.clone()).boxed();
    }
    let examples: Vec<Value> = s
        .get("examples")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let base = match s.get("type").and_then(Value::as_str) {
        Some("string") => string(s),
        Some("integer") => integer(s),
        Some("number") => number(s),
        Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
        Some("array") if depth < 4 => array(s, depth),
        Some("object") if depth < 4 => object(s, depth),
        Some("null") => Just(Value::Null).boxed(),
        _ => Just(Value::Null).boxed(),
    };
    if examples.is_empty() {
        base
    } else {
        prop_oneof![3 => base, 1 => proptest::sample::select(examples)].boxed()
    }
}

fn object(s: &Value, depth: usize) -> BoxedStrategy<Value> {
    let required: Vec<String> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let props: Vec<(String, Value)> = s
        .get("properties")
        .and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    // Each field: always there when required; present or absent otherwise (absent shrinks
    // first, so a shrunk case keeps the fewest optional fields).
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = props
        .into_iter()
        .map(|(k, p)| {
            let v = value(&p, depth + 1);
            if required.contains(&k) {
                v.prop_map(move |v| Some((k.clone(), v))).boxed()
            } else {
                proptest::option::of(v.prop_map(move |v| (k.clone(), v))).boxed()
            }
        })
        .collect();
    fields
        .prop_map(|fields| {
            Value::Object(fields.into_iter().flatten().collect::<Map<String, Value>>())
        })
        .boxed()
}

fn array(s: &Value, depth: usize) -> BoxedStrategy<Value> {
    let items = s.get("items").cloned().unwrap_or(json!({}));
    let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = s
        .get("maxItems")
        .and_then(Value::as_u64)
        .map_or(min + 3, |m| m as usize)
        .max(min);
    proptest::collection::vec(value(&items, depth + 1), min..=max)
        .prop_map(Value::Array)
        .boxed()
}

fn integer(s: &Value) -> BoxedStrategy<Value> {
    let min = s
        .get("minimum")
        .and_then(Value::as_i64)
        .unwrap_or(-1_000_000);
    let max = s
        .get("maximum")
        .and_then(Value::as_i64)
        .unwrap_or(1_000_000)
        .max(min);
    let mut edges = vec![min, max];
    for e in [0, -1, 1] {
        if (min..=max).contains(&e) {
            edges.push(e);
        }
    }
    prop_oneof![
        2 => (min..=max).prop_map(|n| json!(n)),
        1 => proptest::sample::select(edges).prop_map(|n| json!(n)),
    ]
    .boxed()
}

fn number(s: &Value) -> BoxedStrategy<Value> {
    let min = s.get("minimum").and_then(Value::as_f64).unwrap_or(-1.0e6);
    let max = s
        .get("maximum")
        .and_then(Value::as_f64)
        .unwrap_or(1.0e6)
        .max(min);
    let mut edges = vec![min, max];
    for e in [0.0, -0.5, 0.1, -1.0] {
        if e >= min && e <= max {
            edges.push(e);
        }
    }
    let num = |f: f64| Number::from_f64(f).map_or(Value::Null, Value::Number);
    prop_oneof![
        2 => (min..=max).prop_map(num),
        1 => proptest::sample::select(edges).prop_map(num),
    ]
    .boxed()
}

/// Text where bugs live: empty, quotes and backslashes, non-ASCII (accents, CJK, emoji, a
/// right-to-left mark), very long, and arbitrary printable text.
fn plain_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-zA-Z ]{1,16}",
        1 => Just(String::new()),
        1 => Just("O'Brien \"the quote\" \\ back".to_string()),
        1 => Just("Zoë Ågren 日本語 ✓ 👋 \u{200f}עברית".to_string()),
        // Long, and quick to shrink: a word repeated (the count shrinks by halves).
        1 => (37usize..=75, "[a-z]{8}").prop_map(|(n, w)| w.repeat(n)),
        1 => "\\PC{0,24}",
    ]
    .boxed()
}

fn string(s: &Value) -> BoxedStrategy<Value> {
    let min = s
        .get("minLength")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let max = s
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let text: BoxedStrategy<String> = match s.get("format").and_then(Value::as_str) {
        Some("uuid") => {
            "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".boxed()
        }
        Some("email") => prop_oneof![
            "[a-z]{1,12}@[a-z]{1,10}\\.(com|org|io)",
            Just("a@b.co".to_string()),
            Just("first.last+tag@sub.example.co.uk".to_string()),
        ]
        .boxed(),
        Some("date") => date()
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
            .boxed(),
        Some("date-time") => (date(), 0u32..24, 0u32..60, 0u32..60)
            .prop_map(|((y, mo, d), h, mi, s)| {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            })
            .boxed(),
        Some("uri") => prop_oneof![
            "https://[a-z]{1,10}\\.example\\.com/[a-z0-9/]{0,20}",
            Just("https://example.com/a%20path?q=1&r=%C3%A9#frag".to_string()),
        ]
        .boxed(),
        _ => plain_text(),
    };
    let (lo, hi) = (min.unwrap_or(0), max.unwrap_or(usize::MAX));
    // Lengths outside the bounds are brought inside: padded, or cut at a character.
    text.prop_map(move |t| {
        let mut t: String = t.chars().take(hi).collect();
        while t.chars().count() < lo {
            t.push('x');
        }
        Value::String(t)
    })
    .boxed()
}

/// A valid calendar date, the last days of months (and 29 February) often.
fn date() -> BoxedStrategy<(i32, u32, u32)> {
    let last = |y: i32, m: u32| match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    prop_oneof![
        (1970i32..2100, 1u32..=12, 1u32..=28),
        (1970i32..2100, 1u32..=12).prop_map(move |(y, m)| (y, m, last(y, m))),
        Just((2024, 2, 29)),
        Just((1999, 12, 31)),
    ]
    .boxed()
}

/// A runner whose calls are the same for the same `seed`.
pub fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Shrinks the failing case `tree` with proptest's protocol (simplify while it still fails
/// the same way; complicate when it stops failing), calling `fails` for each candidate, at
/// most `budget` times. Returns the smallest params that still fail, and the calls made.
pub fn shrink(
    tree: &mut dyn ValueTree<Value = Value>,
    mut fails: impl FnMut(&Value) -> bool,
    budget: usize,
) -> (Value, usize) {
    let mut best = tree.current();
    let mut calls = 0;
    'outer: while calls < budget {
        if !tree.simplify() {
            break;
        }
        loop {
            let candidate = tree.current();
            calls += 1;
            if fails(&candidate) {
                best = candidate;
                continue 'outer;
            }
            if calls >= budget || !tree.complicate() {
                break 'outer;
            }
        }
    }
    (best, calls)
}

/// Calls made to shrink one failure, at most: proptest's shrinking and the field-by-field
/// simplification share them.
pub const SHRINK_BUDGET: usize = 200;

/// How one call went: `None` when the answer met the contract, else the failure's kind (what
/// groups failures: the rule and the field, or the status) and its message.
type Outcome = Option<(String, String)>;

/// One group of failures of the same kind, with its smallest case.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub kind: String,
    pub message: String,
    pub count: usize,
    pub smallest: Value,
    /// What the failing calls share, and what can be anything.
    pub explanation: Explanation,
}

/// What N generated calls of one action found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub action: String,
    pub calls: usize,
    pub passed: usize,
    /// Calls made in all, shrinking included.
    pub made: usize,
    pub groups: Vec<Group>,
    pub seed: u64,
    /// The target could not be reached at all.
    pub unreachable: Option<String>,
}

struct Caller<'a> {
    engine: &'a Engine,
    player: &'a Player,
    target: &'a Target,
    rt: &'a tokio::runtime::Handle,
    made: usize,
    unreachable: Option<String>,
    /// Every call made: its params, the kind of its failure (None: it met the contract), and
    /// whether it was generated (or made while shrinking).
    seen: Vec<(Value, Option<String>, bool)>,
}

impl Caller<'_> {
    /// Calls with `params` and notes how it went.
    fn call(&mut self, base: &LoadedSample, params: &Value, generated: bool) -> Outcome {
        let outcome = self.send(base, params);
        self.seen.push((
            params.clone(),
            outcome.as_ref().map(|(k, _)| k.clone()),
            generated,
        ));
        outcome
    }

    fn send(&mut self, base: &LoadedSample, params: &Value) -> Outcome {
        self.made += 1;
        let mut s = base.clone();
        s.sample.request["actionParams"] = params.clone();
        s.params_findings.clear();
        let sent =
            match self
                .rt
                .block_on(self.player.send(self.target, &s, &Source::Trigger, false))
            {
                Ok(sent) => sent,
                Err(not) => return Some(("not-sent".into(), not.reason)),
            };
        if let Some(why) = sent.unreachable {
            self.unreachable.get_or_insert(why.clone());
            return Some(("unreachable".into(), why));
        }
        let ex = self.engine.exchange(sent.id)?;
        let error = ex
            .findings
            .iter()
            .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
            .find(|f| f.severity == Severity::Error);
        if let Some(f) = error {
            let kind = match &f.field {
                Some(field) => format!("{} at {field}", f.code),
                None => f.code.to_string(),
            };
            return Some((kind, f.message.clone()));
        }
        match &ex.phase {
            Phase::Failed { reason } => Some(("failed".into(), reason.clone())),
            _ => None,
        }
    }
}

/// Sends `n` calls of `sample`'s action with params generated from its input schema (seed
/// `seed`) to `target` through `player`, each judged by `engine`; shrinks the first failure of
/// each kind. Blocks: call it off the UI thread (it uses `rt` for each call).
pub fn generated_calls(
    rt: &tokio::runtime::Handle,
    engine: &Engine,
    player: &Player,
    target: &Target,
    sample: &LoadedSample,
    n: usize,
    seed: u64,
) -> Result<Report, String> {
    let input = sample
        .sample
        .input_schema
        .clone()
        .unwrap_or(json!({"type": "object"}));
    let name = sample.sample.name.clone();
    let compiled = Schema::compile(&input).map_err(|e| format!("{name}: inputSchema: {e}"))?;
    // Only params that pass the schema: Wix sends no others (shrinking keeps to them too).
    let valid = Schema::compile(&input).map_err(|e| format!("{name}: inputSchema: {e}"))?;
    let strat = strategy(&input).prop_filter("passes the input schema", move |v| {
        valid.violations(v).is_empty()
    });
    let mut runner = runner(seed);
    let mut caller = Caller {
        engine,
        player,
        target,
        rt,
        made: 0,
        unreachable: None,
        seen: vec![],
    };
    let mut report = Report {
        action: name.clone(),
        calls: 0,
        passed: 0,
        made: 0,
        groups: vec![],
        seed,
        unreachable: None,
    };
    for _ in 0..n {
        let Ok(mut tree) = strat.new_tree(&mut runner) else {
            return Err(format!("{name}: no params pass its input schema"));
        };
        report.calls += 1;
        let params = tree.current();
        let Some((kind, message)) = caller.call(sample, &params, true) else {
            report.passed += 1;
            continue;
        };
        if caller.unreachable.is_some() {
            break;
        }
        if let Some(g) = report.groups.iter_mut().find(|g| g.kind == kind) {
            g.count += 1;
            continue;
        }
        let mut same = |v: &Value| {
            caller
                .call(sample, v, false)
                .is_some_and(|(k, _)| k == kind)
        };
        let (shrunk, used) = shrink(&mut tree, &mut same, SHRINK_BUDGET);
        let (smallest, _) = simplify(
            &shrunk,
            &input,
            &compiled,
            &mut same,
            SHRINK_BUDGET.saturating_sub(used),
        );
        report.groups.push(Group {
            kind,
            message,
            count: 1,
            smallest,
            explanation: Explanation::default(),
        });
    }
    let fields = simplify::dotted_fields(&input);
    for g in &mut report.groups {
        g.explanation = explain_group(&fields, &caller.seen, &g.kind);
    }
    report.made = caller.made;
    report.unreachable = caller.unreachable;
    Ok(report)
}

/// What the calls that failed with `kind` share: read from the generated calls when at least
/// three failed that way, else from every call made (shrinking's included).
fn explain_group(
    fields: &[String],
    seen: &[(Value, Option<String>, bool)],
    kind: &str,
) -> Explanation {
    let generated_failing = seen
        .iter()
        .filter(|(_, k, generated)| *generated && k.as_deref() == Some(kind))
        .count();
    let from: Vec<&(Value, Option<String>, bool)> = seen
        .iter()
        .filter(|(_, _, generated)| *generated || generated_failing < 3)
        .collect();
    let (failing, others): (Vec<_>, Vec<_>) = from
        .into_iter()
        .partition(|(_, k, _)| k.as_deref() == Some(kind));
    let failing: Vec<&Value> = failing.iter().map(|(v, _, _)| v).collect();
    let others: Vec<&Value> = others.iter().map(|(v, _, _)| v).collect();
    explain(fields, &failing, &others)
}

/// Group `g`'s smallest case as a sample that `check` replays.
pub fn failure_sample(base: &LoadedSample, i: usize, g: &Group, seed: u64) -> Sample {
    let key = base.sample.action_key().unwrap_or("action").to_string();
    let mut sample = base.sample.clone();
    sample.name = format!("{key}: generated failure {i} ({})", g.kind);
    sample.description = format!(
        "The smallest params found (seed {seed}) that make the action fail with {}: {}",
        g.kind, g.message
    );
    sample.request["actionParams"] = g.smallest.clone();
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "title": "Id", "format": "uuid"},
                "email": {"type": "string", "title": "Email", "format": "email"},
                "name": {"type": "string", "title": "Name", "minLength": 2, "maxLength": 40},
                "when": {"type": "string", "title": "When", "format": "date-time"},
                "day": {"type": "string", "title": "Day", "format": "date"},
                "site": {"type": "string", "title": "Site", "format": "uri"},
                "count": {"type": "integer", "title": "Count", "minimum": 0, "maximum": 10},
                "price": {"type": "number", "title": "Price"},
                "vip": {"type": "boolean", "title": "VIP"},
                "plan": {"type": "string", "title": "Plan", "enum": ["free", "pro"]},
                "lines": {"type": "array", "title": "Lines", "items": {"type": "object", "properties": {
                    "sku": {"type": "string", "title": "SKU"}}, "required": ["sku"]}},
                "address": {"type": "object", "title": "Address", "properties": {
                    "city": {"type": "string", "title": "City"}}, "required": ["city"]}
            },
            "required": ["id", "email", "count"]
        })
    }

    #[test]
    fn every_generated_value_passes_the_schema_and_the_same_seed_gives_the_same_values() {
        let s = schema();
        let compiled = Schema::compile(&s).expect("schema");
        let strat = strategy(&s);
        let mut a = runner(7);
        let mut b = runner(7);
        let (mut absent, mut present, mut empty_or_odd) = (0, 0, 0);
        for _ in 0..300 {
            let v = strat.new_tree(&mut a).expect("tree").current();
            let w = strat.new_tree(&mut b).expect("tree").current();
            assert_eq!(v, w, "the same seed gives the same calls");
            let bad = compiled.violations(&v);
            assert!(bad.is_empty(), "{v}: {bad:?}");
            if v.get("vip").is_some() {
                present += 1;
            } else {
                absent += 1;
            }
            if v.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_ascii() || n.len() > 30)
            {
                empty_or_odd += 1;
            }
        }
        assert!(
            present > 20 && absent > 20,
            "optional fields both present and absent"
        );
        assert!(empty_or_odd > 5, "edge-case text is generated");
    }

    #[test]
    fn a_failure_shrinks_to_the_fewest_optional_fields() {
        let s = schema();
        let strat = strategy(&s);
        let mut r = runner(1);
        // "Fails" whenever count is above 3: the smallest such case keeps only what is
        // required and the smallest failing count.
        let fails = |v: &Value| v["count"].as_i64().is_some_and(|c| c > 3);
        let mut tree = loop {
            let t = strat.new_tree(&mut r).expect("tree");
            if fails(&t.current()) && t.current().as_object().is_some_and(|o| o.len() > 4) {
                break t;
            }
        };
        let (best, calls) = shrink(&mut tree, fails, 500);
        assert!(calls > 0);
        assert_eq!(best["count"], json!(4), "{best}");
        let keys: Vec<&String> = best.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 3, "only the required fields are left: {best}");
    }
}
