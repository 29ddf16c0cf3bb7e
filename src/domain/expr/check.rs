//! Static findings before a run: what will fail (errors) and what the builder would reject or
//! rewrite (warnings), for one field value in its context. This file walks the expressions
//! (functions, arities, vocabularies, kinds, var paths, literals); `form` judges how the whole
//! value is written (its shape for the context, the lax forms).

use crate::domain::expr::dates::date_time_of;
use crate::domain::expr::form::{context_rules, err, lax, shape, warn};
use crate::domain::expr::literal::ordinal;
use crate::domain::expr::parse::parse_text_noted;
use crate::domain::expr::path::shape_problem;
use crate::domain::expr::table::{self, Spec, Ty, Vocab};
use crate::domain::expr::whole::only_expression;
use crate::domain::expr::{EvalError, Expr, ExprContext, ExprFinding, Part, Visible};
use serde_json::Value;

/// The condition panel's literal limits (facts §3.4).
const CONDITION_NUMBER_LIMIT: f64 = 100_000_000.0;
const CONDITION_TEXT_LIMIT: usize = 2500;

/// Every finding for `text` (a whole field value) in `ctx`. `visible` says whether the node
/// can see a var path.
pub fn check(text: &str, ctx: ExprContext, visible: &dyn Fn(&str) -> Visible) -> Vec<ExprFinding> {
    let mut c = Checker {
        ctx,
        visible,
        seen_paths: Vec::new(),
        out: Vec::new(),
    };
    let parsed = match parse_text_noted(text) {
        Ok(p) => p,
        Err(e) => {
            c.error("PARSE", format!("cannot read the expression {e}"));
            return c.out;
        }
    };
    let whole_ok = shape(ctx, text, &parsed.text, &mut c.out);
    lax(&parsed.notes, &mut c.out);
    for part in &parsed.text.parts {
        if let Part::Expr { expr, .. } = part {
            c.expr(expr, false);
        }
    }
    if whole_ok && let Ok((e, _)) = only_expression(&parsed.text) {
        context_rules(ctx, text, e, &mut c.out);
    }
    c.out
}

struct Checker<'v> {
    ctx: ExprContext,
    visible: &'v dyn Fn(&str) -> Visible,
    seen_paths: Vec<String>,
    out: Vec<ExprFinding>,
}

