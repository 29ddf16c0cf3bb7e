//! The text and format functions (facts §3.2): `concat`, `substring`, `lower`, `upper`,
//! `stringLen`, `stringEq`, `stringHasSubString`, `startsWith`, `endsWith`, `toString`,
//! `toNumber`.

use crate::domain::expr::EvalError;
use crate::domain::expr::coerce::{
    arg, loose_text, number_in_text, number_result, strict_text, type_err, whole,
};
use crate::domain::expr::literal::{describe, ordinal, text_of};
use serde_json::Value;

/// Runs `name` when it is a text or format function; `None` otherwise.
pub(crate) fn apply(name: &str, args: &[Value]) -> Option<Result<Value, EvalError>> {
    let r = match name {
        "concat" => concat(args),
        "substring" => substring(args),
        "lower" | "upper" => one_text(name, args).map(|s| {
            Value::String(if name == "lower" {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            })
        }),
        "stringLen" => one_text(name, args).map(|s| Value::from(s.chars().count())),
        "stringEq" | "stringHasSubString" => folded_pair(name, args).map(|(a, b)| {
            Value::Bool(if name == "stringEq" {
                a == b
            } else {
                a.contains(&b)
            })
        }),
        "startsWith" | "endsWith" => strict_pair(name, args).map(|(a, b)| {
            Value::Bool(if name == "startsWith" {
                a.starts_with(b)
            } else {
                a.ends_with(b)
            })
        }),
        "toString" => arg(name, args, 0).map(to_string),
        "toNumber" => arg(name, args, 0).and_then(to_number),
        _ => return None,
    };
    Some(r)
}

fn one_text<'v>(function: &str, args: &'v [Value]) -> Result<&'v str, EvalError> {
    strict_text(function, 0, arg(function, args, 0)?)
}

fn strict_pair<'v>(function: &str, args: &'v [Value]) -> Result<(&'v str, &'v str), EvalError> {
    let a = strict_text(function, 0, arg(function, args, 0)?)?;
    let b = strict_text(function, 1, arg(function, args, 1)?)?;
    Ok((a, b))
}

/// Both arguments as lower-case text: `stringEq` and `stringHasSubString` ignore case.
fn folded_pair(function: &str, args: &[Value]) -> Result<(String, String), EvalError> {
    let a = loose_text(function, 0, arg(function, args, 0)?)?;
    let b = loose_text(function, 1, arg(function, args, 1)?)?;
    Ok((a.to_lowercase(), b.to_lowercase()))
}

/// `concat(s;s;…)`: text as it is, numbers and booleans as written, null as nothing.
fn concat(args: &[Value]) -> Result<Value, EvalError> {
    let mut out = String::new();
    for (i, v) in args.iter().enumerate() {
        match text_of(v) {
            Some(s) => out.push_str(&s),
            None => {
                return Err(type_err(
                    "concat",
                    format!("the {} argument is {}, not text", ordinal(i), describe(v)),
                ));
            }
        }
    }
    Ok(Value::String(out))
}

/// `substring(s;start;length)`: 0-based, counted in characters; past the end gives less.
fn substring(args: &[Value]) -> Result<Value, EvalError> {
    let s = strict_text("substring", 0, arg("substring", args, 0)?)?;
    let start = whole("substring", 1, arg("substring", args, 1)?)?;
    let len = whole("substring", 2, arg("substring", args, 2)?)?;
    if start < 0 || len < 0 {
        return Err(type_err(
            "substring",
            format!("start ({start}) and length ({len}) cannot be negative"),
        ));
    }
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Ok(Value::String(s.chars().skip(start).take(len).collect()))
}

/// `toString(v)`: text as it is, numbers and booleans as written, null as empty text, lists
/// and objects as JSON.
fn to_string(v: &Value) -> Value {
    Value::String(text_of(v).unwrap_or_else(|| v.to_string()))
}

