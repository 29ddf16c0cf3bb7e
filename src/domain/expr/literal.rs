//! Literals: URI decoding and encoding as `encodeURIComponent` does it, numbers as the builder
//! writes them, and values described or written as text for people.

use serde_json::{Number, Value};

/// The characters `encodeURIComponent` leaves as they are.
fn uri_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)
}

fn hex(c: char) -> Option<u8> {
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// `decodeURIComponent`, forgiving: a `%` not followed by two hex digits stays as written, and
/// a text whose decoded bytes are not UTF-8 is kept as written.
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut bytes = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let pair =
            (chars.get(i + 1).copied().and_then(hex)).zip(chars.get(i + 2).copied().and_then(hex));
        match (c, pair) {
            ('%', Some((h, l))) => {
                bytes.push(h * 16 + l);
                i += 3;
            }
            _ => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| s.to_string())
}

/// `encodeURIComponent`: how the builder stores a string literal.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if uri_safe(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Whether a literal as written holds a character `encodeURIComponent` would have encoded
/// (a `%` is not counted: see [`has_stray_percent`]).
pub(crate) fn needs_encoding(raw: &str) -> bool {
    raw.chars().any(|c| c != '%' && !uri_safe(c))
}

/// Whether a `%` in `raw` is not followed by two hex digits.
pub(crate) fn has_stray_percent(raw: &str) -> bool {
    let chars: Vec<char> = raw.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        c == '%'
            && !(chars.get(i + 1).is_some_and(|c| c.is_ascii_hexdigit())
                && chars.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()))
    })
}

/// A number as written (`10`, `-3`, `12.5`, and the forms the builder rejects: `0.5`, `.5`,
/// `05`, `1e3`). `None` when it is no number at all.
pub(crate) fn number_literal(s: &str) -> Option<Value> {
    let plain = s.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if plain && let Ok(i) = s.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f: f64 = s.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// Whether the builder writes a number this way: `0`, `5`, `-3`, `12.5`; never `0.5`, `.5`,
/// `-0.25`, `05` or `1e3` (facts §3.1).
pub(crate) fn builder_number_form(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_ok = int == "0" && frac.is_none()
        || int.starts_with(|c: char| ('1'..='9').contains(&c))
            && int.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok
}

/// A number as a JSON value: whole numbers as integers, NaN and infinities refused.
pub(crate) fn number_value(x: f64) -> Option<Value> {
    if !x.is_finite() {
        return None;
    }
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        // Within ±2^53 the conversion is exact (and -0 becomes 0).
        return Some(Value::from(x as i64));
    }
    Number::from_f64(x).map(Value::Number)
}

/// A value written into text: strings as they are, numbers and booleans as JSON, null as
/// nothing. `None` for a list or an object, which has no text form.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A value for a message: `the text "abc"`, `the number 5`, `a list of 3`.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let more = if short.len() < s.len() { "…" } else { "" };
            format!("the text \"{short}{more}\"")
        }
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

/// `1st`, `2nd`, `3rd`, `4th`: an argument's place, counted from one.
pub(crate) fn ordinal(i: usize) -> String {
    let n = i + 1;
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_decode_uri_component() {
        assert_eq!(percent_decode("a%40b.com"), "a@b.com");
        assert_eq!(
            percent_decode("2026-12-31T23%3A59%3A00%2B02%3A00"),
            "2026-12-31T23:59:00+02:00"
        );
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("plain"), "plain");
    }

    #[test]
    fn a_stray_percent_stays() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("50% off"), "50% off");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%"), "%");
    }

    #[test]
    fn bytes_that_are_not_utf8_keep_the_literal() {
        assert_eq!(percent_decode("%FF%FE"), "%FF%FE");
        assert_eq!(percent_decode("%C3"), "%C3");
    }

    #[test]
    fn encodes_as_encode_uri_component() {
        assert_eq!(percent_encode("a@b.com"), "a%40b.com");
        assert_eq!(
            percent_encode("2026-12-31T23:59:00+02:00"),
            "2026-12-31T23%3A59%3A00%2B02%3A00"
        );
        assert_eq!(percent_encode(" - "), "%20-%20");
        assert_eq!(percent_encode("it's (ok)!"), "it's%20(ok)!");
        assert_eq!(percent_encode("é"), "%C3%A9");
        for s in ["x y", "ü/ß?&=", "%", "\"quoted\""] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
    }

    #[test]
    fn knows_an_encoded_literal() {
        assert!(!needs_encoding("a%40b.com"));
        assert!(!needs_encoding("premium"));
        assert!(!needs_encoding("100%"));
        assert!(needs_encoding("a@b.com"));
        assert!(needs_encoding(" - "));
        assert!(has_stray_percent("100%"));
        assert!(has_stray_percent("%4"));
        assert!(!has_stray_percent("%41"));
    }

    #[test]
    fn reads_numbers_in_every_form() {
        assert_eq!(number_literal("10"), Some(Value::from(10)));
        assert_eq!(number_literal("-3"), Some(Value::from(-3)));
        assert_eq!(number_literal("12.5"), Some(Value::from(12.5)));
        assert_eq!(number_literal("0.5"), Some(Value::from(0.5)));
        assert_eq!(number_literal(".5"), Some(Value::from(0.5)));
        assert_eq!(number_literal("1e3"), Some(Value::from(1000.0)));
        assert_eq!(
            number_literal("18238348023423"),
            Some(Value::from(18_238_348_023_423_i64))
        );
        assert_eq!(number_literal("1-2"), None);
        assert_eq!(number_literal("-"), None);
        assert_eq!(number_literal("1e999"), None);
    }

    #[test]
    fn knows_the_builders_number_forms() {
        for ok in ["0", "5", "-3", "12.5", "100000000", "10.0"] {
            assert!(builder_number_form(ok), "{ok}");
        }
        for lax in ["0.5", ".5", "-0.25", "05", "1e3", "1.", "-", ""] {
            assert!(!builder_number_form(lax), "{lax}");
        }
    }

    #[test]
    fn numbers_come_back_as_integers_when_whole() {
        assert_eq!(number_value(3.0), Some(Value::from(3)));
        assert_eq!(number_value(-0.0), Some(Value::from(0)));
        assert_eq!(number_value(2.5), Some(Value::from(2.5)));
        assert_eq!(number_value(f64::NAN), None);
        assert_eq!(number_value(f64::INFINITY), None);
        assert_eq!(number_value(1e300), Some(Value::from(1e300)));
    }

    #[test]
    fn writes_values_into_text() {
        assert_eq!(text_of(&Value::from("a")).as_deref(), Some("a"));
        assert_eq!(text_of(&Value::from(12.5)).as_deref(), Some("12.5"));
        assert_eq!(text_of(&Value::Bool(true)).as_deref(), Some("true"));
        assert_eq!(text_of(&Value::Null).as_deref(), Some(""));
        assert_eq!(text_of(&serde_json::json!([1])), None);
    }

    #[test]
    fn describes_and_counts() {
        assert_eq!(describe(&Value::from("12.50")), "the text \"12.50\"");
        assert_eq!(describe(&serde_json::json!([1, 2])), "a list of 2");
        let long = "é".repeat(50);
        assert!(describe(&Value::from(long)).ends_with("…\""));
        assert_eq!(ordinal(0), "1st");
        assert_eq!(ordinal(1), "2nd");
        assert_eq!(ordinal(2), "3rd");
        assert_eq!(ordinal(3), "4th");
        assert_eq!(ordinal(10), "11th");
        assert_eq!(ordinal(20), "21st");
    }
}