impl Checker<'_> {
    fn error(&mut self, rule: &'static str, message: impl Into<String>) {
        err(&mut self.out, rule, message);
    }

    fn warning(&mut self, rule: &'static str, message: impl Into<String>) {
        warn(&mut self.out, rule, message);
    }

    fn allowed(&self, vocab: Vocab) -> bool {
        match self.ctx {
            ExprContext::Condition | ExprContext::Filter | ExprContext::Skip => {
                vocab != Vocab::Formula
            }
            _ => vocab != Vocab::Condition,
        }
    }

    /// Checks `e` and what is inside it; gives the kind it evaluates to, as far as known.
    fn expr(&mut self, e: &Expr, in_predicate: bool) -> Ty {
        match e {
            Expr::Literal(v) => {
                self.literal_limits(v);
                Ty::of(v)
            }
            Expr::Var(p) => {
                self.var(p);
                Ty::Any
            }
            Expr::Item => {
                if !in_predicate {
                    self.error(
                        "ITEM_OUTSIDE_PREDICATE",
                        "$_ stands for the current item, and only inside the condition of arraySome or arrayEvery",
                    );
                }
                Ty::Any
            }
            Expr::Call { name, args } => self.call(name, args, in_predicate),
        }
    }

    fn var(&mut self, p: &str) {
        if self.seen_paths.iter().any(|s| s == p) {
            return;
        }
        self.seen_paths.push(p.to_string());
        if let Some(m) = shape_problem(p) {
            self.error("PATH_FORM", format!("var(\"{p}\"): {m}"));
        }
        if (self.visible)(p) == Visible::No {
            self.error(
                "VAR_NOT_VISIBLE",
                format!("var(\"{p}\") is not something this step can see: only the trigger payload, identity enrichment and the outputs of the steps before it"),
            );
        }
    }

    fn literal_limits(&mut self, v: &Value) {
        if self.ctx != ExprContext::Condition {
            return;
        }
        match v {
            Value::Number(n) if n.as_f64().is_some_and(|x| x.abs() > CONDITION_NUMBER_LIMIT) => {
                self.warning(
                    "LITERAL_LIMIT",
                    format!("the condition panel takes numbers between -100000000 and 100000000, not {n}"),
                );
            }
            Value::String(s) if s.chars().count() > CONDITION_TEXT_LIMIT => self.warning(
                "LITERAL_LIMIT",
                format!("the condition panel takes text of at most {CONDITION_TEXT_LIMIT} characters, and this literal has {}", s.chars().count()),
            ),
            Value::Array(items) => items.iter().for_each(|i| self.literal_limits(i)),
            _ => {}
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], in_predicate: bool) -> Ty {
        let Some(spec) = table::find(name) else {
            let e = EvalError::UnknownFunction {
                name: name.to_string(),
            };
            self.error("UNKNOWN_FUNCTION", e.to_string());
            args.iter().for_each(|a| {
                self.expr(a, in_predicate);
            });
            return Ty::Any;
        };
        if args.len() < spec.min || spec.max.is_some_and(|m| args.len() > m) {
            let e = EvalError::Arity {
                function: name.to_string(),
                min: spec.min,
                max: spec.max,
                got: args.len(),
            };
            self.error("ARITY", e.to_string());
        }
        if !self.allowed(spec.vocab) {
            self.warning(
                "FUNCTION_NOT_IN_CONTEXT",
                format!(
                    "{name} is not in the builder's list for {}",
                    self.vocab_words()
                ),
            );
        }
        for (i, a) in args.iter().enumerate() {
            let pred = in_predicate || (matches!(name, "arraySome" | "arrayEvery") && i == 1);
            let got = self.expr(a, pred);
            self.argument(spec, i, a, got);
        }
        if name == "arrayMap" && !matches!(args.get(1), Some(Expr::Literal(Value::String(_)))) {
            self.warning(
                "ARRAY_MAP_PATH",
                "arrayMap takes its item path as a text literal: arrayMap(var(\"items\");\"product.id\")",
            );
        }
        spec.gives
    }

    fn vocab_words(&self) -> &'static str {
        match self.ctx {
            ExprContext::Condition | ExprContext::Filter | ExprContext::Skip => {
                "conditions (it is a formula function)"
            }
            _ => "formula fields (it is a condition function)",
        }
    }

    /// One argument against what the function takes: its kind, and a date literal's form.
    fn argument(&mut self, spec: &Spec, i: usize, a: &Expr, got: Ty) {
        let want = spec.takes_at(i);
        let name = spec.name;
        if want != Ty::Any && got != Ty::Any && want != got {
            let hint = match (want, got) {
                (Ty::Number, Ty::Text) => "; wrap it in toNumber(…)",
                (Ty::Text, Ty::Number | Ty::Bool) => "; wrap it in toString(…)",
                _ => "",
            };
            self.error(
                "TYPE",
                format!(
                    "{name}: the {} argument gives {}, and {name} takes {} there{hint}",
                    ordinal(i),
                    got.words(),
                    want.words()
                ),
            );
        }
        let takes_date = is_date_function(name) && (i == 0 || !name.ends_with("Date"));
        if let (true, Expr::Literal(v @ Value::String(s))) = (takes_date, a) {
            if date_time_of(v).is_none() {
                self.error(
                    "BAD_DATE_LITERAL",
                    format!("{name}: {s:?} is not a date (YYYY-MM-DD, or an ISO date-time with its zone)"),
                );
            } else if self.ctx == ExprContext::Condition {
                self.condition_date_form(name, s);
            }
        }
    }

    /// The condition panel writes dates as `YYYY-MM-DD` and date-times in full with a zone.
    fn condition_date_form(&mut self, name: &str, s: &str) {
        let full = chrono::DateTime::parse_from_rfc3339(s).is_ok();
        let day = s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
        if name.starts_with("dateTime") && !full {
            self.warning(
                "LITERAL_FORM",
                format!("{name}: the panel writes a full ISO date-time with its zone, not {s:?}"),
            );
        } else if name.starts_with("date") && !name.starts_with("dateTime") && !day {
            self.warning(
                "LITERAL_FORM",
                format!("{name}: the panel writes a date as YYYY-MM-DD, not {s:?}"),
            );
        }
    }
}