/// `toNumber(v)`: a number, or text that reads as one (`"12.50"`). Empty text is an error, not 0.
fn to_number(v: &Value) -> Result<Value, EvalError> {
    match v {
        Value::Number(_) => Ok(v.clone()),
        Value::String(s) => match number_in_text(s) {
            Some(x) => number_result("toNumber", x),
            None => Err(type_err(
                "toNumber",
                format!("{} is not a number", describe(v)),
            )),
        },
        _ => Err(type_err(
            "toNumber",
            format!("{} cannot become a number", describe(v)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(name: &str, args: Value) -> Result<Value, EvalError> {
        let args = args.as_array().cloned().unwrap_or_default();
        apply(name, &args).unwrap_or_else(|| panic!("{name} is not a text function"))
    }
    fn fails(name: &str, args: Value) -> String {
        match run(name, args) {
            Ok(v) => panic!("{name} gave {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn concat_joins_and_writes_scalars() {
        assert_eq!(
            run("concat", json!(["Ada", " - ", "Lovelace"])),
            Ok(json!("Ada - Lovelace"))
        );
        assert_eq!(
            run("concat", json!(["#", 42, true, null])),
            Ok(json!("#42true"))
        );
        let m = fails("concat", json!(["a", [1]]));
        assert_eq!(m, "concat: the 2nd argument is a list of 1, not text");
    }

    #[test]
    fn substring_is_zero_based_start_and_length() {
        assert_eq!(
            run("substring", json!(["Hello world", 0, 5])),
            Ok(json!("Hello"))
        );
        assert_eq!(
            run("substring", json!(["Hello world", 6, 5])),
            Ok(json!("world"))
        );
        assert_eq!(run("substring", json!(["Hello", 3, 99])), Ok(json!("lo")));
        assert_eq!(run("substring", json!(["Hello", 9, 2])), Ok(json!("")));
        assert_eq!(run("substring", json!(["héllo", 1, 2])), Ok(json!("él")));
        let m = fails("substring", json!(["Hello", -1, 2]));
        assert!(m.starts_with("substring: start (-1)"), "{m}");
        let m = fails("substring", json!(["Hello", 1.5, 2]));
        assert!(m.starts_with("substring: the 2nd argument"), "{m}");
        let m = fails("substring", json!([12345, 0, 2]));
        assert!(m.contains("toString"), "{m}");
    }

    #[test]
    fn case_and_length() {
        assert_eq!(run("lower", json!(["PAID"])), Ok(json!("paid")));
        assert_eq!(run("upper", json!(["straße"])), Ok(json!("STRASSE")));
        assert_eq!(run("stringLen", json!(["café"])), Ok(json!(4)));
        assert_eq!(run("stringLen", json!([""])), Ok(json!(0)));
        let m = fails("upper", json!([5]));
        assert!(
            m.starts_with("upper: the 1st argument is the number 5, not text"),
            "{m}"
        );
    }

    #[test]
    fn string_eq_and_has_sub_string_ignore_case() {
        assert_eq!(
            run("stringEq", json!(["Premium", "premium"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("stringEq", json!(["premium", "basic"])),
            Ok(json!(false))
        );
        assert_eq!(run("stringEq", json!([5, "5"])), Ok(json!(true)));
        assert_eq!(
            run("stringHasSubString", json!(["Big ORDER", "order"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("stringHasSubString", json!(["abc", "x"])),
            Ok(json!(false))
        );
        let m = fails("stringEq", json!([{}, "a"]));
        assert_eq!(m, "stringEq: the 1st argument is an object, not text");
    }

    #[test]
    fn starts_and_ends_with_keep_case() {
        assert_eq!(
            run("startsWith", json!(["Order-1", "Order"])),
            Ok(json!(true))
        );
        assert_eq!(
            run("startsWith", json!(["Order-1", "order"])),
            Ok(json!(false))
        );
        assert_eq!(
            run("endsWith", json!(["file.pdf", ".pdf"])),
            Ok(json!(true))
        );
        let m = fails("endsWith", json!(["a", 1]));
        assert!(m.starts_with("endsWith: the 2nd argument"), "{m}");
    }

    #[test]
    fn to_string_writes_any_value() {
        assert_eq!(run("toString", json!([12.5])), Ok(json!("12.5")));
        assert_eq!(run("toString", json!([7])), Ok(json!("7")));
        assert_eq!(run("toString", json!([true])), Ok(json!("true")));
        assert_eq!(run("toString", json!([null])), Ok(json!("")));
        assert_eq!(run("toString", json!(["x"])), Ok(json!("x")));
        assert_eq!(run("toString", json!([[1, "a"]])), Ok(json!("[1,\"a\"]")));
    }

    #[test]
    fn to_number_reads_money_like_text() {
        assert_eq!(run("toNumber", json!(["150.00"])), Ok(json!(150)));
        assert_eq!(run("toNumber", json!(["12.50"])), Ok(json!(12.5)));
        assert_eq!(run("toNumber", json!([" -3 "])), Ok(json!(-3)));
        assert_eq!(run("toNumber", json!([4.5])), Ok(json!(4.5)));
        assert_eq!(
            fails("toNumber", json!(["$12"])),
            "toNumber: the text \"$12\" is not a number"
        );
        assert_eq!(
            fails("toNumber", json!([""])),
            "toNumber: the text \"\" is not a number"
        );
        assert_eq!(
            fails("toNumber", json!([true])),
            "toNumber: the boolean true cannot become a number"
        );
        assert!(run("toNumber", json!([null])).is_err());
    }

    #[test]
    fn other_names_are_not_text() {
        assert!(apply("sum", &[]).is_none());
    }
}
