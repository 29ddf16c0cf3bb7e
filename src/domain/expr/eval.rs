//! Evaluating one expression against an [`Env`]: vars, `$_`, and every function, with `if`,
//! `and`, `or`, `not`, `isEmpty`, `arraySome` and `arrayEvery` evaluating their own arguments.

use crate::domain::expr::coerce::{list, strict_bool, type_err};
use crate::domain::expr::literal::describe;
use crate::domain::expr::path::lookup;
use crate::domain::expr::{Env, EvalError, Expr};
use crate::domain::expr::{cond, dates, math, table, text};
use serde_json::Value;

/// What an evaluation reads: the environment, and the current item inside a predicate.
#[derive(Clone, Copy)]
struct Scope<'s> {
    env: &'s Env<'s>,
    item: Option<&'s Value>,
}

/// Evaluates one expression.
pub fn eval(e: &Expr, env: &Env) -> Result<Value, EvalError> {
    eval_in(e, Scope { env, item: None })
}

fn eval_in(e: &Expr, s: Scope<'_>) -> Result<Value, EvalError> {
    match e {
        Expr::Literal(v) => Ok(v.clone()),
        Expr::Var(path) => lookup(s.env.payload, path).cloned(),
        Expr::Item => s.item.cloned().ok_or_else(|| {
            EvalError::Other(
                "$_ stands for the current item, and only inside arraySome or arrayEvery".into(),
            )
        }),
        Expr::Call { name, args } => call(name, args, s),
    }
}

fn nth<'e>(function: &str, args: &'e [Expr], i: usize) -> Result<&'e Expr, EvalError> {
    args.get(i).ok_or_else(|| EvalError::Arity {
        function: function.to_string(),
        min: i + 1,
        max: None,
        got: args.len(),
    })
}

fn call(name: &str, args: &[Expr], s: Scope<'_>) -> Result<Value, EvalError> {
    let spec = table::find(name).ok_or_else(|| EvalError::UnknownFunction {
        name: name.to_string(),
    })?;
    if args.len() < spec.min || spec.max.is_some_and(|m| args.len() > m) {
        return Err(EvalError::Arity {
            function: name.to_string(),
            min: spec.min,
            max: spec.max,
            got: args.len(),
        });
    }
    match name {
        "if" => {
            let c = eval_in(nth(name, args, 0)?, s)?;
            let pick = if strict_bool(name, 0, &c)? { 1 } else { 2 };
            eval_in(nth(name, args, pick)?, s)
        }
        "and" | "or" => {
            let stop_at = name == "or";
            for (i, a) in args.iter().enumerate() {
                if strict_bool(name, i, &eval_in(a, s)?)? == stop_at {
                    return Ok(Value::Bool(stop_at));
                }
            }
            Ok(Value::Bool(!stop_at))
        }
        "not" => {
            let v = eval_in(nth(name, args, 0)?, s)?;
            Ok(Value::Bool(!strict_bool(name, 0, &v)?))
        }
        "isEmpty" | "isEmptyString" => is_empty(name, nth(name, args, 0)?, s),
        "arraySome" | "arrayEvery" => quantify(name, args, s),
        _ => {
            let values = args
                .iter()
                .map(|a| eval_in(a, s))
                .collect::<Result<Vec<Value>, EvalError>>()?;
            apply(name, &values, s.env)
        }
    }
}

/// Runs a function whose arguments are all evaluated.
fn apply(name: &str, values: &[Value], env: &Env) -> Result<Value, EvalError> {
    math::apply(name, values)
        .or_else(|| text::apply(name, values))
        .or_else(|| dates::apply(name, values, env.now))
        .or_else(|| cond::apply(name, values))
        .unwrap_or_else(|| {
            Err(EvalError::Other(format!(
                "{name} is known but not evaluated"
            )))
        })
}

/// `isEmpty(v)`: missing, null, empty text, an empty list or object. `isEmptyString(v)`:
/// missing, null or empty text. A missing field is empty here, not an error.
fn is_empty(name: &str, e: &Expr, s: Scope<'_>) -> Result<Value, EvalError> {
    let v = match eval_in(e, s) {
        Err(EvalError::Missing { .. }) => return Ok(Value::Bool(true)),
        other => other?,
    };
    let empty = match &v {
        Value::Null => true,
        Value::String(t) => t.is_empty(),
        Value::Array(a) => name == "isEmpty" && a.is_empty(),
        Value::Object(o) => name == "isEmpty" && o.is_empty(),
        _ => false,
    };
    Ok(Value::Bool(empty))
}

