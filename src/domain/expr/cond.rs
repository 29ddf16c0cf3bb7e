//! The condition vocabulary (facts §3.4) and `arrayMap`: `numberEq/Gt/Gte/Lt/Lte`, `boolEq`,
//! `stringContains`, `numberContains`, `contains`, `arrayIncludesAnyOf/AllOf/Only`. Numbers are
//! read loosely here (numeric text counts), as Wix's own example compares `totals.total`, which
//! Wix payloads carry as text. (`arraySome`, `arrayEvery` and `isEmpty` evaluate their
//! arguments themselves: see `eval`.)

use crate::domain::expr::EvalError;
use crate::domain::expr::coerce::{arg, list, loose_number, loose_text, strict_text, type_err};
use crate::domain::expr::literal::{describe, ordinal};
use crate::domain::expr::math::compare;
use crate::domain::expr::path::lookup;
use serde_json::Value;

/// Runs `name` when it is one of these functions; `None` otherwise.
pub(crate) fn apply(name: &str, args: &[Value]) -> Option<Result<Value, EvalError>> {
    let r = match name {
        "numberEq" | "numberGt" | "numberGte" | "numberLt" | "numberLte" => {
            number_pair(name, args).map(|(a, b)| Value::Bool(compare(name, a, b)))
        }
        "boolEq" => bool_eq(args),
        "stringContains" => string_contains(args),
        "numberContains" => number_contains(args),
        "contains" => list_and_value(name, args)
            .map(|(items, v)| Value::Bool(items.iter().any(|x| same(x, v)))),
        "arrayIncludesAnyOf" | "arrayIncludesAllOf" | "arrayIncludesOnly" => includes(name, args),
        "arrayMap" => array_map(args),
        _ => return None,
    };
    Some(r)
}

fn number_pair(function: &str, args: &[Value]) -> Result<(f64, f64), EvalError> {
    let a = loose_number(function, 0, arg(function, args, 0)?)?;
    let b = loose_number(function, 1, arg(function, args, 1)?)?;
    Ok((a, b))
}

/// A boolean, or the text `true`/`false` in any case.
fn loose_bool(function: &str, i: usize, v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(type_err(
            function,
            format!(
                "the {} argument is {}, not true or false",
                ordinal(i),
                describe(v)
            ),
        )),
    }
}

fn bool_eq(args: &[Value]) -> Result<Value, EvalError> {
    let a = loose_bool("boolEq", 0, arg("boolEq", args, 0)?)?;
    let b = loose_bool("boolEq", 1, arg("boolEq", args, 1)?)?;
    Ok(Value::Bool(a == b))
}

/// The list first, then the value: `stringContains(["PAID","PENDING"];var("f"))`.
fn list_and_value<'v>(
    function: &str,
    args: &'v [Value],
) -> Result<(&'v [Value], &'v Value), EvalError> {
    let items = list(function, 0, arg(function, args, 0)?)?;
    Ok((items, arg(function, args, 1)?))
}

/// Whether the value is one of the list's, ignoring case.
fn string_contains(args: &[Value]) -> Result<Value, EvalError> {
    let (items, v) = list_and_value("stringContains", args)?;
    let wanted = loose_text("stringContains", 1, v)?.to_lowercase();
    Ok(Value::Bool(items.iter().any(|x| {
        loose_text("stringContains", 0, x).is_ok_and(|t| t.to_lowercase() == wanted)
    })))
}