fn is_date_function(name: &str) -> bool {
    matches!(
        name,
        "hour" | "minute" | "year" | "month" | "day" | "weekDay" | "addToDate" | "subtractFromDate"
    ) || name.starts_with("date")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::definition::Level;

    fn unknown(_: &str) -> Visible {
        Visible::Unknown
    }
    fn run(text: &str, ctx: ExprContext) -> Vec<ExprFinding> {
        check(text, ctx, &unknown)
    }
    fn only(text: &str, ctx: ExprContext, rule: &str) -> ExprFinding {
        let all = run(text, ctx);
        match all.as_slice() {
            [f] if f.rule == rule => f.clone(),
            _ => panic!("{text}: expected only {rule}, got {all:?}"),
        }
    }
    use ExprContext::{
        Condition, DelayOffset, DueDate, Filter, Mapping, RateLimit, SetVariable, Skip,
    };

    #[test]
    fn wix_builder_examples_are_clean() {
        let clean = [
            ("{{numberGt(var(\"totals.total\");100)}}", Condition),
            (
                "{{stringEq(var(\"customer_tier\");\"premium\")}}",
                Condition,
            ),
            ("{{numberGt(var(\"order_count\");5)}}", Condition),
            (
                "{{stringContains([\"PAID\",\"PENDING\"];var(\"f\"))}}",
                Condition,
            ),
            (
                "{{arraySome(var(\"f\");contains([\"a\",\"b\"];$_))}}",
                Condition,
            ),
            (
                "{{arrayEvery(var(\"f\");contains([\"a\",\"b\"];$_))}}",
                Condition,
            ),
            ("{{not(isEmpty(var(\"f\")))}}", Condition),
            ("{{dateEq(var(\"f\");\"2026-12-25\")}}", Condition),
            (
                "{{dateTimeEq(var(\"f\");\"2026-12-31T23%3A59%3A00%2B02%3A00\")}}",
                Condition,
            ),
            (
                "{{contains([\"%3Cid-1%3E\",\"%3Cid-2%3E\"];var(\"service_id\"))}}",
                Filter,
            ),
            (
                "{{contains([\"WebsitePages\"];var(\"dataCollectionId\"))}}",
                Filter,
            ),
            ("{{arraySome([\"a\"];contains(var(\"tags\");$_))}}", Filter),
            (
                "{{arraySome([\"a\"];contains(arrayMap(var(\"items\");\"product.id\");$_))}}",
                Filter,
            ),
            ("{{3}}", DelayOffset),
            ("{{subtractFromDate(var(\"start_date\");0;0;1)}}", DueDate),
            ("2025-08-25T13:57:00+03:00", DueDate),
            ("{{1}}", RateLimit),
            ("{{24}}", RateLimit),
            ("{{var(\"contactId\")}}", RateLimit),
            ("{{true}}", Skip),
            ("Dear {{var(\"contact.name.first\")}},", SetVariable),
            (
                "{{multiply(toNumber(var(\"totals.subtotal\"));divide(8;100))}}",
                SetVariable,
            ),
            ("Welcome, {{var(\"contact.name.first\")}}!", Mapping),
            (
                "Order {{var(\"order_number\")}} from {{var(\"createTask-1.taskId\")}}",
                Mapping,
            ),
            ("HIGH", Mapping),
            ("", Mapping),
        ];
        for (text, ctx) in clean {
            assert_eq!(run(text, ctx), vec![], "{text} in {ctx:?}");
        }
    }

    #[test]
    fn unknown_functions_are_errors_with_a_hint() {
        let f = only("{{trim(var(\"a\"))}}", Mapping, "UNKNOWN_FUNCTION");
        assert_eq!(f.level, Level::Error);
        assert!(
            f.message.starts_with("Wix has no function trim ("),
            "{}",
            f.message
        );
        let f = only("{{tonumber(var(\"a\"))}}", Mapping, "UNKNOWN_FUNCTION");
        assert_eq!(
            f.message,
            "Wix has no function tonumber (did you mean toNumber?)"
        );
        let f = only(
            "{{replace(\"a\";\"b\";\"c\")}}",
            Mapping,
            "UNKNOWN_FUNCTION",
        );
        assert!(f.message.contains("replace"), "{}", f.message);
    }

    #[test]
    fn arity_is_checked() {
        let f = only("{{round(var(\"a\"))}}", Mapping, "ARITY");
        assert_eq!(
            (f.level, f.message.as_str()),
            (Level::Error, "round takes 2 arguments, not 1")
        );
        let f = only("{{sum(1)}}", Mapping, "ARITY");
        assert_eq!(f.message, "sum takes at least 2 arguments, not 1");
    }

    #[test]
    fn a_path_the_step_cannot_see() {
        let seen = |p: &str| {
            if p == "contactId" {
                Visible::Yes
            } else {
                Visible::No
            }
        };
        let fs = check(
            "{{concat(var(\"contactId\");var(\"later-step-3.id\");var(\"later-step-3.id\"))}}",
            Mapping,
            &seen,
        );
        assert_eq!(fs.len(), 1, "{fs:?}");
        let f = fs.first().cloned().expect("one");
        assert_eq!((f.rule, f.level), ("VAR_NOT_VISIBLE", Level::Error));
        assert!(
            f.message
                .starts_with("var(\"later-step-3.id\") is not something this step can see")
        );
    }

    #[test]
    fn paths_with_element_access_or_spaces() {
        let f = only("{{var(\"items[0].name\")}}", Mapping, "PATH_FORM");
        assert!(f.message.contains("items[0].name") && f.message.contains("element access"));
        let f = only("{{var(\"items.0.name\")}}", Mapping, "PATH_FORM");
        assert!(f.message.contains("list item 0"), "{}", f.message);
        let f = only("{{var(\"first name\")}}", Mapping, "PATH_FORM");
        assert!(f.message.contains("space"), "{}", f.message);
    }

    #[test]
    fn vocabularies_by_context() {
        let f = only(
            "{{numberGt(var(\"a\");1)}}",
            Mapping,
            "FUNCTION_NOT_IN_CONTEXT",
        );
        assert_eq!(f.level, Level::Warning);
        assert_eq!(
            f.message,
            "numberGt is not in the builder's list for formula fields (it is a condition function)"
        );
        let f = only("{{gt(var(\"a\");1)}}", Condition, "FUNCTION_NOT_IN_CONTEXT");
        assert_eq!(
            f.message,
            "gt is not in the builder's list for conditions (it is a formula function)"
        );
        assert_eq!(run("{{stringEq(var(\"a\");\"b\")}}", Mapping), vec![]);
    }

    #[test]
    fn kinds_that_cannot_work() {
        let f = only("{{sum(\"5\";1)}}", Mapping, "TYPE");
        assert_eq!(
            f.message,
            "sum: the 1st argument gives text, and sum takes a number there; wrap it in toNumber(…)"
        );
        let f = only("{{upper(5)}}", Mapping, "TYPE");
        assert!(f.message.contains("toString"), "{}", f.message);
        let f = only("{{multiply(concat(\"a\";\"b\");2)}}", Mapping, "TYPE");
        assert!(
            f.message
                .starts_with("multiply: the 1st argument gives text"),
            "{}",
            f.message
        );
        let f = only("{{$_}}", Mapping, "ITEM_OUTSIDE_PREDICATE");
        assert_eq!(f.level, Level::Error);
    }

    #[test]
    fn date_literals() {
        let f = only(
            "{{dateEq(var(\"f\");\"soon\")}}",
            Condition,
            "BAD_DATE_LITERAL",
        );
        assert_eq!(
            f.message,
            "dateEq: \"soon\" is not a date (YYYY-MM-DD, or an ISO date-time with its zone)"
        );
        let f = only(
            "{{addToDate(\"2026-13-01\";0;0;1)}}",
            Mapping,
            "BAD_DATE_LITERAL",
        );
        assert!(f.message.starts_with("addToDate:"), "{}", f.message);
        let f = only(
            "{{dateTimeEq(var(\"f\");\"2026-12-25\")}}",
            Condition,
            "LITERAL_FORM",
        );
        assert_eq!(f.level, Level::Warning);
        let f = only(
            "{{dateEq(var(\"f\");\"2026-12-25T10%3A00%3A00Z\")}}",
            Condition,
            "LITERAL_FORM",
        );
        assert!(f.message.contains("YYYY-MM-DD"), "{}", f.message);
    }

    #[test]
    fn condition_literal_limits() {
        let f = only(
            "{{numberGt(var(\"f\");200000000)}}",
            Condition,
            "LITERAL_LIMIT",
        );
        assert!(f.message.contains("200000000"), "{}", f.message);
        let long = format!("{{{{stringEq(var(\"f\");\"{}\")}}}}", "a".repeat(2501));
        let f = only(&long, Condition, "LITERAL_LIMIT");
        assert!(f.message.contains("2501"), "{}", f.message);
        assert_eq!(run("{{gt(var(\"f\");200000000)}}", Mapping), vec![]);
    }

    #[test]
    fn odd_input_never_panics() {
        let all = [
            Mapping,
            Condition,
            Filter,
            DelayOffset,
            DueDate,
            RateLimit,
            SetVariable,
            Skip,
        ];
        let odd = [
            "",
            " ",
            "{{",
            "}}",
            "{{}}",
            "{{$_}}",
            "{{f(}}",
            "{{arraySome(1)}}",
            "{{arrayMap()}}",
            "{{contains()}}",
            "{{x(y(z(1)))}}",
            "\u{0}",
            "{{\"%\"}}",
            "{{[[[]]]}}",
            "日本 {{1}}",
            "{{if(1;2)}}",
            "{{addToDate()}}",
            "{{dateEq(\"\";\"\")}}",
        ];
        for text in odd {
            for ctx in all {
                let _ = run(text, ctx);
            }
        }
    }
}
