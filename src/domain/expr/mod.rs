//! Wix's automation expression language: the `{{…}}` formulas an automation stores in action
//! input mappings, conditions, trigger filters, delays, rate limits, variables and skips.
//!
//! Sources: `shared/automations-v2.md` §3 (syntax, functions, types per field, the condition
//! vocabulary, filter shapes), §2.4–2.6 (delays, rate limits, variables), §8 (older forms).
//!
//! - A field value is a [`Text`]: plain text with any number of `{{…}}` parts. Inside the
//!   braces is one [`Expr`]: a literal (`"text"`, `10`, `-3`, `12.5`, `true`, `["a","b"]`),
//!   `var("a.b-c")`, `$_` (the item inside `arraySome`/`arrayEvery`), or a call with `;`
//!   between its arguments. There are no operators.
//! - String literals inside `{{…}}` are stored URI-encoded (`encodeURIComponent`) and are
//!   decoded when parsed: `"a%40b.com"` is `a@b.com`.
//! - [`parse_text`] and [`parse_expr`] read; [`eval`], [`eval_bool`] and [`eval_text`] run
//!   against an [`Env`] (the payload and the clock); [`resolve_mapping`] fills a whole
//!   `inputMapping` typed by its schema; [`check`] finds problems before a run; [`var_paths`]
//!   names what a value reads.
//! - The older, laxer forms Wix automations may hold (spaces inside the braces, `var('x')`,
//!   `var(a.b)`, a bare `{{field}}`, numbers such as `0.5` or `1e3`) are accepted when
//!   evaluating; [`check`] reports each as a warning, because the builder rejects them.
//! - Nothing here reads the clock or does IO: time comes in through [`Env::now`].
//!
//! Files: `parse` (text and `{{…}}` parts) and `grammar` (inside the braces); `eval` (one
//! expression) and `whole` (conditions, whole values, var paths); the functions in `math`,
//! `text`, `dates` and `cond`, listed with arities and vocabularies in `table`; `mapping`
//! (typed input mappings); `check` (the expression walk) and `form` (shape per context).
//!
//! # Assumptions (what Wix does not document)
//!
//! - A failing expression is an `Err`; whether a condition then is false or fails is the caller's.
//! - The runtime accepts the lax forms (facts §9.2); only the builder rejects them.
//! - Formula math (`sum`, `eq`, `arraySum`, …) takes numbers only; numeric text suggests `toNumber`.
//! - The condition vocabulary (`numberEq`, `numberGt`, `numberContains`, …) reads numeric text.
//! - `round` rounds halves away from zero; its decimals may be negative (`round(1234;-2)` = 1200).
//! - Dividing (or `mod`) by zero, or a result beyond f64, is a type error, not Infinity or NaN.
//! - A date alone is midnight UTC; a date-time without zone is UTC; a number is epoch milliseconds.
//! - `dateEq/Before/After` and the part functions read the date and time as written (own offset).
//! - `addToDate`/`subtractFromDate` keep the input's offset; a date alone comes back in UTC.
//! - Date-times are written RFC 3339, `Z` for UTC, fraction digits only when there are some.
//! - `arrayMap` leaves out items with no value at the item path; an empty path maps to the item.
//! - `contains` and `arrayIncludes…` compare exactly (case-sensitive text, numbers by value).
//! - `stringEq`, `stringHasSubString`, `stringContains` ignore case and read numbers as text.
//! - `startsWith` and `endsWith` are case-sensitive.
//! - `arrayIncludesAnyOf/AllOf/Only(array;list)`: the array field first, the literal list second.
//! - `arrayEvery` of an empty list is true, `arraySome` false; an empty `arrayAverage` fails.
//! - `concat` writes numbers and booleans as text; the other text functions take text only.
//! - `stringLen` and `substring` count characters (Unicode scalar values), not UTF-16 units.
//! - `toNumber("")` is an error (JavaScript would give 0); `toNumber(true)` too.
//! - `if`, `and`, `or` evaluate only what they need: `and(false;var("missing"))` is false.
//! - `isEmptyString` of a number, boolean or list is false.
//! - Function names are case-sensitive.
//! - Null is empty text in text, `toString` and `concat`; a field holding null is not Missing.
//! - String literals have no escapes: a `"` inside one is stored as `%22`.
//! - A `%` without two hex digits, or a decoding that is not UTF-8, keeps the literal as written.
//! - `var` paths are URI-decoded everywhere (Wix encodes them in trigger filters only).
//! - [`eval_text`] fails on a missing field; [`resolve_mapping`] drops or blanks it and lists it.
//! - A schema type list (`["number","null"]`) is read as its first type other than null.
//! - A function outside its context's vocabulary is a warning: the runtime has the union (§3.4).
//! - A string literal that is not URI-encoded is a warning (the builder would store it encoded).

