//! How a whole value is written for its context: one `{{…}}` where one is needed, the shapes
//! the builder writes (trigger filters, skips, delay offsets, due dates), and the lax forms of
//! older automations, each a warning.

use crate::domain::definition::Level;
use crate::domain::expr::dates::date_time_of;
use crate::domain::expr::grammar::{Lax, Note};
use crate::domain::expr::literal::{percent_decode, percent_encode};
use crate::domain::expr::table::{self, Ty};
use crate::domain::expr::whole::only_expression;
use crate::domain::expr::{Expr, ExprContext, ExprFinding, Part, Text};
use serde_json::Value;

pub(crate) fn err(out: &mut Vec<ExprFinding>, rule: &'static str, message: impl Into<String>) {
    out.push(ExprFinding {
        level: Level::Error,
        rule,
        message: message.into(),
    });
}

pub(crate) fn warn(out: &mut Vec<ExprFinding>, rule: &'static str, message: impl Into<String>) {
    out.push(ExprFinding {
        level: Level::Warning,
        rule,
        message: message.into(),
    });
}

/// Whether the value has the shape its context needs; reports it when not. `true` means
/// the context rules on the single expression can run.
pub(crate) fn shape(ctx: ExprContext, text: &str, t: &Text, out: &mut Vec<ExprFinding>) -> bool {
    if matches!(ctx, ExprContext::Mapping | ExprContext::SetVariable) {
        return true;
    }
    let plain = text.trim();
    match only_expression(t) {
        Ok(_) if t.single().is_some() => true,
        Ok(_) => {
            warn(
                out,
                "LAX_WHITESPACE",
                "whitespace around the {{…}}: the builder writes none",
            );
            true
        }
        Err(_)
            if ctx == ExprContext::DueDate
                && t.parts.iter().all(|p| matches!(p, Part::Text(_))) =>
        {
            bare_due_date(plain, out);
            false
        }
        Err(_) if ctx == ExprContext::DelayOffset && plain.parse::<u64>().is_ok() => {
            warn(
                out,
                "DELAY_OFFSET_FORM",
                format!(
                    "a bare {plain}: the builder writes {{{{{plain}}}}}, and its panel loads anything else as 1"
                ),
            );
            false
        }
        Err(stray) => {
            err(
                out,
                "NOT_ONE_EXPRESSION",
                format!(
                    "{} must be exactly one {{{{…}}}}, and this has {} (at character {})",
                    ctx_words(ctx),
                    stray.what,
                    stray.at
                ),
            );
            false
        }
    }
}

/// A due date written without braces: a full ISO date-time with its offset is what the
/// builder writes.
fn bare_due_date(plain: &str, out: &mut Vec<ExprFinding>) {
    let v = Value::String(plain.to_string());
    if chrono::DateTime::parse_from_rfc3339(plain).is_ok() {
        return;
    }
    if date_time_of(&v).is_some() {
        warn(
            out,
            "DUE_DATE_FORM",
            format!(
                "the due date {plain:?} has no time or zone: the builder writes a full ISO date-time with its offset"
            ),
        );
    } else {
        err(
            out,
            "NOT_ONE_EXPRESSION",
            format!("the due date {plain:?} is neither one {{{{…}}}} nor an ISO date-time"),
        );
    }
}

/// The context in words: "a condition", "a due date".
pub(crate) fn ctx_words(ctx: ExprContext) -> &'static str {
    match ctx {
        ExprContext::Condition => "a condition",
        ExprContext::Filter => "a trigger filter",
        ExprContext::DelayOffset => "a delay offset",
        ExprContext::DueDate => "a due date",
        ExprContext::RateLimit => "a rate-limit expression",
        ExprContext::Skip => "a skip expression",
        ExprContext::Mapping | ExprContext::SetVariable => "a value",
    }
}

