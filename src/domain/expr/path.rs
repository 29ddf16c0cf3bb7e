//! Dotted paths into the payload, `contact.name.first`, as `var` reads them: a segment may hold
//! hyphens; a path never crosses an array (facts §3.2: "no element access in any form").

use crate::domain::expr::EvalError;
use serde_json::Value;

/// The value at `path` under `root`, or why there is none.
pub(crate) fn lookup<'v>(root: &'v Value, path: &str) -> Result<&'v Value, EvalError> {
    let missing = |detail: Option<String>| EvalError::Missing {
        path: path.to_string(),
        detail,
    };
    if path.is_empty() {
        return Err(missing(Some("the path is empty".into())));
    }
    let mut at = root;
    let mut walked = String::new();
    for seg in path.split('.') {
        if seg.is_empty() {
            return Err(missing(Some("the path has an empty segment".into())));
        }
        at = match at {
            Value::Object(o) => match o.get(seg) {
                Some(v) => v,
                None if walked.is_empty() => return Err(missing(None)),
                None => return Err(missing(Some(format!("{walked} has no field {seg}")))),
            },
            Value::Array(_) => {
                let place = if walked.is_empty() {
                    "the payload"
                } else {
                    &walked
                };
                return Err(missing(Some(format!(
                    "{place} is a list, and a path cannot cross a list (read its items with arrayMap)"
                ))));
            }
            other => {
                let place = if walked.is_empty() {
                    "the payload"
                } else {
                    &walked
                };
                return Err(missing(Some(format!(
                    "{place} is {}, which has no fields",
                    kind(other)
                ))));
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(seg);
    }
    Ok(at)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What is wrong with how a path is written, as the builder sees it: element access
/// (`items[0]`, `items.0.name`), a space inside a segment, an empty segment.
pub(crate) fn shape_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("the path is empty".into());
    }
    if path.contains('[') || path.contains(']') {
        return Some(format!(
            "{path} reads a list item: Wix has no element access; read the list, or its items with arrayMap"
        ));
    }
    for seg in path.split('.') {
        if seg.is_empty() {
            return Some(format!("{path} has an empty segment"));
        }
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!(
                "{path} reads list item {seg}: Wix has no element access; read the list, or its items with arrayMap"
            ));
        }
        if seg.chars().any(char::is_whitespace) {
            return Some(format!("{path} has a space inside the segment {seg:?}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(r: Result<&Value, EvalError>) -> Option<String> {
        match r {
            Err(EvalError::Missing { detail, .. }) => detail,
            other => panic!("expected Missing, got {other:?}"),
        }
    }

    #[test]
    fn reads_nested_fields_with_hyphens() {
        let p = json!({"contact": {"name": {"first": "Ada"}}, "createTask-1": {"taskId": "t1"}});
        assert_eq!(lookup(&p, "contact.name.first"), Ok(&json!("Ada")));
        assert_eq!(lookup(&p, "createTask-1.taskId"), Ok(&json!("t1")));
        assert_eq!(
            lookup(&p, "contact"),
            Ok(&json!({"name": {"first": "Ada"}}))
        );
    }

    #[test]
    fn null_is_a_value() {
        let p = json!({"a": null});
        assert_eq!(lookup(&p, "a"), Ok(&Value::Null));
    }

    #[test]
    fn an_absent_field_is_missing_and_named() {
        let p = json!({"contact": {"name": {}}});
        let e = lookup(&p, "email").expect_err("missing");
        assert_eq!(e.to_string(), "var(\"email\") has no value in the payload");
        let e = lookup(&p, "contact.name.first").expect_err("missing");
        assert_eq!(
            e.to_string(),
            "var(\"contact.name.first\") has no value: contact.name has no field first"
        );
    }

    #[test]
    fn a_path_never_crosses_a_list() {
        let p = json!({"items": [{"name": "a"}]});
        let d = detail(lookup(&p, "items.name")).expect("a detail");
        assert!(
            d.contains("items is a list") && d.contains("arrayMap"),
            "{d}"
        );
        let d = detail(lookup(&p, "items.0.name")).expect("a detail");
        assert!(d.contains("items is a list"), "{d}");
        assert_eq!(lookup(&p, "items"), Ok(&json!([{"name": "a"}])));
        let d = detail(lookup(&json!([1]), "a")).expect("a detail");
        assert!(d.contains("the payload is a list"), "{d}");
    }

    #[test]
    fn scalars_have_no_fields() {
        let p = json!({"total": "12.50"});
        let d = detail(lookup(&p, "total.value")).expect("a detail");
        assert_eq!(d, "total is text, which has no fields");
    }

    #[test]
    fn odd_paths_are_missing_not_panics() {
        let p = json!({"a": {"b": 1}});
        for path in ["", ".", "a.", ".a", "a..b", "a.b.c.d.e", "日本"] {
            assert!(lookup(&p, path).is_err(), "{path}");
        }
    }

    #[test]
    fn knows_the_shapes_the_builder_rejects() {
        assert_eq!(shape_problem("contact.name-first"), None);
        assert!(shape_problem("items[0]").is_some_and(|m| m.contains("element access")));
        assert!(shape_problem("items.0.name").is_some_and(|m| m.contains("list item 0")));
        assert!(shape_problem("first name").is_some_and(|m| m.contains("space")));
        assert!(shape_problem("a..b").is_some_and(|m| m.contains("empty segment")));
        assert!(shape_problem("").is_some());
    }
}