mod check;
mod coerce;
mod cond;
mod dates;
mod eval;
#[cfg(test)]
mod fixture;
mod form;
mod grammar;
mod literal;
mod mapping;
mod math;
mod parse;
mod path;
mod table;
mod text;
mod whole;

use crate::domain::definition::Level;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::fmt;

pub use check::check;
pub use dates::date_time_of;
pub use eval::eval;
pub use mapping::resolve_mapping;
pub use parse::{parse_expr, parse_text};
pub use whole::{eval_bool, eval_text, var_paths};

/// One parsed expression: what is inside `{{ }}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A string (decoded), number, boolean or list written in the expression.
    Literal(Value),
    /// `var("a.b-c")`: the payload value at that dotted path.
    Var(String),
    /// `$_`: the current item inside an `arraySome`/`arrayEvery` predicate.
    Item,
    /// A function call, `name(arg;arg;…)`.
    Call { name: String, args: Vec<Expr> },
}

/// A field value as written: plain text and `{{…}}` parts, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    /// One `{{…}}`; `source` is what stood between the braces.
    Expr {
        expr: Expr,
        source: String,
    },
}

impl Text {
    /// The one expression, when the value is exactly one `{{…}}` and nothing else.
    pub fn single(&self) -> Option<&Expr> {
        match self.parts.as_slice() {
            [Part::Expr { expr, .. }] => Some(expr),
            _ => None,
        }
    }
}

/// Where a value stops being readable, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Character offset (not byte) in the text that was parsed.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.at, self.message)
    }
}

impl std::error::Error for ParseError {}

/// What an evaluation may read.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    /// The node's aggregated payload: trigger payload, enrichment, earlier steps' outputs.
    pub payload: &'a Value,
    /// The (simulated) clock, read by `now()`.
    pub now: DateTime<Utc>,
}

/// Why an expression gave no value.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// `var(path)` found nothing; `detail` says why when it is more than an absent key.
    Missing {
        path: String,
        detail: Option<String>,
    },
    /// A function got a value of the wrong kind (or could not compute, e.g. divide by zero).
    Type {
        function: String,
        message: String,
    },
    /// A function Wix does not have.
    UnknownFunction {
        name: String,
    },
    /// A function called with the wrong number of arguments.
    Arity {
        function: String,
        min: usize,
        max: Option<usize>,
        got: usize,
    },
    /// A condition, filter or skip gave something other than true or false.
    NotBoolean {
        expression: String,
        got: String,
    },
    Other(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Missing { path, detail: None } => {
                write!(f, "var(\"{path}\") has no value in the payload")
            }
            EvalError::Missing {
                path,
                detail: Some(d),
            } => write!(f, "var(\"{path}\") has no value: {d}"),
            EvalError::Type { function, message } => write!(f, "{function}: {message}"),
            EvalError::UnknownFunction { name } => {
                write!(f, "Wix has no function {name}")?;
                match table::hint(name) {
                    Some(h) => write!(f, " ({h})"),
                    None => Ok(()),
                }
            }
            EvalError::Arity {
                function,
                min,
                max,
                got,
            } => write!(
                f,
                "{function} takes {}, not {got}",
                table::arity_words(*min, *max)
            ),
            EvalError::NotBoolean { expression, got } => write!(
                f,
                "the condition {{{{{expression}}}}} gives {got}, not true or false"
            ),
            EvalError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for EvalError {}

/// A parse or an evaluation error, for the calls that do both.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprError {
    Parse(ParseError),
    Eval(EvalError),
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprError::Parse(e) => write!(f, "cannot read the expression {e}"),
            ExprError::Eval(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ExprError {}

impl From<ParseError> for ExprError {
    fn from(e: ParseError) -> Self {
        ExprError::Parse(e)
    }
}

impl From<EvalError> for ExprError {
    fn from(e: EvalError) -> Self {
        ExprError::Eval(e)
    }
}

/// A mapping resolved against the payload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    /// The value the action (or the variables step) receives.
    pub value: Value,
    /// Var paths that had no value, each once, in the order met.
    pub missing: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Something wrong with one field of a mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The path below the mapping: `amount.value`, `labelKeys[0]`.
    pub field: String,
    pub message: String,
}

/// Where an expression stands, which decides its vocabulary and shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExprContext {
    /// An action's `inputMapping` value: text, one formula, or a literal.
    Mapping,
    /// A CONDITION `booleanExpressions` entry (or a skip condition group's).
    Condition,
    /// A trigger filter's `filterExpression`.
    Filter,
    /// A DELAY's `offsetExpression`.
    DelayOffset,
    /// A DELAY's `dueDateExpression` or `dueDateEpochExpression`.
    DueDate,
    /// Any RATE_LIMIT expression.
    RateLimit,
    /// A SET_VARIABLES `outputMapping` value.
    SetVariable,
    /// An action's `skipActionExpression`.
    Skip,
}

