//! The math functions and the list aggregates of formula fields (facts §3.2). They take numbers
//! only: numeric text is a type error that points at `toNumber`.

use crate::domain::expr::EvalError;
use crate::domain::expr::coerce::{arg, list, number_result, strict_number, type_err, whole};
use crate::domain::expr::literal::describe;
use serde_json::Value;

/// Runs `name` when it is a math or list-aggregate function; `None` otherwise.
pub(crate) fn apply(name: &str, args: &[Value]) -> Option<Result<Value, EvalError>> {
    let r = match name {
        "sum" | "multiply" | "average" | "min" | "max" | "median" => {
            numbers(name, args).and_then(|xs| aggregate(name, &xs))
        }
        "subtract" | "divide" | "mod" => pair(name, args).and_then(|(a, b)| arithmetic(name, a, b)),
        "round" => round(args),
        "abs" => arg(name, args, 0)
            .and_then(|v| strict_number(name, 0, v))
            .and_then(|x| number_result(name, x.abs())),
        "eq" | "gt" | "gte" | "lt" | "lte" => {
            pair(name, args).map(|(a, b)| Value::Bool(compare(name, a, b)))
        }
        "arraySize" => arg(name, args, 0)
            .and_then(|v| list(name, 0, v))
            .map(|a| Value::from(a.len())),
        "arraySum" | "arrayMultiply" | "arrayAverage" | "arrayMin" | "arrayMax" | "arrayMedian" => {
            list_aggregate(name, args)
        }
        _ => return None,
    };
    Some(r)
}

fn numbers(function: &str, args: &[Value]) -> Result<Vec<f64>, EvalError> {
    args.iter()
        .enumerate()
        .map(|(i, v)| strict_number(function, i, v))
        .collect()
}

fn pair(function: &str, args: &[Value]) -> Result<(f64, f64), EvalError> {
    let a = strict_number(function, 0, arg(function, args, 0)?)?;
    let b = strict_number(function, 1, arg(function, args, 1)?)?;
    Ok((a, b))
}

/// Compares two numbers for `eq`, `gt`, `gte`, `lt`, `lte` (and the condition vocabulary's
/// `numberEq`…, which read their arguments loosely first).
pub(crate) fn compare(function: &str, a: f64, b: f64) -> bool {
    match function {
        "eq" | "numberEq" => a == b,
        "gt" | "numberGt" => a > b,
        "gte" | "numberGte" => a >= b,
        "lt" | "numberLt" => a < b,
        _ => a <= b,
    }
}

fn arithmetic(function: &str, a: f64, b: f64) -> Result<Value, EvalError> {
    if b == 0.0 && function != "subtract" {
        return Err(type_err(function, "cannot divide by zero"));
    }
    let x = match function {
        "subtract" => a - b,
        "divide" => a / b,
        _ => a % b,
    };
    number_result(function, x)
}

/// Sum, product, mean, least, greatest or middle of `xs` (never empty when called from
/// a function with its arity checked; an empty list is refused all the same).
fn aggregate(function: &str, xs: &[f64]) -> Result<Value, EvalError> {
    if xs.is_empty() {
        return Err(type_err(function, "there are no numbers to work on"));
    }
    let x = match function {
        "sum" | "arraySum" => xs.iter().sum(),
        "multiply" | "arrayMultiply" => xs.iter().product(),
        "average" | "arrayAverage" => xs.iter().sum::<f64>() / xs.len() as f64,
        "min" | "arrayMin" => xs.iter().copied().fold(f64::INFINITY, f64::min),
        "max" | "arrayMax" => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => median(xs),
    };
    number_result(function, x)
}

fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    let at = |i: usize| s.get(i).copied().unwrap_or(f64::NAN);
    if s.len() % 2 == 1 {
        at(mid)
    } else {
        (at(mid.saturating_sub(1)) + at(mid)) / 2.0
    }
}

/// `round(n;decimals)`: halves away from zero; negative decimals round to tens, hundreds….
fn round(args: &[Value]) -> Result<Value, EvalError> {
    let n = strict_number("round", 0, arg("round", args, 0)?)?;
    let d = whole("round", 1, arg("round", args, 1)?)?;
    if d > 15 {
        return number_result("round", n);
    }
    let d = i32::try_from(d.max(-300)).unwrap_or(-300);
    let x = if d >= 0 {
        let f = 10f64.powi(d);
        (n * f).round() / f
    } else {
        let f = 10f64.powi(-d);
        (n / f).round() * f
    };
    number_result("round", x)
}

