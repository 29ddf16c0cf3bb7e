//! Whole field values: a condition (exactly one `{{…}}` giving true or false), a value with
//! text and embedded expressions, and the var paths a value reads.

use crate::domain::expr::eval::eval;
use crate::domain::expr::literal::{describe, text_of};
use crate::domain::expr::parse::parse_text;
use crate::domain::expr::{Env, EvalError, Expr, ExprError, ParseError, Part, Text};
use serde_json::Value;

/// A condition, filter or skip: exactly one `{{…}}` (whitespace around it is allowed) that
/// gives true or false.
pub fn eval_bool(text: &str, env: &Env) -> Result<bool, ExprError> {
    let t = parse_text(text)?;
    let (expr, source) = only_expression(&t).map_err(|s| ParseError {
        at: s.at,
        message: format!(
            "a condition, filter or skip must be exactly one {{{{…}}}}, and this has {}",
            s.what
        ),
    })?;
    match eval(expr, env)? {
        Value::Bool(b) => Ok(b),
        v => Err(ExprError::Eval(EvalError::NotBoolean {
            expression: source.to_string(),
            got: describe(&v),
        })),
    }
}

/// What stands beside the one expression a value must be, and where (a character offset).
pub(crate) struct Stray {
    pub at: usize,
    pub what: &'static str,
}

/// The one expression of a value that must be nothing else (whitespace around it aside).
pub(crate) fn only_expression(t: &Text) -> Result<(&Expr, &str), Stray> {
    let mut found = None;
    let mut offset = 0;
    for part in &t.parts {
        match part {
            Part::Text(s) => {
                if let Some(k) = s.chars().position(|c| !c.is_whitespace()) {
                    return Err(Stray {
                        at: offset + k,
                        what: "text around it",
                    });
                }
                offset += s.chars().count();
            }
            Part::Expr { expr, source } => {
                if found.is_some() {
                    return Err(Stray {
                        at: offset,
                        what: "a second {{…}}",
                    });
                }
                found = Some((expr, source.as_str()));
                offset += source.chars().count() + 4;
            }
        }
    }
    found.ok_or(Stray {
        at: 0,
        what: "no {{…}}",
    })
}

/// A whole value: plain text as written, one `{{…}}` as its value (any type), text with
/// embedded expressions as text. A missing field is an error here (see `resolve_mapping` for
/// the forgiving reading).
pub fn eval_text(t: &Text, env: &Env) -> Result<Value, EvalError> {
    if let Some(e) = t.single() {
        return eval(e, env);
    }
    let mut out = String::new();
    for part in &t.parts {
        match part {
            Part::Text(s) => out.push_str(s),
            Part::Expr { expr, source } => out.push_str(&written(&eval(expr, env)?, source)?),
        }
    }
    Ok(Value::String(out))
}

/// A part's value written into text; a list or an object cannot be.
pub(crate) fn written(v: &Value, source: &str) -> Result<String, EvalError> {
    text_of(v).ok_or_else(|| EvalError::Type {
        function: format!("{{{{{source}}}}}"),
        message: format!("gives {}, which cannot be written into text", describe(v)),
    })
}

/// Calls `f` on `e` and every expression inside it, outermost first.
pub(crate) fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    if let Expr::Call { args, .. } = e {
        for a in args {
            walk(a, f);
        }
    }
}