/// Whether a node can see a var path (its aggregated schema), when that is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visible {
    Yes,
    No,
    Unknown,
}

/// One static finding of [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprFinding {
    pub level: Level,
    /// The rule's short name: `UNKNOWN_FUNCTION`, `LAX_WHITESPACE`, …
    pub rule: &'static str,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_and_where() {
        let e = ParseError {
            at: 4,
            message: "a string is never closed".into(),
        };
        assert_eq!(e.to_string(), "at character 4: a string is never closed");
        let m = EvalError::Missing {
            path: "contact.email".into(),
            detail: None,
        };
        assert_eq!(
            m.to_string(),
            "var(\"contact.email\") has no value in the payload"
        );
        let a = EvalError::Arity {
            function: "round".into(),
            min: 2,
            max: Some(2),
            got: 3,
        };
        assert_eq!(a.to_string(), "round takes 2 arguments, not 3");
        let u = EvalError::UnknownFunction {
            name: "trim".into(),
        };
        assert!(u.to_string().starts_with("Wix has no function trim"), "{u}");
        let b = EvalError::NotBoolean {
            expression: "var(\"a\")".into(),
            got: "the text \"x\"".into(),
        };
        assert_eq!(
            b.to_string(),
            "the condition {{var(\"a\")}} gives the text \"x\", not true or false"
        );
        let p: ExprError = e.into();
        assert!(p.to_string().contains("character 4"));
    }

    #[test]
    fn single_is_one_expression_and_nothing_else() {
        let t = parse_text("{{10}}").expect("parses");
        assert_eq!(t.single(), Some(&Expr::Literal(Value::from(10))));
        let t = parse_text("a {{10}}").expect("parses");
        assert_eq!(t.single(), None);
    }

    /// Random text made of the language's own characters and names: nothing may panic, and a
    /// value that parses evaluates, checks and resolves to some answer.
    #[test]
    fn random_input_never_panics() {
        use proptest::prelude::{ProptestConfig, Strategy};
        use proptest::test_runner::TestRunner;
        let atom = proptest::sample::select(vec![
            "{{",
            "}}",
            "(",
            ")",
            ";",
            ",",
            "[",
            "]",
            "\"",
            "'",
            " ",
            "$_",
            "var",
            "%",
            "%2",
            "%41",
            "1",
            "-",
            ".",
            "e",
            "0",
            "true",
            "sum",
            "arraySome",
            "contains",
            "isEmpty",
            "if",
            "substring",
            "addToDate",
            "arrayMap",
            "round",
            "a.b",
            "items",
            "x",
            "é",
            "divide",
        ]);
        let text = proptest::collection::vec(atom, 0..24).prop_map(|v| v.concat());
        let mut runner = TestRunner::new(ProptestConfig {
            cases: 2000,
            ..ProptestConfig::default()
        });
        let payload = serde_json::json!({"a": {"b": [1, "2"]}, "items": [{"x": 1}], "x": "5"});
        let env = Env {
            payload: &payload,
            now: DateTime::<Utc>::default(),
        };
        let contexts = [
            ExprContext::Mapping,
            ExprContext::Condition,
            ExprContext::Filter,
            ExprContext::DelayOffset,
            ExprContext::DueDate,
            ExprContext::RateLimit,
            ExprContext::SetVariable,
            ExprContext::Skip,
        ];
        let r = runner.run(&text, |s| {
            let _ = eval_bool(&s, &env);
            if let Ok(t) = parse_text(&s) {
                let _ = eval_text(&t, &env);
            }
            let _ = var_paths(&s);
            for ctx in contexts {
                let _ = check(&s, ctx, &|_| Visible::Unknown);
            }
            let _ = resolve_mapping(&Value::String(s.clone()), None, &env);
            Ok(())
        });
        assert!(r.is_ok(), "{r:?}");
    }
}