/// The lax forms the parser accepted, each a warning (whitespace once).
pub(crate) fn lax(notes: &[Note], out: &mut Vec<ExprFinding>) {
    let mut whitespace_said = false;
    for n in notes {
        let at = n.at;
        match &n.lax {
            Lax::Whitespace if whitespace_said => {}
            Lax::Whitespace => {
                whitespace_said = true;
                warn(
                    out,
                    "LAX_WHITESPACE",
                    format!(
                        "whitespace at character {at}: the builder writes none outside string literals"
                    ),
                );
            }
            Lax::SingleQuotes => warn(
                out,
                "LAX_SINGLE_QUOTES",
                format!(
                    "single quotes at character {at}: the builder takes double quotes only (to it, var('x') is an unknown variable)"
                ),
            ),
            Lax::UnquotedPath(p) => warn(
                out,
                "LAX_UNQUOTED_PATH",
                format!("var({p}) has no quotes: the builder writes var(\"{p}\")"),
            ),
            Lax::BareField(p) => warn(
                out,
                "LAX_BARE_FIELD",
                format!(
                    "{{{{{p}}}}} is a bare field, which the builder does not support: write var(\"{p}\")"
                ),
            ),
            Lax::NumberForm(n) => warn(
                out,
                "NUMBER_FORM",
                format!(
                    "the builder's parser rejects the number {n} (never 0.5, .5, -0.25, 05 or 1e3): write divide(1;2) for a half"
                ),
            ),
            Lax::NotEncoded(raw) => warn(
                out,
                "LITERAL_NOT_ENCODED",
                format!(
                    "the literal \"{raw}\" is not URI-encoded: the builder stores it as \"{}\"",
                    percent_encode(&percent_decode(raw))
                ),
            ),
            Lax::StrayPercent(raw) => warn(
                out,
                "LITERAL_STRAY_PERCENT",
                format!(
                    "the literal \"{raw}\" has a % not followed by two hex digits: it is kept as written, and the builder would store it as %25"
                ),
            ),
        }
    }
}

/// Rules on the whole value's one expression, by context.
pub(crate) fn context_rules(ctx: ExprContext, text: &str, e: &Expr, out: &mut Vec<ExprFinding>) {
    let ty = kind_of(e);
    match ctx {
        ExprContext::Condition | ExprContext::Filter | ExprContext::Skip
            if !matches!(ty, Ty::Bool | Ty::Any) =>
        {
            err(
                out,
                "NOT_BOOLEAN",
                format!(
                    "{} must give true or false, and this gives {}",
                    ctx_words(ctx),
                    ty.words()
                ),
            );
        }
        ExprContext::DelayOffset | ExprContext::DueDate if matches!(ty, Ty::Bool | Ty::List) => {
            err(
                out,
                "NOT_A_TIME",
                format!("{} gives {}", ctx_words(ctx), ty.words()),
            );
        }
        _ => {}
    }
    match ctx {
        ExprContext::Filter if !filter_shape(e) => warn(
            out,
            "FILTER_SHAPE",
            "a trigger filter has one of two shapes: {{contains([values];var(\"field\"))}} or {{arraySome([values];contains(var(\"list\");$_))}} (the list may be arrayMap(var(\"list\");\"item.path\"))",
        ),
        ExprContext::Skip if text.trim() != "{{true}}" => warn(
            out,
            "SKIP_FORM",
            "the builder writes a skip only as {{true}} (or leaves it out to run the step)",
        ),
        ExprContext::DelayOffset if !whole_positive(e) => warn(
            out,
            "DELAY_OFFSET_FORM",
            "the builder writes a delay offset as a whole number in braces ({{3}}), and its panel loads anything else as 1",
        ),
        ExprContext::DueDate if !due_date_shape(e) => warn(
            out,
            "DUE_DATE_FORM",
            "the builder writes a due date as var(…), addToDate(…), subtractFromDate(…) or now(), or a bare ISO date-time",
        ),
        _ => {}
    }
}

/// The kind `e` gives, without reporting anything again.
fn kind_of(e: &Expr) -> Ty {
    match e {
        Expr::Literal(v) => Ty::of(v),
        Expr::Var(_) | Expr::Item => Ty::Any,
        Expr::Call { name, .. } => table::find(name).map_or(Ty::Any, |s| s.gives),
    }
}

