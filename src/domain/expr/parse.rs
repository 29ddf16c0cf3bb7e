//! Reading a field value: plain text and `{{…}}` parts, and the expression inside each. The
//! parser accepts the lax forms of older automations and notes each one, for `check`.

use crate::domain::expr::grammar::{Note, Parser};
use crate::domain::expr::{Expr, ParseError, Part, Text};

/// A whole value as written, with a [`Note`] for each lax form in it.
pub(crate) struct Parsed {
    pub text: Text,
    pub notes: Vec<Note>,
}

/// Parses a whole field value, e.g. `Hi {{var("a")}}!`: the text around the braces is kept as
/// written, each `{{…}}` must hold exactly one expression.
pub fn parse_text(s: &str) -> Result<Text, ParseError> {
    parse_text_noted(s).map(|p| p.text)
}

/// Parses what stands inside `{{ }}`.
pub fn parse_expr(s: &str) -> Result<Expr, ParseError> {
    parse_expr_noted(s).map(|(e, _)| e)
}

pub(crate) fn parse_expr_noted(s: &str) -> Result<(Expr, Vec<Note>), ParseError> {
    let mut p = Parser::new(s);
    let e = p.expression()?;
    match p.peek() {
        None => Ok((e, p.notes)),
        Some(c) => Err(p.error(format!("unexpected `{c}` after the expression"))),
    }
}