/// `arraySome(a;pred)` / `arrayEvery(a;pred)`: `pred` evaluated for each item as `$_`.
fn quantify(name: &str, args: &[Expr], s: Scope<'_>) -> Result<Value, EvalError> {
    let listed = eval_in(nth(name, args, 0)?, s)?;
    let items = list(name, 0, &listed)?;
    let pred = nth(name, args, 1)?;
    let want = name == "arraySome";
    for (i, item) in items.iter().enumerate() {
        let inner = Scope {
            env: s.env,
            item: Some(item),
        };
        let r = eval_in(pred, inner)?;
        let b = r.as_bool().ok_or_else(|| {
            type_err(
                name,
                format!(
                    "the condition gives {} for item {}, not true or false",
                    describe(&r),
                    i + 1
                ),
            )
        })?;
        if b == want {
            return Ok(Value::Bool(want));
        }
    }
    Ok(Value::Bool(!want))
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

    #[test]
    fn literals_and_vars() {
        assert_eq!(ev("\"text\""), Ok(json!("text")));
        assert_eq!(ev("10"), Ok(json!(10)));
        assert_eq!(ev("[\"a\",\"b\"]"), Ok(json!(["a", "b"])));
        assert_eq!(ev("var(\"contact.name.first\")"), Ok(json!("Ada")));
        assert_eq!(ev("var(\"createTask-1.taskId\")"), Ok(json!("t-9")));
        assert_eq!(ev("var(\"nothing\")"), Ok(Value::Null));
    }

    #[test]
    fn a_missing_var_is_named() {
        let e = ev("var(\"contact.phone\")").expect_err("missing");
        assert_eq!(
            e.to_string(),
            "var(\"contact.phone\") has no value: contact has no field phone"
        );
        let e = ev("upper(var(\"nope\"))").expect_err("missing");
        assert!(
            matches!(e, EvalError::Missing { ref path, .. } if path == "nope"),
            "{e:?}"
        );
        let e = ev("var(\"lineItems.product.id\")").expect_err("crosses a list");
        assert!(e.to_string().contains("lineItems is a list"), "{e}");
    }

    #[test]
    fn wrong_arity_is_named() {
        let e = ev("round(1;2;3)").expect_err("arity");
        assert_eq!(e.to_string(), "round takes 2 arguments, not 3");
        let e = ev("concat(\"a\")").expect_err("arity");
        assert_eq!(e.to_string(), "concat takes at least 2 arguments, not 1");
        let e = ev("now(1)").expect_err("arity");
        assert_eq!(e.to_string(), "now takes no arguments, not 1");
    }

    #[test]
    fn if_and_or_evaluate_what_they_need() {
        assert_eq!(ev("if(gt(2;1);\"big\";var(\"nope\"))"), Ok(json!("big")));
        assert_eq!(ev("if(false;var(\"nope\");3)"), Ok(json!(3)));
        assert_eq!(ev("and(true;true;false)"), Ok(json!(false)));
        assert_eq!(ev("or(false;false)"), Ok(json!(false)));
        assert_eq!(ev("or(false;true;var(\"nope\"))"), Ok(json!(true)));
        assert_eq!(ev("and(false;var(\"nope\"))"), Ok(json!(false)));
        let e = ev("if(\"yes\";1;2)").expect_err("not a boolean");
        assert_eq!(
            e.to_string(),
            "if: the 1st argument is the text \"yes\", not true or false"
        );
        let e = ev("and(true;1)").expect_err("not a boolean");
        assert_eq!(
            e.to_string(),
            "and: the 2nd argument is the number 1, not true or false"
        );
        assert_eq!(ev("not(true)"), Ok(json!(false)));
        let e = ev("not(\"false\")").expect_err("not a boolean");
        assert_eq!(
            e.to_string(),
            "not: the 1st argument is the text \"false\", not true or false"
        );
    }

    #[test]
    fn emptiness_forgives_a_missing_field() {
        assert_eq!(ev("isEmpty(var(\"nope\"))"), Ok(json!(true)));
        assert_eq!(ev("isEmpty(var(\"nothing\"))"), Ok(json!(true)));
        assert_eq!(ev("isEmpty(var(\"blank\"))"), Ok(json!(true)));
        assert_eq!(ev("isEmpty([])"), Ok(json!(true)));
        assert_eq!(ev("isEmpty(var(\"order_count\"))"), Ok(json!(false)));
        assert_eq!(ev("isEmpty(upper(var(\"nope\")))"), Ok(json!(true)));
        assert_eq!(ev("isEmptyString(var(\"nope\"))"), Ok(json!(true)));
        assert_eq!(ev("isEmptyString(var(\"blank\"))"), Ok(json!(true)));
        assert_eq!(ev("isEmptyString(var(\"contactId\"))"), Ok(json!(false)));
        assert_eq!(ev("isEmptyString([])"), Ok(json!(false)));
        let e = ev("isEmpty(upper(5))").expect_err("type errors still count");
        assert!(e.to_string().starts_with("upper:"), "{e}");
    }

    #[test]
    fn predicates_read_the_current_item() {
        let e = ev("$_").expect_err("outside a predicate");
        assert!(
            e.to_string()
                .contains("only inside arraySome or arrayEvery"),
            "{e}"
        );
        assert_eq!(ev("arraySome([];true)"), Ok(json!(false)));
        assert_eq!(ev("arrayEvery([];false)"), Ok(json!(true)));
        assert_eq!(
            ev("arraySome([[1,2],[3]];arraySome($_;numberEq($_;3)))"),
            Ok(json!(true))
        );
        let e = ev("arraySome([1];\"x\")").expect_err("not a boolean");
        assert_eq!(
            e.to_string(),
            "arraySome: the condition gives the text \"x\" for item 1, not true or false"
        );
        let e = ev("arrayEvery(var(\"contactId\");true)").expect_err("not a list");
        assert!(
            e.to_string().starts_with("arrayEvery: the 1st argument"),
            "{e}"
        );
    }

    #[test]
    fn every_known_function_is_evaluated() {
        let lazy = [
            "if",
            "and",
            "or",
            "not",
            "isEmpty",
            "isEmptyString",
            "arraySome",
            "arrayEvery",
        ];
        let p = payload();
        let env = env(&p);
        for spec in table::SPECS.iter().filter(|s| !lazy.contains(&s.name)) {
            let args = vec![Value::Null; spec.min];
            let r = apply(spec.name, &args, &env);
            assert!(
                !matches!(r, Err(EvalError::Other(ref m)) if m.contains("not evaluated")),
                "{}",
                spec.name
            );
        }
    }
}
