//! The grammar inside `{{ }}`: literals, `var(…)`, `$_`, calls with `;` between arguments,
//! lists with `,`. Lax forms are accepted and noted (see [`Lax`]).

use crate::domain::expr::literal::{
    builder_number_form, has_stray_percent, needs_encoding, number_literal, percent_decode,
};
use crate::domain::expr::{Expr, ParseError};
use serde_json::Value;

/// How deep calls and lists may nest; deeper input is refused rather than overflowing the stack.
const MAX_DEPTH: usize = 64;

/// A character that may stand in an unquoted path: `contact.name-first`.
fn path_char(c: char) -> bool {
    !c.is_whitespace() && !"()[]{};,\"'".contains(c)
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A form the runtime may take and the builder rejects (facts §3.1, §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lax {
    /// Whitespace outside string literals.
    Whitespace,
    /// `'x'` instead of `"x"`.
    SingleQuotes,
    /// `var(contact.email)`.
    UnquotedPath(String),
    /// `{{someField}}` for `var("someField")`.
    BareField(String),
    /// A number the builder never writes: `0.5`, `.5`, `05`, `1e3`.
    NumberForm(String),
    /// A string literal with characters `encodeURIComponent` would have encoded.
    NotEncoded(String),
    /// A `%` not followed by two hex digits in a string literal.
    StrayPercent(String),
}

/// A lax form and where it starts (character offset in the parsed text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Note {
    pub at: usize,
    pub lax: Lax,
}

/// A cursor over the characters of a value; `parse` drives it through the text and hands it
/// each `{{…}}`.
pub(crate) struct Parser {
    chars: Vec<char>,
    pub(crate) pos: usize,
    depth: usize,
    pub(crate) notes: Vec<Note>,
}

impl Parser {
    pub(crate) fn new(s: &str) -> Self {
        Parser {
            chars: s.chars().collect(),
            pos: 0,
            depth: 0,
            notes: Vec::new(),
        }
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    pub(crate) fn at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    pub(crate) fn slice(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to)
            .map(|cs| cs.iter().collect())
            .unwrap_or_default()
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            at,
            message: message.into(),
        }
    }

    fn note(&mut self, at: usize, lax: Lax) {
        self.notes.push(Note { at, lax });
    }

    fn skip_ws(&mut self) {
        if self.peek().is_some_and(char::is_whitespace) {
            self.note(self.pos, Lax::Whitespace);
        }
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// One expression with the whitespace around it.
    pub(crate) fn expression(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let e = self.primary()?;
        self.skip_ws();
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(c) = self.peek() else {
            return Err(self.error("the expression ends where a value should be"));
        };
        match c {
            '"' | '\'' => self.string().map(|s| Expr::Literal(Value::String(s))),
            '[' => self.nested(Parser::list),
            '$' => self.item(),
            '0'..='9' | '-' | '.' => self.number(),
            c if c.is_alphabetic() || c == '_' => self.word(),
            '}' if self.at("}}") => {
                Err(self.error("empty expression: write a value between {{ and }}"))
            }
            ';' | ')' => Err(self.error("an argument is missing here")),
            c => Err(self.error(format!("unexpected `{c}` where a value should be"))),
        }
    }

    /// Runs `f` one level deeper, refusing input nested beyond [`MAX_DEPTH`].
    fn nested(
        &mut self,
        f: fn(&mut Parser) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nested more than {MAX_DEPTH} deep")));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// A quoted string, returned decoded.
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let raw = self.quoted()?;
        if has_stray_percent(&raw) {
            self.note(start, Lax::StrayPercent(raw.clone()));
        }
        if needs_encoding(&raw) {
            self.note(start, Lax::NotEncoded(raw.clone()));
        }
        Ok(percent_decode(&raw))
    }

    /// The text between a pair of quotes, as written. No escapes: a quote inside a literal is
    /// stored encoded (`%22`).
    fn quoted(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        let Some(quote) = self.peek() else {
            return Err(self.error("expected a string"));
        };
        if quote == '\'' {
            self.note(open, Lax::SingleQuotes);
        }
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == quote {
                let raw = self.slice(start, self.pos);
                self.pos += 1;
                return Ok(raw);
            }
            self.pos += 1;
        }
        Err(self.error_at(
            open,
            format!("the string starting at character {open} is never closed"),
        ))
    }

    fn item(&mut self) -> Result<Expr, ParseError> {
        if self.at("$_") && !self.peek_at(2).is_some_and(path_char) {
            self.pos += 2;
            return Ok(Expr::Item);
        }
        Err(self.error("only `$_` (the current item) starts with `$`"))
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while let Some(c) = self.peek() {
            let after_e = matches!(
                self.pos.checked_sub(1).and_then(|i| self.chars.get(i)),
                Some('e' | 'E')
            );
            let sign_ok = (c == '+' || c == '-') && after_e;
            if c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || sign_ok {
                self.pos += 1;
            } else {
                break;
            }
        }
        let raw = self.slice(start, self.pos);
        let Some(v) = number_literal(&raw) else {
            return Err(self.error_at(start, format!("`{raw}` is not a number")));
        };
        if !builder_number_form(&raw) {
            self.note(start, Lax::NumberForm(raw));
        }
        Ok(Expr::Literal(v))
    }

    /// A name: a call when `(` follows, `true`/`false`, else a bare field (a lax `var`).
    fn word(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(ident_char) {
            self.pos += 1;
        }
        let name = self.slice(start, self.pos);
        let after_name = self.pos;
        self.skip_ws();
        if self.peek() == Some('(') {
            self.pos += 1;
            return if name == "var" {
                self.var_call(start)
            } else {
                self.call(name, start)
            };
        }
        self.pos = after_name;
        if self.notes.last().is_some_and(|n| n.at == after_name) {
            self.notes.pop();
        }
        while self.peek().is_some_and(path_char) {
            self.pos += 1;
        }
        let path = self.slice(start, self.pos);
        match path.as_str() {
            "true" => Ok(Expr::Literal(Value::Bool(true))),
            "false" => Ok(Expr::Literal(Value::Bool(false))),
            _ => {
                self.note(start, Lax::BareField(path.clone()));
                Ok(Expr::Var(percent_decode(&path)))
            }
        }
    }

    /// `var(` already read: one path, quoted or (lax) not, then `)`.
    fn var_call(&mut self, open: usize) -> Result<Expr, ParseError> {
        self.skip_ws();
        let path = match self.peek() {
            Some('"' | '\'') => self.quoted()?,
            Some(c) if path_char(c) => {
                let start = self.pos;
                while self.peek().is_some_and(path_char) {
                    self.pos += 1;
                }
                let path = self.slice(start, self.pos);
                self.note(start, Lax::UnquotedPath(path.clone()));
                path
            }
            _ => return Err(self.error("var needs a path: var(\"field.name\")")),
        };
        self.skip_ws();
        match self.peek() {
            Some(')') => {
                self.pos += 1;
                Ok(Expr::Var(percent_decode(&path)))
            }
            Some(';') => Err(self.error("var takes one path, not several")),
            None => Err(self.error(format!("the ( of var at character {open} is never closed"))),
            Some(c) => Err(self.error(format!("expected ) after the path of var, found `{c}`"))),
        }
    }

    /// `name(` already read: arguments separated by `;`, then `)`.
    fn call(&mut self, name: String, open: usize) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nested more than {MAX_DEPTH} deep")));
        }
        self.depth += 1;
        let r = self.call_args(&name, open);
        self.depth -= 1;
        r.map(|args| Expr::Call { name, args })
    }

    fn call_args(&mut self, name: &str, open: usize) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expression()?);
            match self.peek() {
                Some(';') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(args);
                }
                Some(',') => {
                    return Err(self.error(format!(
                        "the arguments of {name} are separated by `;`, not `,`"
                    )));
                }
                None => {
                    return Err(self.error(format!(
                        "the ( of {name} at character {open} is never closed"
                    )));
                }
                Some(c) => {
                    return Err(self.error(format!(
                        "expected ; or ) in the arguments of {name}, found `{c}`"
                    )));
                }
            }
        }
    }

    /// `[literal, literal, …]`: a list holds literals only.
    fn list(&mut self) -> Result<Expr, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Expr::Literal(Value::Array(items)));
        }
        loop {
            self.skip_ws();
            let at = self.pos;
            match self.primary()? {
                Expr::Literal(v) => items.push(v),
                _ => {
                    return Err(self.error_at(
                        at,
                        "a list holds literals only (strings, numbers, booleans, lists)",
                    ));
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(Expr::Literal(Value::Array(items)));
                }
                Some(';') => return Err(self.error("list items are separated by `,`, not `;`")),
                None => {
                    return Err(self.error(format!("the [ at character {open} is never closed")));
                }
                Some(c) => {
                    return Err(self.error(format!("expected , or ] in a list, found `{c}`")));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::expr::parse::{parse_expr, parse_text};
    use crate::domain::expr::{Expr, ParseError};
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
    fn err(s: &str) -> ParseError {
        match parse_text(s) {
            Ok(t) => panic!("{s} parsed as {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn literals_from_the_syntax_table() {
        assert_eq!(parse_expr("\"text\""), Ok(lit(json!("text"))));
        assert_eq!(parse_expr("10"), Ok(lit(json!(10))));
        assert_eq!(parse_expr("-3"), Ok(lit(json!(-3))));
        assert_eq!(parse_expr("12.5"), Ok(lit(json!(12.5))));
        assert_eq!(parse_expr("true"), Ok(lit(json!(true))));
        assert_eq!(parse_expr("false"), Ok(lit(json!(false))));
        assert_eq!(parse_expr("[\"a\",\"b\"]"), Ok(lit(json!(["a", "b"]))));
        assert_eq!(parse_expr("[]"), Ok(lit(json!([]))));
        assert_eq!(parse_expr("[1,-2,[true]]"), Ok(lit(json!([1, -2, [true]]))));
    }

    #[test]
    fn string_literals_are_uri_decoded() {
        assert_eq!(
            parse_expr("\"2026-12-31T23%3A59%3A00%2B02%3A00\""),
            Ok(lit(json!("2026-12-31T23:59:00+02:00")))
        );
        assert_eq!(parse_expr("\"a%40b.com\""), Ok(lit(json!("a@b.com"))));
        assert_eq!(parse_expr("\"100%\""), Ok(lit(json!("100%"))));
        assert_eq!(parse_expr("[\"a%2Cb\"]"), Ok(lit(json!(["a,b"]))));
    }

    #[test]
    fn var_paths_keep_hyphens_and_are_decoded() {
        assert_eq!(parse_expr("var(\"a.b-c.d\")"), Ok(var("a.b-c.d")));
        assert_eq!(
            parse_expr("var(\"triggered-emails-3.messageId\")"),
            Ok(var("triggered-emails-3.messageId"))
        );
        assert_eq!(parse_expr("var(\"service%5Fid\")"), Ok(var("service_id")));
    }

    #[test]
    fn calls_with_semicolons() {
        assert_eq!(
            parse_expr("concat(var(\"a\");\" - \";var(\"b\"))"),
            Ok(call("concat", vec![var("a"), lit(json!(" - ")), var("b")]))
        );
        assert_eq!(parse_expr("now()"), Ok(call("now", vec![])));
        assert_eq!(
            parse_expr("subtractFromDate(var(\"start_date\");0;0;1)"),
            Ok(call(
                "subtractFromDate",
                vec![
                    var("start_date"),
                    lit(json!(0)),
                    lit(json!(0)),
                    lit(json!(1))
                ]
            ))
        );
        assert_eq!(
            parse_expr("arraySome(var(\"f\");contains([\"a\",\"b\"];$_))"),
            Ok(call(
                "arraySome",
                vec![
                    var("f"),
                    call("contains", vec![lit(json!(["a", "b"])), Expr::Item])
                ]
            ))
        );
    }

    #[test]
    fn names_are_not_keywords_when_called() {
        assert_eq!(parse_expr("trueish"), Ok(var("trueish")));
        assert_eq!(parse_expr("true ()"), Ok(call("true", vec![])));
        assert_eq!(
            parse_expr("Var(\"x\")"),
            Ok(call("Var", vec![lit(json!("x"))]))
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{{{{{}1{}}}}}", "not(".repeat(500), ")".repeat(500));
        assert!(err(&deep).message.contains("nested"));
        let lists = format!("{{{{{}{}}}}}", "[".repeat(500), "]".repeat(500));
        assert!(err(&lists).message.contains("nested"));
    }
}