/// Shape A `contains([…];var(f))`, or shape B `arraySome([…];contains(L;$_))` with `L` a var
/// or `arrayMap(var(f);"path")` (facts §3.5).
fn filter_shape(e: &Expr) -> bool {
    let Expr::Call { name, args } = e else {
        return false;
    };
    match (name.as_str(), args.as_slice()) {
        ("contains", [Expr::Literal(Value::Array(_)), Expr::Var(_)]) => true,
        ("arraySome", [Expr::Literal(Value::Array(_)), Expr::Call { name, args }]) => {
            name == "contains"
                && match args.as_slice() {
                    [Expr::Var(_), Expr::Item] => true,
                    [Expr::Call { name, args }, Expr::Item] => {
                        name == "arrayMap"
                            && matches!(
                                args.as_slice(),
                                [Expr::Var(_), Expr::Literal(Value::String(_))]
                            )
                    }
                    _ => false,
                }
        }
        _ => false,
    }
}

fn whole_positive(e: &Expr) -> bool {
    matches!(e, Expr::Literal(Value::Number(n)) if n.as_u64().is_some_and(|k| k >= 1))
}

fn due_date_shape(e: &Expr) -> bool {
    match e {
        Expr::Var(_) | Expr::Literal(Value::Number(_)) => true,
        Expr::Literal(v @ Value::String(_)) => date_time_of(v).is_some(),
        Expr::Call { name, .. } => {
            matches!(name.as_str(), "addToDate" | "subtractFromDate" | "now")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::definition::Level;
    use crate::domain::expr::check::check;
    use crate::domain::expr::{ExprContext, ExprFinding, Visible};

    fn unknown(_: &str) -> Visible {
        Visible::Unknown
    }
    fn run(text: &str, ctx: ExprContext) -> Vec<ExprFinding> {
        check(text, ctx, &unknown)
    }
    fn rules(text: &str, ctx: ExprContext) -> Vec<(&'static str, Level)> {
        run(text, ctx)
            .into_iter()
            .map(|f| (f.rule, f.level))
            .collect()
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
    fn each_lax_form_is_a_warning() {
        let cases = [
            ("{{ var(\"a\") }}", "LAX_WHITESPACE"),
            ("{{var('a')}}", "LAX_SINGLE_QUOTES"),
            ("{{var(a.b)}}", "LAX_UNQUOTED_PATH"),
            ("{{someField}}", "LAX_BARE_FIELD"),
            ("{{divide(0.5;1)}}", "NUMBER_FORM"),
            ("{{concat(\"a\";\" - \")}}", "LITERAL_NOT_ENCODED"),
            ("{{concat(\"a\";\"100%\")}}", "LITERAL_STRAY_PERCENT"),
        ];
        for (text, rule) in cases {
            let f = only(text, Mapping, rule);
            assert_eq!(f.level, Level::Warning, "{text}");
        }
        let f = only("{{var(contact.email)}}", Mapping, "LAX_UNQUOTED_PATH");
        assert_eq!(
            f.message,
            "var(contact.email) has no quotes: the builder writes var(\"contact.email\")"
        );
        let f = only("{{concat(\"a\";\" - \")}}", Mapping, "LITERAL_NOT_ENCODED");
        assert!(f.message.contains("\"%20-%20\""), "{}", f.message);
        let f = only("{{1e3}}", Mapping, "NUMBER_FORM");
        assert!(f.message.contains("1e3"), "{}", f.message);
    }

    #[test]
    fn older_typings_examples_warn_but_do_not_fail() {
        let r = rules("{{ var(contact.email) }}", Mapping);
        assert_eq!(
            r,
            vec![
                ("LAX_WHITESPACE", Level::Warning),
                ("LAX_UNQUOTED_PATH", Level::Warning)
            ]
        );
        let r = rules("{{ contains([\"guid1\",\"guid2\"];formId) }}", Condition);
        assert_eq!(
            r,
            vec![
                ("LAX_WHITESPACE", Level::Warning),
                ("LAX_BARE_FIELD", Level::Warning)
            ]
        );
        let r = rules("{{ 18238348023423 }}", DueDate);
        assert_eq!(r, vec![("LAX_WHITESPACE", Level::Warning)]);
        let r = rules(
            "{{multiply( var('account.points.balance') ;2 )}}",
            SetVariable,
        );
        assert_eq!(
            r,
            vec![
                ("LAX_WHITESPACE", Level::Warning),
                ("LAX_SINGLE_QUOTES", Level::Warning)
            ]
        );
    }

    #[test]
    fn one_expression_contexts() {
        let f = only("x {{true}}", Condition, "NOT_ONE_EXPRESSION");
        assert_eq!(
            f.message,
            "a condition must be exactly one {{…}}, and this has text around it (at character 0)"
        );
        let f = only(" {{true}} ", Skip, "LAX_WHITESPACE");
        assert!(f.message.contains("around"), "{}", f.message);
        let f = only("{{1}}{{2}}", RateLimit, "NOT_ONE_EXPRESSION");
        assert!(
            f.message.starts_with("a rate-limit expression"),
            "{}",
            f.message
        );
        assert_eq!(run("a {{1}} b {{2}}", Mapping), vec![]);
    }

    #[test]
    fn conditions_give_booleans() {
        let r = rules("{{concat(\"a\";\"b\")}}", Condition);
        assert_eq!(
            r,
            vec![
                ("FUNCTION_NOT_IN_CONTEXT", Level::Warning),
                ("NOT_BOOLEAN", Level::Error)
            ]
        );
        let f = only("{{5}}", Condition, "NOT_BOOLEAN");
        assert_eq!(
            f.message,
            "a condition must give true or false, and this gives a number"
        );
        let r = rules("{{5}}", Filter);
        assert_eq!(
            r,
            vec![
                ("NOT_BOOLEAN", Level::Error),
                ("FILTER_SHAPE", Level::Warning)
            ]
        );
    }

    #[test]
    fn filters_have_two_shapes() {
        let f = only("{{stringEq(var(\"a\");\"b\")}}", Filter, "FILTER_SHAPE");
        assert_eq!(f.level, Level::Warning);
        let r = rules("{{contains(\"x\";var(\"a\"))}}", Filter);
        assert_eq!(
            r,
            vec![("TYPE", Level::Error), ("FILTER_SHAPE", Level::Warning)]
        );
        let f = only(
            "{{arrayMap(var(\"l\");var(\"p\"))}}",
            Mapping,
            "ARRAY_MAP_PATH",
        );
        assert!(f.message.contains("arrayMap"), "{}", f.message);
    }

    #[test]
    fn skips_delays_and_due_dates() {
        only("{{false}}", Skip, "SKIP_FORM");
        only("{{var(\"n\")}}", DelayOffset, "DELAY_OFFSET_FORM");
        only("{{0}}", DelayOffset, "DELAY_OFFSET_FORM");
        let f = only("3", DelayOffset, "DELAY_OFFSET_FORM");
        assert!(f.message.contains("{{3}}"), "{}", f.message);
        let r = rules("{{true}}", DelayOffset);
        assert_eq!(
            r,
            vec![
                ("NOT_A_TIME", Level::Error),
                ("DELAY_OFFSET_FORM", Level::Warning)
            ]
        );
        only("{{concat(\"a\";\"b\")}}", DueDate, "DUE_DATE_FORM");
        only("2026-12-25", DueDate, "DUE_DATE_FORM");
        let f = only("soon", DueDate, "NOT_ONE_EXPRESSION");
        assert!(f.message.contains("soon"), "{}", f.message);
        let r = rules("{{ contact.birthdate }}", DueDate);
        assert_eq!(
            r,
            vec![
                ("LAX_WHITESPACE", Level::Warning),
                ("LAX_BARE_FIELD", Level::Warning)
            ]
        );
        assert_eq!(run("{{now()}}", DueDate), vec![]);
    }

    #[test]
    fn parse_errors_say_where() {
        let f = only("Hi {{var(\"a\"", Mapping, "PARSE");
        assert_eq!(f.level, Level::Error);
        assert!(f.message.contains("at character"), "{}", f.message);
    }
}
