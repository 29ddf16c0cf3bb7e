//! Reading a function's arguments as the kind it needs, with a type error that names the
//! function, the argument and what it got.

use crate::domain::expr::EvalError;
use crate::domain::expr::literal::{describe, number_value, ordinal};
use serde_json::Value;

/// The largest whole number an argument may be where a count is expected (years, decimals…).
const WHOLE_LIMIT: f64 = 1e15;

pub(crate) fn type_err(function: &str, message: impl Into<String>) -> EvalError {
    EvalError::Type {
        function: function.to_string(),
        message: message.into(),
    }
}

/// A number written as text (`"12.50"`, `" -3 "`), as `toNumber` and the condition vocabulary
/// read it. Empty text, `inf` and `NaN` are not numbers.
pub(crate) fn number_in_text(s: &str) -> Option<f64> {
    let t = s.trim();
    let numeric = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !numeric {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A number, strictly: the formula math functions take numbers only (facts §3.3: "the platform
/// rejects it bare"), so numeric text is an error that points at `toNumber`.
pub(crate) fn strict_number(function: &str, i: usize, v: &Value) -> Result<f64, EvalError> {
    if let Some(x) = v.as_f64() {
        return Ok(x);
    }
    let what = describe(v);
    let arg = ordinal(i);
    Err(match v {
        Value::String(s) if number_in_text(s).is_some() => type_err(
            function,
            format!(
                "the {arg} argument is {what}, not a number; Wix's math functions take numbers only, so wrap it in toNumber(…)"
            ),
        ),
        _ => type_err(
            function,
            format!("the {arg} argument is {what}, not a number"),
        ),
    })
}

/// A number, or text that reads as one: the condition vocabulary's `numberEq`, `numberGt`, ….
pub(crate) fn loose_number(function: &str, i: usize, v: &Value) -> Result<f64, EvalError> {
    let x = match v {
        Value::Number(_) => v.as_f64(),
        Value::String(s) => number_in_text(s),
        _ => None,
    };
    x.ok_or_else(|| {
        type_err(
            function,
            format!(
                "the {} argument is {}, not a number",
                ordinal(i),
                describe(v)
            ),
        )
    })
}

/// A whole number (an index, a count of years, decimals).
pub(crate) fn whole(function: &str, i: usize, v: &Value) -> Result<i64, EvalError> {
    let x = strict_number(function, i, v)?;
    if x.fract() != 0.0 || x.abs() > WHOLE_LIMIT {
        return Err(type_err(
            function,
            format!(
                "the {} argument is {}, not a whole number",
                ordinal(i),
                describe(v)
            ),
        ));
    }
    Ok(x as i64)
}

/// Text, strictly: a number or boolean is an error that points at `toString`.
pub(crate) fn strict_text<'v>(
    function: &str,
    i: usize,
    v: &'v Value,
) -> Result<&'v str, EvalError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(_) | Value::Bool(_) => Err(type_err(
            function,
            format!(
                "the {} argument is {}, not text; wrap it in toString(…)",
                ordinal(i),
                describe(v)
            ),
        )),
        _ => Err(type_err(
            function,
            format!("the {} argument is {}, not text", ordinal(i), describe(v)),
        )),
    }
}

/// Text, or a number or boolean read as text, null as empty text.
pub(crate) fn loose_text(function: &str, i: usize, v: &Value) -> Result<String, EvalError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(type_err(
            function,
            format!("the {} argument is {}, not text", ordinal(i), describe(v)),
        )),
    }
}

pub(crate) fn strict_bool(function: &str, i: usize, v: &Value) -> Result<bool, EvalError> {
    v.as_bool().ok_or_else(|| {
        type_err(
            function,
            format!(
                "the {} argument is {}, not true or false",
                ordinal(i),
                describe(v)
            ),
        )
    })
}

pub(crate) fn list<'v>(function: &str, i: usize, v: &'v Value) -> Result<&'v [Value], EvalError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(type_err(
            function,
            format!("the {} argument is {}, not a list", ordinal(i), describe(v)),
        )),
    }
}

/// The argument at `i`; the arity was checked before, so a gap is an internal slip, reported
/// rather than panicking.
pub(crate) fn arg<'v>(function: &str, args: &'v [Value], i: usize) -> Result<&'v Value, EvalError> {
    args.get(i)
        .ok_or_else(|| type_err(function, format!("the {} argument is missing", ordinal(i))))
}