/// `arraySum(a)` and its kin: a list of numbers, never empty ("Empty arrays make
/// arraySum/arrayMin/arrayMax/arrayMedian/arrayMultiply fail at runtime").
fn list_aggregate(function: &str, args: &[Value]) -> Result<Value, EvalError> {
    let items = list(function, 0, arg(function, args, 0)?)?;
    if items.is_empty() {
        return Err(type_err(
            function,
            format!("the list is empty, and Wix fails {function} on an empty list"),
        ));
    }
    let xs = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_f64().ok_or_else(|| {
                type_err(
                    function,
                    format!(
                        "item {} of the list is {}, not a number",
                        i + 1,
                        describe(v)
                    ),
                )
            })
        })
        .collect::<Result<Vec<f64>, EvalError>>()?;
    aggregate(function, &xs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(name: &str, args: Value) -> Result<Value, EvalError> {
        let args = args.as_array().cloned().unwrap_or_default();
        apply(name, &args).unwrap_or_else(|| panic!("{name} is not a math function"))
    }
    fn fails(name: &str, args: Value) -> String {
        match run(name, args) {
            Ok(v) => panic!("{name} gave {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn arithmetic_on_numbers() {
        assert_eq!(run("sum", json!([1, 2, 3.5])), Ok(json!(6.5)));
        assert_eq!(run("subtract", json!([10, 4])), Ok(json!(6)));
        assert_eq!(run("multiply", json!([2, 3, 4])), Ok(json!(24)));
        assert_eq!(run("divide", json!([8, 100])), Ok(json!(0.08)));
        assert_eq!(run("divide", json!([1, 2])), Ok(json!(0.5)));
        assert_eq!(run("mod", json!([7, 3])), Ok(json!(1)));
        assert_eq!(run("mod", json!([-7, 3])), Ok(json!(-1)));
        assert_eq!(run("abs", json!([-3])), Ok(json!(3)));
        assert_eq!(run("average", json!([1, 2, 3, 4])), Ok(json!(2.5)));
        assert_eq!(run("min", json!([3, -1, 2])), Ok(json!(-1)));
        assert_eq!(run("max", json!([3, -1, 2])), Ok(json!(3)));
        assert_eq!(run("median", json!([5, 1, 3])), Ok(json!(3)));
        assert_eq!(run("median", json!([4, 1, 3, 2])), Ok(json!(2.5)));
        assert_eq!(run("min", json!([7])), Ok(json!(7)));
    }

    #[test]
    fn round_takes_decimals() {
        assert_eq!(run("round", json!([12.345, 2])), Ok(json!(12.35)));
        assert_eq!(run("round", json!([2.5, 0])), Ok(json!(3)));
        assert_eq!(run("round", json!([-2.5, 0])), Ok(json!(-3)));
        assert_eq!(run("round", json!([1234, -2])), Ok(json!(1200)));
        assert_eq!(run("round", json!([1.25, 40])), Ok(json!(1.25)));
        assert_eq!(run("round", json!([5, -400])), Ok(json!(0)));
        let m = fails("round", json!([1.5, 0.5]));
        assert!(
            m.starts_with("round: the 2nd argument") && m.contains("whole"),
            "{m}"
        );
    }

    #[test]
    fn comparisons_give_booleans() {
        assert_eq!(run("eq", json!([2, 2.0])), Ok(json!(true)));
        assert_eq!(run("gt", json!([3, 2])), Ok(json!(true)));
        assert_eq!(run("gte", json!([2, 2])), Ok(json!(true)));
        assert_eq!(run("lt", json!([3, 2])), Ok(json!(false)));
        assert_eq!(run("lte", json!([3, 2])), Ok(json!(false)));
    }

    #[test]
    fn numbers_only_and_the_message_says_to_number() {
        let m = fails("multiply", json!(["19.99", 2]));
        assert!(
            m.starts_with("multiply: the 1st argument is the text \"19.99\""),
            "{m}"
        );
        assert!(m.contains("toNumber"), "{m}");
        let m = fails("gt", json!([1, "2"]));
        assert!(m.starts_with("gt: the 2nd argument"), "{m}");
        let m = fails("abs", json!([true]));
        assert!(
            m.starts_with("abs: the 1st argument is the boolean true"),
            "{m}"
        );
    }

    #[test]
    fn division_by_zero_is_an_error() {
        assert_eq!(
            fails("divide", json!([1, 0])),
            "divide: cannot divide by zero"
        );
        assert_eq!(fails("mod", json!([1, 0])), "mod: cannot divide by zero");
        assert_eq!(run("subtract", json!([1, 0])), Ok(json!(1)));
    }

    #[test]
    fn overflow_is_an_error() {
        let m = fails("multiply", json!([1e300, 1e300]));
        assert_eq!(m, "multiply: the result is not a finite number");
    }

    #[test]
    fn list_aggregates() {
        assert_eq!(run("arraySize", json!([[1, "a", null]])), Ok(json!(3)));
        assert_eq!(run("arraySize", json!([[]])), Ok(json!(0)));
        assert_eq!(run("arraySum", json!([[1, 2, 3]])), Ok(json!(6)));
        assert_eq!(run("arrayMultiply", json!([[2, 5]])), Ok(json!(10)));
        assert_eq!(run("arrayAverage", json!([[2, 4]])), Ok(json!(3)));
        assert_eq!(run("arrayMin", json!([[2, 4]])), Ok(json!(2)));
        assert_eq!(run("arrayMax", json!([[2, 4]])), Ok(json!(4)));
        assert_eq!(run("arrayMedian", json!([[9, 2, 4]])), Ok(json!(4)));
    }

    #[test]
    fn empty_lists_fail_the_aggregates() {
        for f in [
            "arraySum",
            "arrayMin",
            "arrayMax",
            "arrayMedian",
            "arrayMultiply",
            "arrayAverage",
        ] {
            let m = fails(f, json!([[]]));
            assert_eq!(
                m,
                format!("{f}: the list is empty, and Wix fails {f} on an empty list")
            );
        }
    }

    #[test]
    fn list_items_must_be_numbers() {
        let m = fails("arraySum", json!([[1, "2"]]));
        assert_eq!(
            m,
            "arraySum: item 2 of the list is the text \"2\", not a number"
        );
        let m = fails("arraySize", json!(["abc"]));
        assert_eq!(
            m,
            "arraySize: the 1st argument is the text \"abc\", not a list"
        );
    }

    #[test]
    fn other_names_are_not_math() {
        assert!(apply("concat", &[]).is_none());
    }
}