/// Whether the number is one of the list's (numeric text counts, on either side).
fn number_contains(args: &[Value]) -> Result<Value, EvalError> {
    let (items, v) = list_and_value("numberContains", args)?;
    let wanted = loose_number("numberContains", 1, v)?;
    for (i, x) in items.iter().enumerate() {
        let n = loose_number("numberContains", 0, x).map_err(|_| {
            type_err(
                "numberContains",
                format!(
                    "item {} of the list is {}, not a number",
                    i + 1,
                    describe(x)
                ),
            )
        })?;
        if n == wanted {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// Equality for `contains` and the `arrayIncludes…` functions: exact, with numbers by value
/// (`1` is `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `arrayIncludesAnyOf(array;list)`: some of the list is in the array; `…AllOf`: all of it;
/// `…Only`: the array holds nothing outside the list.
fn includes(function: &str, args: &[Value]) -> Result<Value, EvalError> {
    let array = list(function, 0, arg(function, args, 0)?)?;
    let wanted = list(function, 1, arg(function, args, 1)?)?;
    let has = |x: &Value| array.iter().any(|a| same(a, x));
    let r = match function {
        "arrayIncludesAnyOf" => wanted.iter().any(has),
        "arrayIncludesAllOf" => wanted.iter().all(has),
        _ => array.iter().all(|a| wanted.iter().any(|w| same(a, w))),
    };
    Ok(Value::Bool(r))
}

/// `arrayMap(a;"item.path")`: each item's value at the path (an empty path: the item itself).
/// Items with no value there are left out.
fn array_map(args: &[Value]) -> Result<Value, EvalError> {
    let items = list("arrayMap", 0, arg("arrayMap", args, 0)?)?;
    let path = strict_text("arrayMap", 1, arg("arrayMap", args, 1)?)?;
    if path.is_empty() {
        return Ok(Value::Array(items.to_vec()));
    }
    Ok(Value::Array(
        items
            .iter()
            .filter_map(|item| lookup(item, path).ok().cloned())
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(name: &str, args: Value) -> Result<Value, EvalError> {
        let args = args.as_array().cloned().unwrap_or_default();
        apply(name, &args).unwrap_or_else(|| panic!("{name} is not a condition function"))
    }
    fn fails(name: &str, args: Value) -> String {
        match run(name, args) {
            Ok(v) => panic!("{name} gave {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn numbers_read_numeric_text() {
        assert_eq!(run("numberGt", json!(["150.00", 100])), Ok(json!(true)));
        assert_eq!(run("numberGt", json!([5, 5])), Ok(json!(false)));
        assert_eq!(run("numberGte", json!([5, "5"])), Ok(json!(true)));
        assert_eq!(run("numberLt", json!([1, 2])), Ok(json!(true)));
        assert_eq!(run("numberLte", json!([3, 2])), Ok(json!(false)));
        assert_eq!(run("numberEq", json!(["2", 2])), Ok(json!(true)));
        let m = fails("numberGt", json!(["lots", 5]));
        assert_eq!(
            m,
            "numberGt: the 1st argument is the text \"lots\", not a number"
        );
    }

    #[test]
    fn bool_eq_reads_true_and_false() {
        assert_eq!(run("boolEq", json!([true, true])), Ok(json!(true)));
        assert_eq!(run("boolEq", json!([false, true])), Ok(json!(false)));
        assert_eq!(run("boolEq", json!(["TRUE", true])), Ok(json!(true)));
        let m = fails("boolEq", json!([1, true]));
        assert_eq!(
            m,
            "boolEq: the 1st argument is the number 1, not true or false"
        );
    }

    #[test]
    fn string_contains_ignores_case_list_first() {
        assert_eq!(
            run("stringContains", json!([["PAID", "PENDING"], "paid"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("stringContains", json!([["PAID", "PENDING"], "REFUNDED"])),
            Ok(json!(false))
        );
        assert_eq!(run("stringContains", json!([[], "x"])), Ok(json!(false)));
        let m = fails("stringContains", json!(["PAID", "PAID"]));
        assert_eq!(
            m,
            "stringContains: the 1st argument is the text \"PAID\", not a list"
        );
    }

    #[test]
    fn number_contains_by_value() {
        assert_eq!(run("numberContains", json!([[1, 2], 2])), Ok(json!(true)));
        assert_eq!(
            run("numberContains", json!([[1, 2], "2.0"])),
            Ok(json!(true))
        );
        assert_eq!(run("numberContains", json!([[1, 2], 3])), Ok(json!(false)));
        let m = fails("numberContains", json!([[1, "a"], 3]));
        assert_eq!(
            m,
            "numberContains: item 2 of the list is the text \"a\", not a number"
        );
    }

    #[test]
    fn contains_is_exact() {
        let ids = json!(["WebsitePages", "Blog"]);
        assert_eq!(
            run("contains", json!([ids, "WebsitePages"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("contains", json!([ids, "websitepages"])),
            Ok(json!(false))
        );
        assert_eq!(run("contains", json!([[1, 2], 2.0])), Ok(json!(true)));
        assert_eq!(run("contains", json!([["1"], 1])), Ok(json!(false)));
        let m = fails("contains", json!([null, "a"]));
        assert_eq!(m, "contains: the 1st argument is null, not a list");
    }

    #[test]
    fn array_includes() {
        let tags = json!(["vip", "new"]);
        assert_eq!(
            run("arrayIncludesAnyOf", json!([tags, ["vip", "x"]])),
            Ok(json!(true))
        );
        assert_eq!(
            run("arrayIncludesAnyOf", json!([tags, ["x"]])),
            Ok(json!(false))
        );
        assert_eq!(
            run("arrayIncludesAllOf", json!([tags, ["vip", "new"]])),
            Ok(json!(true))
        );
        assert_eq!(
            run("arrayIncludesAllOf", json!([tags, ["vip", "x"]])),
            Ok(json!(false))
        );
        assert_eq!(
            run("arrayIncludesOnly", json!([tags, ["vip", "new", "x"]])),
            Ok(json!(true))
        );
        assert_eq!(
            run("arrayIncludesOnly", json!([tags, ["vip"]])),
            Ok(json!(false))
        );
        let m = fails("arrayIncludesOnly", json!([tags, "vip"]));
        assert_eq!(
            m,
            "arrayIncludesOnly: the 2nd argument is the text \"vip\", not a list"
        );
    }

    #[test]
    fn array_map_reads_each_item() {
        let items = json!([{"product": {"id": "p1"}}, {"product": {"id": "p2"}}, {"other": 1}]);
        assert_eq!(
            run("arrayMap", json!([items, "product.id"])),
            Ok(json!(["p1", "p2"]))
        );
        assert_eq!(run("arrayMap", json!([[1, 2], ""])), Ok(json!([1, 2])));
        assert_eq!(run("arrayMap", json!([[[1]], "a"])), Ok(json!([])));
        let m = fails("arrayMap", json!([items, 3]));
        assert!(
            m.starts_with("arrayMap: the 2nd argument is the number 3, not text"),
            "{m}"
        );
        let m = fails("arrayMap", json!([{"a": 1}, "a"]));
        assert_eq!(m, "arrayMap: the 1st argument is an object, not a list");
    }

    #[test]
    fn other_names_are_not_conditions() {
        assert!(apply("sum", &[]).is_none());
    }
}