/// A computed number as a value; NaN and infinities are errors.
pub(crate) fn number_result(function: &str, x: f64) -> Result<Value, EvalError> {
    number_value(x).ok_or_else(|| type_err(function, "the result is not a finite number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(e: EvalError) -> String {
        e.to_string()
    }

    #[test]
    fn numbers_in_text() {
        assert_eq!(number_in_text("12.50"), Some(12.5));
        assert_eq!(number_in_text(" -3 "), Some(-3.0));
        assert_eq!(number_in_text("1e3"), Some(1000.0));
        for no in [
            "", " ", "abc", "$12", "inf", "NaN", "infinity", "1,5", "--1",
        ] {
            assert_eq!(number_in_text(no), None, "{no}");
        }
    }

    #[test]
    fn strict_numbers_point_at_to_number() {
        assert_eq!(strict_number("sum", 0, &json!(2.5)), Ok(2.5));
        let m = msg(strict_number("divide", 0, &json!("12.50")).expect_err("text"));
        assert_eq!(
            m,
            "divide: the 1st argument is the text \"12.50\", not a number; Wix's math functions take numbers only, so wrap it in toNumber(…)"
        );
        let m = msg(strict_number("sum", 1, &json!("abc")).expect_err("text"));
        assert_eq!(m, "sum: the 2nd argument is the text \"abc\", not a number");
        assert!(strict_number("sum", 0, &json!(true)).is_err());
        assert!(strict_number("sum", 0, &Value::Null).is_err());
    }

    #[test]
    fn loose_numbers_read_text() {
        assert_eq!(loose_number("numberGt", 0, &json!("150.00")), Ok(150.0));
        assert_eq!(loose_number("numberGt", 0, &json!(7)), Ok(7.0));
        let m = msg(loose_number("numberGt", 0, &json!("lots")).expect_err("text"));
        assert_eq!(
            m,
            "numberGt: the 1st argument is the text \"lots\", not a number"
        );
        assert!(loose_number("numberGt", 0, &json!(true)).is_err());
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole("round", 1, &json!(2)), Ok(2));
        assert_eq!(whole("round", 1, &json!(-2.0)), Ok(-2));
        let m = msg(whole("round", 1, &json!(1.5)).expect_err("fraction"));
        assert_eq!(
            m,
            "round: the 2nd argument is the number 1.5, not a whole number"
        );
        assert!(whole("round", 1, &json!(1e300)).is_err());
    }

    #[test]
    fn text_strict_and_loose() {
        assert_eq!(strict_text("upper", 0, &json!("a")), Ok("a"));
        let m = msg(strict_text("upper", 0, &json!(5)).expect_err("number"));
        assert!(m.starts_with("upper:") && m.contains("toString"), "{m}");
        assert!(strict_text("upper", 0, &json!([])).is_err());
        assert_eq!(loose_text("stringEq", 0, &json!(5)), Ok("5".to_string()));
        assert_eq!(
            loose_text("stringEq", 0, &json!(false)),
            Ok("false".to_string())
        );
        assert_eq!(loose_text("stringEq", 0, &Value::Null), Ok(String::new()));
        let m = msg(loose_text("stringEq", 1, &json!({})).expect_err("object"));
        assert_eq!(m, "stringEq: the 2nd argument is an object, not text");
    }

    #[test]
    fn booleans_lists_and_results() {
        assert_eq!(strict_bool("not", 0, &json!(true)), Ok(true));
        let m = msg(strict_bool("not", 0, &json!("true")).expect_err("text"));
        assert_eq!(
            m,
            "not: the 1st argument is the text \"true\", not true or false"
        );
        assert!(list("arraySize", 0, &json!([1])).is_ok());
        let m = msg(list("arraySize", 0, &json!("a")).expect_err("text"));
        assert_eq!(
            m,
            "arraySize: the 1st argument is the text \"a\", not a list"
        );
        assert_eq!(number_result("divide", 2.0), Ok(json!(2)));
        let m = msg(number_result("divide", f64::INFINITY).expect_err("inf"));
        assert_eq!(m, "divide: the result is not a finite number");
        let m = msg(arg("f", &[], 1).expect_err("gap"));
        assert_eq!(m, "f: the 2nd argument is missing");
    }
}