pub(crate) fn parse_text_noted(s: &str) -> Result<Parsed, ParseError> {
    let mut p = Parser::new(s);
    let mut parts = Vec::new();
    let mut text = String::new();
    while let Some(c) = p.peek() {
        if !p.at("{{") {
            text.push(c);
            p.pos += 1;
            continue;
        }
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        let open = p.pos;
        p.pos += 2;
        let start = p.pos;
        let expr = p.expression()?;
        if !p.at("}}") {
            return Err(match p.peek() {
                None => p.error(format!("the {{{{ at character {open} is never closed")),
                Some(c) => p.error(format!(
                    "expected }}}} to close the {{{{ at character {open}, found `{c}`"
                )),
            });
        }
        let source = p.slice(start, p.pos);
        p.pos += 2;
        parts.push(Part::Expr { expr, source });
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(Parsed {
        text: Text { parts },
        notes: p.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::expr::grammar::Lax;
    use serde_json::{Value, json};

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call {
            name: name.into(),
            args,
        }
    }
    fn var(p: &str) -> Expr {
        Expr::Var(p.into())
    }
    fn lit(v: Value) -> Expr {
        Expr::Literal(v)
    }
    fn lax_of(s: &str) -> Vec<Lax> {
        match parse_text_noted(s) {
            Ok(p) => p.notes.into_iter().map(|n| n.lax).collect(),
            Err(e) => panic!("{s}: {e}"),
        }
    }
    fn err(s: &str) -> ParseError {
        match parse_text(s) {
            Ok(t) => panic!("{s} parsed as {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn text_with_embedded_expressions() {
        let t = parse_text(
            "Hi {{var(\"contact.name.first\")}}, your total is {{toString(var(\"total\"))}}",
        )
        .expect("parses");
        assert_eq!(
            t.parts,
            vec![
                Part::Text("Hi ".into()),
                Part::Expr {
                    expr: var("contact.name.first"),
                    source: "var(\"contact.name.first\")".into()
                },
                Part::Text(", your total is ".into()),
                Part::Expr {
                    expr: call("toString", vec![var("total")]),
                    source: "toString(var(\"total\"))".into()
                },
            ]
        );
        assert_eq!(parse_text("").map(|t| t.parts), Ok(vec![]));
        assert_eq!(
            parse_text("no braces }} here").map(|t| t.parts),
            Ok(vec![Part::Text("no braces }} here".into())])
        );
        let two = parse_text("{{1}}{{2}}").expect("parses");
        assert_eq!(two.parts.len(), 2);
    }

    #[test]
    fn a_literal_may_hold_closing_braces() {
        let t = parse_text("{{\"a}}b\"}}").expect("parses");
        assert_eq!(t.single(), Some(&lit(json!("a}}b"))));
    }

    #[test]
    fn lax_forms_parse_and_are_noted() {
        assert_eq!(parse_expr(" var(contact.email) "), Ok(var("contact.email")));
        assert_eq!(
            lax_of("{{ var(contact.email) }}"),
            vec![
                Lax::Whitespace,
                Lax::UnquotedPath("contact.email".into()),
                Lax::Whitespace
            ]
        );
        assert_eq!(parse_expr("var('x')"), Ok(var("x")));
        assert_eq!(lax_of("{{var('x')}}"), vec![Lax::SingleQuotes]);
        assert_eq!(parse_expr("someBooleanField"), Ok(var("someBooleanField")));
        assert_eq!(
            lax_of("{{contact.birthdate}}"),
            vec![Lax::BareField("contact.birthdate".into())]
        );
        assert_eq!(
            parse_expr(" 18238348023423 "),
            Ok(lit(json!(18_238_348_023_423_i64)))
        );
        assert_eq!(
            parse_expr("multiply( var('account.points.balance') ;2 )"),
            Ok(call(
                "multiply",
                vec![var("account.points.balance"), lit(json!(2))]
            ))
        );
        assert_eq!(
            parse_expr(" contains([\"guid1\",\"guid2\"];formId) "),
            Ok(call(
                "contains",
                vec![lit(json!(["guid1", "guid2"])), var("formId")]
            ))
        );
        assert_eq!(lax_of("{{0.5}}"), vec![Lax::NumberForm("0.5".into())]);
        assert_eq!(lax_of("{{1e3}}"), vec![Lax::NumberForm("1e3".into())]);
        assert_eq!(lax_of("{{\" - \"}}"), vec![Lax::NotEncoded(" - ".into())]);
        assert_eq!(
            lax_of("{{\"100%\"}}"),
            vec![Lax::StrayPercent("100%".into())]
        );
    }

    #[test]
    fn builder_forms_leave_no_note() {
        for s in [
            "{{stringEq(var(\"customer_tier\");\"premium\")}}",
            "{{numberGt(var(\"order_count\");5)}}",
            "{{multiply(toNumber(var(\"totals.subtotal\"));divide(8;100))}}",
            "Dear {{var(\"contact.name.first\")}},",
            "{{dateTimeEq(var(\"f\");\"2026-12-31T23%3A59%3A00%2B02%3A00\")}}",
            "{{-3}}",
        ] {
            assert_eq!(lax_of(s), vec![], "{s}");
        }
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = err("Hi {{var(\"a\")");
        assert_eq!(e.at, 13);
        assert!(
            e.message.contains("the {{ at character 3 is never closed"),
            "{e}"
        );
        let e = err("{{var(\"a)}}");
        assert_eq!(e.at, 6);
        assert!(e.message.contains("string starting at character 6"), "{e}");
        let e = err("{{}}");
        assert!(e.message.contains("empty expression"), "{e}");
        let e = err("{{concat(\"a\", \"b\")}}");
        assert!(
            e.message.contains("concat") && e.message.contains("`;`"),
            "{e}"
        );
        let e = err("{{var(\"a\";\"b\")}}");
        assert!(e.message.contains("var takes one path"), "{e}");
        let e = err("{{var()}}");
        assert!(e.message.contains("var needs a path"), "{e}");
        let e = err("{{sum(1;;2)}}");
        assert!(e.message.contains("argument is missing"), "{e}");
        let e = err("{{[var(\"a\")]}}");
        assert!(e.message.contains("literals only"), "{e}");
        let e = err("{{[1;2]}}");
        assert!(e.message.contains("separated by `,`"), "{e}");
        let e = err("{{sum(1;2}}");
        assert!(e.message.contains("sum"), "{e}");
        let e = err("{{1 2}}");
        assert!(e.message.contains("found `2`"), "{e}");
        let e = err("{{$x}}");
        assert!(e.message.contains("$_"), "{e}");
        let e = err("{{-}}");
        assert!(e.message.contains("`-` is not a number"), "{e}");
        let e = err("{{@}}");
        assert!(e.message.contains("unexpected `@`"), "{e}");
        assert!(parse_expr("1 2").is_err());
        assert!(parse_expr("").is_err());
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let e = err("é {{\"x}}");
        assert_eq!(e.at, 4);
    }

    #[test]
    fn odd_input_never_panics() {
        let odd = [
            "{{",
            "}}",
            "{{{",
            "{{{{}}}}",
            "{{\"",
            "{{'",
            "{{[",
            "{{(",
            "{{)",
            "{{;",
            "{{$",
            "{{$_",
            "{{-",
            "{{.",
            "{{e",
            "{{1e",
            "{{1e+",
            "{{--1}}",
            "{{..}}",
            "{{%}}",
            "{{\"%\"}}",
            "{{\"%F\"}}",
            "{{var(}}",
            "{{var(\"}}",
            "{{var(a}}",
            "{{f(}}",
            "{{f(1}}",
            "{{f(1;}}",
            "{{[1,}}",
            "{{[,]}}",
            "\u{0}{{\u{0}}}",
            "{{é}}",
            "{{日本(1)}}",
            "{{ }}",
            "{{\t1\n}}",
            "{{$_x}}",
            "{{$__}}",
        ];
        for s in odd {
            let _ = parse_text(s);
            let _ = parse_expr(s);
        }
    }
}