/// Every var path a field value reads, each once, in order. A value that does not parse reads
/// nothing (`check` reports why).
pub fn var_paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Ok(t) = parse_text(text) else {
        return out;
    };
    for part in &t.parts {
        if let Part::Expr { expr, .. } = part {
            walk(expr, &mut |e| {
                if let Expr::Var(p) = e
                    && !out.contains(p)
                {
                    out.push(p.clone());
                }
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::expr::fixture::{env, payload};
    use crate::domain::expr::parse::parse_expr;
    use serde_json::json;

    fn ev(src: &str) -> Result<Value, EvalError> {
        let p = payload();
        let e = parse_expr(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        eval(&e, &env(&p))
    }
    fn cond(text: &str) -> Result<bool, ExprError> {
        let p = payload();
        eval_bool(text, &env(&p))
    }
    fn whole(text: &str) -> Result<Value, EvalError> {
        let p = payload();
        let t = parse_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        eval_text(&t, &env(&p))
    }

    #[test]
    fn functions_wix_does_not_have_fail_loudly() {
        let e = ev("trim(var(\"contactId\"))").expect_err("no trim");
        assert_eq!(
            e,
            EvalError::UnknownFunction {
                name: "trim".into()
            }
        );
        assert!(
            e.to_string().starts_with("Wix has no function trim ("),
            "{e}"
        );
        for name in [
            "replace",
            "split",
            "join",
            "indexOf",
            "ceil",
            "floor",
            "parseInt",
            "random",
            "filter",
            "reduce",
            "coalesce",
            "formatDate",
            "add",
            "addDays",
            "equals",
        ] {
            let e = ev(&format!("{name}(1)")).expect_err(name);
            assert!(e.to_string().contains(name), "{e}");
        }
        let e = cond("{{equals(var(\"customer_tier\");\"premium\")}}").expect_err("no equals");
        assert!(e.to_string().contains("Wix has no function equals"), "{e}");
    }

    #[test]
    fn the_condition_examples_of_wix() {
        assert_eq!(cond("{{numberGt(var(\"totals.total\");100)}}"), Ok(true));
        assert_eq!(
            cond("{{stringEq(var(\"customer_tier\");\"premium\")}}"),
            Ok(true)
        );
        assert_eq!(cond("{{numberGt(var(\"order_count\");5)}}"), Ok(true));
        assert_eq!(
            cond("{{stringHasSubString(var(\"contact.email\");\"EXAMPLE\")}}"),
            Ok(true)
        );
        assert_eq!(cond("{{numberEq(var(\"order_count\");5)}}"), Ok(false));
        assert_eq!(cond("{{not(numberEq(var(\"order_count\");5))}}"), Ok(true));
        assert_eq!(cond("{{numberLt(var(\"order_count\");5)}}"), Ok(false));
        assert_eq!(
            cond("{{dateEq(var(\"contact.birthdate\");\"1990-12-05\")}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{dateBefore(var(\"contact.birthdate\");\"2026-12-25\")}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{dateTimeBefore(var(\"start_date\");\"2026-12-31T23%3A59%3A00%2B02%3A00\")}}"),
            Ok(false)
        );
        assert_eq!(
            cond("{{dateTimeEq(var(\"start_date\");\"2026-12-31T23%3A59%3A00%2B02%3A00\")}}"),
            Ok(true)
        );
        assert_eq!(cond("{{boolEq(var(\"someBooleanField\");true)}}"), Ok(true));
        assert_eq!(
            cond("{{boolEq(var(\"someBooleanField\");false)}}"),
            Ok(false)
        );
        assert_eq!(
            cond("{{stringContains([\"PAID\",\"PREMIUM\"];var(\"customer_tier\"))}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{numberContains([1,7];var(\"order_count\"))}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{arraySome(var(\"tags\");contains([\"a\",\"vip\"];$_))}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{arrayEvery(var(\"tags\");contains([\"a\",\"vip\"];$_))}}"),
            Ok(false)
        );
        assert_eq!(
            cond("{{arrayEvery(var(\"tags\");contains([\"new\",\"vip\"];$_))}}"),
            Ok(true)
        );
        assert_eq!(
            cond(
                "{{arraySome(arrayMap(var(\"lineItems\");\"product.id\");contains([\"p2\"];$_))}}"
            ),
            Ok(true)
        );
        assert_eq!(cond("{{isEmpty(var(\"contact.phone\"))}}"), Ok(true));
        assert_eq!(cond("{{not(isEmpty(var(\"contact.email\")))}}"), Ok(true));
        assert_eq!(cond("{{true}}"), Ok(true));
    }

    #[test]
    fn the_trigger_filter_shapes() {
        assert_eq!(
            cond("{{contains([\"<id-1>\",\"<id-2>\"];var(\"service_id\"))}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{contains([\"WebsitePages\"];var(\"dataCollectionId\"))}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{contains([\"Blog\"];var(\"dataCollectionId\"))}}"),
            Ok(false)
        );
        assert_eq!(
            cond("{{arraySome([\"new\",\"x\"];contains(var(\"tags\");$_))}}"),
            Ok(true)
        );
        assert_eq!(
            cond("{{arraySome([\"x\"];contains(var(\"tags\");$_))}}"),
            Ok(false)
        );
        assert_eq!(
            cond(
                "{{arraySome([\"p9\",\"p1\"];contains(arrayMap(var(\"lineItems\");\"product.id\");$_))}}"
            ),
            Ok(true)
        );
        assert_eq!(
            cond("{{contains([\"service%5Fid-x\"];var(\"service%5Fid\"))}}"),
            Ok(false)
        );
    }

    #[test]
    fn older_lax_forms_evaluate() {
        assert_eq!(
            whole("{{ var(contact.email) }}"),
            Ok(json!("ada@example.com"))
        );
        assert_eq!(
            whole("Hi {{ var(contact.name.first) }}, …"),
            Ok(json!("Hi Ada, …"))
        );
        assert_eq!(
            cond("{{ contains([\"guid1\",\"guid2\"];formId) }}"),
            Ok(true)
        );
        assert_eq!(cond("{{ someBooleanField }}"), Ok(true));
        assert_eq!(
            whole("{{ 18238348023423 }}"),
            Ok(json!(18_238_348_023_423_i64))
        );
        assert_eq!(
            whole("{{multiply( var('account.points.balance') ;2 )}}"),
            Ok(json!(80))
        );
    }

    #[test]
    fn formula_math_is_strict_and_points_at_to_number() {
        assert_eq!(
            whole("{{multiply(toNumber(var(\"totals.subtotal\"));divide(8;100))}}"),
            Ok(json!(1.5992))
        );
        let e = whole("{{multiply(var(\"totals.subtotal\");2)}}").expect_err("text");
        assert!(
            e.to_string()
                .starts_with("multiply: the 1st argument is the text \"19.99\"")
                && e.to_string().contains("toNumber"),
            "{e}"
        );
    }

    #[test]
    fn the_delay_due_date_example() {
        assert_eq!(
            whole("{{subtractFromDate(var(\"start_date\");0;0;1)}}"),
            Ok(json!("2026-12-30T23:59:00+02:00"))
        );
        assert_eq!(whole("{{now()}}"), Ok(json!("2026-12-05T10:30:00Z")));
        assert_eq!(whole("{{weekDay(now())}}"), Ok(json!("saturday")));
    }

    #[test]
    fn conditions_must_give_booleans() {
        let e = cond("{{var(\"customer_tier\")}}").expect_err("text");
        assert_eq!(
            e.to_string(),
            "the condition {{var(\"customer_tier\")}} gives the text \"Premium\", not true or false"
        );
        let e = cond("{{numberGt(var(\"order_count\");5)}} and more").expect_err("text after");
        assert_eq!(
            e.to_string(),
            "cannot read the expression at character 35: a condition, filter or skip must be exactly one {{…}}, and this has text around it"
        );
        let e = cond("{{true}}{{false}}").expect_err("two");
        assert!(e.to_string().contains("a second"), "{e}");
        let e = cond("true").expect_err("no braces");
        assert!(e.to_string().contains("at character 0"), "{e}");
        let e = cond("").expect_err("empty");
        assert!(e.to_string().contains("has no {{…}}"), "{e}");
        assert_eq!(cond("  {{true}}\n"), Ok(true));
        let e = cond("{{numberGt(var(\"nope\");1)}}").expect_err("missing");
        assert_eq!(
            e,
            ExprError::Eval(EvalError::Missing {
                path: "nope".into(),
                detail: None
            })
        );
        let e = cond("{{numberGt(1}}").expect_err("parse");
        assert!(matches!(e, ExprError::Parse(_)), "{e:?}");
    }

    #[test]
    fn whole_values() {
        assert_eq!(
            whole("Dear {{var(\"contact.name.first\")}},"),
            Ok(json!("Dear Ada,"))
        );
        assert_eq!(whole("{{var(\"order_count\")}}"), Ok(json!(7)));
        assert_eq!(
            whole("#{{var(\"order_count\")}} {{var(\"someBooleanField\")}}"),
            Ok(json!("#7 true"))
        );
        assert_eq!(whole("plain"), Ok(json!("plain")));
        assert_eq!(whole(""), Ok(json!("")));
        assert_eq!(whole("a{{var(\"nothing\")}}b"), Ok(json!("ab")));
        let e = whole("Tags: {{var(\"tags\")}}").expect_err("a list in text");
        assert_eq!(
            e.to_string(),
            "{{var(\"tags\")}}: gives a list of 2, which cannot be written into text"
        );
        let e = whole("Hi {{var(\"nope\")}}").expect_err("missing");
        assert!(matches!(e, EvalError::Missing { .. }), "{e:?}");
    }

    #[test]
    fn var_paths_name_what_a_value_reads() {
        assert_eq!(
            var_paths("{{var(\"contact.birthdate\")}}"),
            vec!["contact.birthdate"]
        );
        assert_eq!(
            var_paths(
                "Order {{var(\"order_number\")}} from {{var(\"createTask-1.taskId\")}} ({{var(\"order_number\")}})"
            ),
            vec!["order_number", "createTask-1.taskId"]
        );
        assert_eq!(
            var_paths(
                "{{arraySome([\"a\"];contains(arrayMap(var(\"items\");\"product.id\");$_))}}"
            ),
            vec!["items"]
        );
        assert_eq!(var_paths("{{ contains([\"g\"];formId) }}"), vec!["formId"]);
        assert_eq!(var_paths("no expressions"), Vec::<String>::new());
        assert_eq!(var_paths("{{broken("), Vec::<String>::new());
    }

    #[test]
    fn odd_input_never_panics() {
        let p = payload();
        let env = env(&p);
        let odd = [
            "{{substring(\"abc\";999999999999;999999999999)}}",
            "{{round(1e300;15)}}",
            "{{addToDate(1e300;0;0;0)}}",
            "{{addToDate(-8640000000000001;0;0;0)}}",
            "{{arrayMap([1,[2],{}];\"a.b\")}}",
            "{{multiply(1e308;1e308)}}",
            "{{median(1)}}",
            "{{mod(-0;-0)}}",
            "{{toNumber(\"1e400\")}}",
            "{{substring(\"日本語\";1;1)}}",
            "{{$_}}",
            "{{var(\"\")}}",
            "{{var(\"..\")}}",
            "{{hour(-1)}}",
        ];
        for s in odd {
            let _ = eval_bool(s, &env);
            if let Ok(t) = parse_text(s) {
                let _ = eval_text(&t, &env);
            }
        }
    }
}
