//! Every function Wix has: its arity, which vocabulary it belongs to (formula fields, facts
//! §3.2; conditions, §3.4), the kinds it takes and gives (for `check`), and what to say about a
//! name Wix does not have.

use serde_json::Value;

/// Which list a function is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vocab {
    /// The formula list (mappings, variables, delays): facts §3.2.
    Formula,
    /// The condition list only: facts §3.4.
    Condition,
    /// On both lists.
    Both,
}

/// A value's kind as far as `check` can tell without a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Number,
    Bool,
    Text,
    List,
    Any,
}

impl Ty {
    /// The kind of a literal.
    pub(crate) fn of(v: &Value) -> Ty {
        match v {
            Value::Number(_) => Ty::Number,
            Value::Bool(_) => Ty::Bool,
            Value::String(_) => Ty::Text,
            Value::Array(_) => Ty::List,
            Value::Null | Value::Object(_) => Ty::Any,
        }
    }

    pub(crate) fn words(self) -> &'static str {
        match self {
            Ty::Number => "a number",
            Ty::Bool => "true or false",
            Ty::Text => "text",
            Ty::List => "a list",
            Ty::Any => "a value",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub name: &'static str,
    pub min: usize,
    /// `None`: any number from `min` up.
    pub max: Option<usize>,
    pub vocab: Vocab,
    /// What each argument must be; the last kind repeats for further arguments.
    pub takes: &'static [Ty],
    pub gives: Ty,
}

impl Spec {
    /// The kind the argument at `i` must be.
    pub(crate) fn takes_at(&self, i: usize) -> Ty {
        self.takes
            .get(i)
            .or(self.takes.last())
            .copied()
            .unwrap_or(Ty::Any)
    }
}

const fn spec(
    name: &'static str,
    min: usize,
    max: Option<usize>,
    vocab: Vocab,
    takes: &'static [Ty],
    gives: Ty,
) -> Spec {
    Spec {
        name,
        min,
        max,
        vocab,
        takes,
        gives,
    }
}

use Ty::{Any, Bool, List, Number, Text};
use Vocab::{Both, Condition, Formula};

const N: &[Ty] = &[Number];
const B: &[Ty] = &[Bool];
const T: &[Ty] = &[Text];
const L: &[Ty] = &[List];
const A: &[Ty] = &[Any];
const LA: &[Ty] = &[List, Any];
const DATE_SHIFT: &[Ty] = &[Any, Number, Number, Number];

/// Every function, with the arities Wix states (facts §3.2, "Arity, verbatim").
pub(crate) const SPECS: &[Spec] = &[
    // Math.
    spec("sum", 2, None, Formula, N, Number),
    spec("subtract", 2, Some(2), Formula, N, Number),
    spec("multiply", 2, None, Formula, N, Number),
    spec("divide", 2, Some(2), Formula, N, Number),
    spec("average", 1, None, Formula, N, Number),
    spec("min", 1, None, Formula, N, Number),
    spec("max", 1, None, Formula, N, Number),
    spec("median", 1, None, Formula, N, Number),
    spec("mod", 2, Some(2), Formula, N, Number),
    spec("round", 2, Some(2), Formula, N, Number),
    spec("abs", 1, Some(1), Formula, N, Number),
    spec("eq", 2, Some(2), Formula, N, Bool),
    spec("gt", 2, Some(2), Formula, N, Bool),
    spec("gte", 2, Some(2), Formula, N, Bool),
    spec("lt", 2, Some(2), Formula, N, Bool),
    spec("lte", 2, Some(2), Formula, N, Bool),
    // Lists.
    spec("arraySize", 1, Some(1), Formula, L, Number),
    spec("arraySum", 1, Some(1), Formula, L, Number),
    spec("arrayMultiply", 1, Some(1), Formula, L, Number),
    spec("arrayAverage", 1, Some(1), Formula, L, Number),
    spec("arrayMin", 1, Some(1), Formula, L, Number),
    spec("arrayMax", 1, Some(1), Formula, L, Number),
    spec("arrayMedian", 1, Some(1), Formula, L, Number),
    spec("arrayMap", 2, Some(2), Both, &[List, Text], List),
    // Text.
    spec("concat", 2, None, Formula, A, Text),
    spec(
        "substring",
        3,
        Some(3),
        Formula,
        &[Text, Number, Number],
        Text,
    ),
    spec("lower", 1, Some(1), Formula, T, Text),
    spec("upper", 1, Some(1), Formula, T, Text),
    spec("stringLen", 1, Some(1), Formula, T, Number),
    spec("stringEq", 2, Some(2), Both, A, Bool),
    spec("stringHasSubString", 2, Some(2), Both, A, Bool),
    spec("startsWith", 2, Some(2), Formula, T, Bool),
    spec("endsWith", 2, Some(2), Formula, T, Bool),
    spec("isEmptyString", 1, Some(1), Formula, A, Bool),
    // Dates.
    spec("hour", 1, Some(1), Formula, A, Number),
    spec("minute", 1, Some(1), Formula, A, Number),
    spec("year", 1, Some(1), Formula, A, Number),
    spec("month", 1, Some(1), Formula, A, Number),
    spec("day", 1, Some(1), Formula, A, Number),
    spec("weekDay", 1, Some(1), Formula, A, Text),
    spec("dateEq", 2, Some(2), Both, A, Bool),
    spec("dateBefore", 2, Some(2), Both, A, Bool),
    spec("dateAfter", 2, Some(2), Both, A, Bool),
    spec("dateTimeEq", 2, Some(2), Both, A, Bool),
    spec("dateTimeBefore", 2, Some(2), Both, A, Bool),
    spec("dateTimeAfter", 2, Some(2), Both, A, Bool),
    spec("addToDate", 4, Some(4), Formula, DATE_SHIFT, Text),
    spec("subtractFromDate", 4, Some(4), Formula, DATE_SHIFT, Text),
    spec("now", 0, Some(0), Formula, A, Text),
    // Format.
    spec("toString", 1, Some(1), Formula, A, Text),
    spec("toNumber", 1, Some(1), Formula, A, Number),
    // Logic.
    spec("if", 3, Some(3), Formula, &[Bool, Any], Any),
    spec("and", 2, None, Formula, B, Bool),
    spec("or", 2, None, Formula, B, Bool),
    spec("not", 1, Some(1), Both, B, Bool),
    spec("isEmpty", 1, Some(1), Both, A, Bool),
    // The condition vocabulary.
    spec("numberEq", 2, Some(2), Condition, A, Bool),
    spec("numberGt", 2, Some(2), Condition, A, Bool),
    spec("numberGte", 2, Some(2), Condition, A, Bool),
    spec("numberLt", 2, Some(2), Condition, A, Bool),
    spec("numberLte", 2, Some(2), Condition, A, Bool),
    spec("boolEq", 2, Some(2), Condition, A, Bool),
    spec("stringContains", 2, Some(2), Condition, LA, Bool),
    spec("numberContains", 2, Some(2), Condition, LA, Bool),
    spec("contains", 2, Some(2), Condition, LA, Bool),
    spec("arraySome", 2, Some(2), Condition, &[List, Bool], Bool),
    spec("arrayEvery", 2, Some(2), Condition, &[List, Bool], Bool),
    spec("arrayIncludesAnyOf", 2, Some(2), Condition, L, Bool),
    spec("arrayIncludesAllOf", 2, Some(2), Condition, L, Bool),
    spec("arrayIncludesOnly", 2, Some(2), Condition, L, Bool),
];

/// The function named `name`, exactly (names are case-sensitive).
pub(crate) fn find(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// "2 arguments", "at least 1 argument", "no arguments".
pub(crate) fn arity_words(min: usize, max: Option<usize>) -> String {
    let n = |k: usize| match k {
        0 => "no arguments".to_string(),
        1 => "1 argument".to_string(),
        k => format!("{k} arguments"),
    };
    match max {
        Some(m) if m == min => n(min),
        Some(m) => format!("{min} to {}", n(m)),
        None => format!("at least {}", n(min)),
    }
}

const TEXT_FUNCTIONS: &str =
    "its text functions are concat, substring, lower, upper, stringLen, startsWith, endsWith";

/// What to say about a function Wix does not have: the nearest known one, or what to use.
pub(crate) fn hint(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let said = match lower.as_str() {
        "trim" | "replace" | "split" | "join" | "indexof" | "regex" | "match" | "test" => {
            Some(TEXT_FUNCTIONS)
        }
        "add" | "plus" => Some("use sum(a;b)"),
        "adddays" | "addmonths" | "addyears" | "dateadd" => {
            Some("use addToDate(date;years;months;days)")
        }
        "equals" | "equal" | "eqs" => Some("use eq for numbers, stringEq for text"),
        "ceil" | "floor" | "trunc" => Some("round(n;decimals) is the only rounding"),
        "parseint" | "parsefloat" | "number" | "int" => Some("use toNumber"),
        "coalesce" | "ifnull" | "default" => Some("use if(isEmpty(a);b;a)"),
        "formatdate" | "date" | "format" => Some(
            "dates are ISO text; read their parts with year, month, day, hour, minute, weekDay",
        ),
        "length" | "len" | "size" | "count" => Some("use stringLen for text, arraySize for a list"),
        "filter" | "reduce" | "find" | "some" | "every" => {
            Some("for lists use arrayMap, or arraySome and arrayEvery in a condition")
        }
        "today" => Some("use now()"),
        _ => None,
    };
    if let Some(s) = said {
        return Some(s.to_string());
    }
    nearest(name).map(|n| format!("did you mean {n}?"))
}

/// The known name closest to `name`: the same letters in another case, or at most two edits.
fn nearest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    SPECS
        .iter()
        .map(|s| (edit_distance(&lower, &s.name.to_ascii_lowercase()), s.name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
        .or_else(|| (lower == "var").then_some("var"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let best = (prev + usize::from(ca != *cb))
                .min(above.saturating_add(1))
                .min(left.saturating_add(1));
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = best;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arities_are_the_ones_wix_states() {
        let a = |n: &str| find(n).map(|s| (s.min, s.max));
        for one in [
            "not",
            "toString",
            "toNumber",
            "upper",
            "lower",
            "stringLen",
            "abs",
            "isEmptyString",
            "isEmpty",
            "arraySize",
            "arraySum",
            "arrayMultiply",
            "arrayAverage",
            "arrayMin",
            "arrayMax",
            "arrayMedian",
        ] {
            assert_eq!(a(one), Some((1, Some(1))), "{one}");
        }
        for two in [
            "eq", "gt", "gte", "lt", "lte", "round", "subtract", "divide", "mod", "arrayMap",
        ] {
            assert_eq!(a(two), Some((2, Some(2))), "{two}");
        }
        for three in ["if", "substring"] {
            assert_eq!(a(three), Some((3, Some(3))), "{three}");
        }
        assert_eq!(a("addToDate"), Some((4, Some(4))));
        assert_eq!(a("subtractFromDate"), Some((4, Some(4))));
        assert_eq!(a("now"), Some((0, Some(0))));
        for many in ["and", "or", "concat", "sum", "multiply"] {
            assert_eq!(a(many), Some((2, None)), "{many}");
        }
        for some in ["min", "max", "average", "median"] {
            assert_eq!(a(some), Some((1, None)), "{some}");
        }
    }

    #[test]
    fn names_are_unique_and_case_sensitive() {
        for (i, s) in SPECS.iter().enumerate() {
            assert!(
                SPECS.iter().skip(i + 1).all(|t| t.name != s.name),
                "{}",
                s.name
            );
        }
        assert!(find("toNumber").is_some());
        assert!(find("tonumber").is_none());
    }

    #[test]
    fn vocabularies_follow_the_facts() {
        assert_eq!(find("numberGt").map(|s| s.vocab), Some(Vocab::Condition));
        assert_eq!(find("sum").map(|s| s.vocab), Some(Vocab::Formula));
        assert_eq!(find("stringEq").map(|s| s.vocab), Some(Vocab::Both));
        assert_eq!(find("isEmpty").map(|s| s.vocab), Some(Vocab::Both));
    }

    #[test]
    fn arity_in_words() {
        assert_eq!(arity_words(0, Some(0)), "no arguments");
        assert_eq!(arity_words(1, Some(1)), "1 argument");
        assert_eq!(arity_words(2, None), "at least 2 arguments");
        assert_eq!(arity_words(1, Some(3)), "1 to 3 arguments");
    }

    #[test]
    fn hints_for_names_wix_does_not_have() {
        assert!(hint("trim").is_some_and(|h| h.contains("concat")));
        assert!(hint("replace").is_some_and(|h| h.contains("text functions")));
        assert_eq!(hint("add").as_deref(), Some("use sum(a;b)"));
        assert!(hint("addDays").is_some_and(|h| h.contains("addToDate")));
        assert!(hint("floor").is_some_and(|h| h.contains("round")));
        assert_eq!(hint("tonumber").as_deref(), Some("did you mean toNumber?"));
        assert_eq!(hint("concatt").as_deref(), Some("did you mean concat?"));
        assert_eq!(hint("Var").as_deref(), Some("did you mean var?"));
        assert_eq!(hint("stringEquals").as_deref(), None);
        assert_eq!(hint("xyzzy"), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }
}
