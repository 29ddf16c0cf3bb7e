//! What a group's failing calls share, as Hypothesis's *explain* phase tells it: for each field
//! of the params, whether every failing call has it absent, has one value, keeps to a range or
//! to non-ASCII text, or has it at all; and which fields vary among them, so can be anything.
//! Only what sets the failing calls apart from the others is said.

use super::simplify::at_dotted;
use serde_json::Value;

/// The facts the failing calls share, and the fields that can be anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    /// How many failing calls it was read from.
    pub calls: usize,
    /// One sentence each: "`quantity` is absent in all 21".
    pub shared: Vec<String>,
    /// Fields that vary among the failing calls.
    pub anything: Vec<String>,
}

impl Explanation {
    /// The explanation as one line.
    pub fn sentence(&self) -> String {
        if self.calls < 2 {
            return "only one call failed this way: too few to tell what failing calls share"
                .into();
        }
        let mut parts = self.shared.clone();
        match self.anything.as_slice() {
            [] => {}
            [one] => parts.push(format!("`{one}` can be anything")),
            many => {
                let names: Vec<String> = many.iter().map(|f| format!("`{f}`")).collect();
                let (last, rest) = names.split_last().unwrap_or((&names[0], &[]));
                parts.push(format!("{} and {last} can be anything", rest.join(", ")));
            }
        }
        if parts.is_empty() {
            return format!(
                "the {} failing calls share nothing that sets them apart",
                self.calls
            );
        }
        parts.join("; ")
    }
}

/// A field's state in one call.
#[derive(Clone, Debug, PartialEq)]
enum State<'v> {
    Absent,
    Present(&'v Value),
}

fn state<'v>(v: &'v Value, f: &str) -> State<'v> {
    match at_dotted(v, f) {
        Some(x) => State::Present(x),
        None => State::Absent,
    }
}

/// Explains `failing` (the params of the calls that failed one way) against `others` (every
/// other call of the same action), field by field (`fields`: dotted paths).
pub fn explain(fields: &[String], failing: &[&Value], others: &[&Value]) -> Explanation {
    let n = failing.len();
    let mut out = Explanation {
        calls: n,
        ..Explanation::default()
    };
    if n < 2 {
        return out;
    }
    for f in fields {
        let fail: Vec<State> = failing.iter().map(|v| state(v, f)).collect();
        let other: Vec<State> = others.iter().map(|v| state(v, f)).collect();
        let all_states = fail.iter().chain(&other);
        // A field that never varied tells nothing.
        if all_states.clone().all(|s| *s == fail[0]) {
            continue;
        }
        // A parent absent from every failing call leaves its fields absent too: said once,
        // for the parent.
        if let Some((parent, _)) = f.rsplit_once('.')
            && failing.iter().all(|v| at_dotted(v, parent).is_none())
        {
            continue;
        }
        match shared(&fail, &other) {
            Some(fact) => out.shared.push(format!("`{f}` {fact} in all {n}")),
            None => out.anything.push(f.clone()),
        }
    }
    out
}

/// What every failing call's state of one field has in common, when it sets them apart from
/// the other calls: a fact that holds for every failing call and fails for at least a quarter
/// of the others (so what chance gave a few calls is not said).
fn shared(fail: &[State], other: &[State]) -> Option<String> {
    let apart = |holds: &dyn Fn(&State) -> bool| {
        let not = other.iter().filter(|s| !holds(s)).count();
        fail.iter().all(holds) && not > 0 && not * 4 >= other.len()
    };
    if apart(&|s| *s == State::Absent) {
        return Some("is absent".into());
    }
    let present: Vec<&Value> = fail
        .iter()
        .filter_map(|s| match s {
            State::Present(v) => Some(*v),
            State::Absent => None,
        })
        .collect();
    if present.len() < fail.len() {
        // Present in some, absent in others: nothing shared.
        return None;
    }
    let first = present[0];
    if apart(&|s| *s == State::Present(first)) {
        return Some(format!("is {}", short(first)));
    }
    // Numbers in a range the other calls leave.
    let nums: Option<Vec<f64>> = present.iter().map(|v| v.as_f64()).collect();
    if let Some(nums) = nums {
        let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let within = |s: &State| matches!(s, State::Present(v) if v.as_f64().is_some_and(|x| x >= lo && x <= hi));
        if apart(&within) {
            return Some(format!("is between {} and {}", number(lo), number(hi)));
        }
    }
    // Text outside ASCII that the other calls' text is not.
    let outside_ascii = |s: &State| matches!(s, State::Present(Value::String(t)) if !t.is_ascii());
    if apart(&outside_ascii) {
        return Some("holds text outside ASCII".into());
    }
    if apart(&|s| *s != State::Absent) {
        return Some("is present".into());
    }
    None
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A value as said in a sentence: JSON, cut short when long.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 40 {
        return s;
    }
    let cut: String = s.chars().take(37).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<String> {
        [
            "amount",
            "customerName",
            "quantity",
            "address",
            "address.city",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn an_optional_field_absent_in_every_failing_call_is_said_and_the_rest_can_be_anything() {
        let failing = [
            json!({"amount": 0, "customerName": "a"}),
            json!({"amount": 12.5, "customerName": "Zoë", "address": {"city": "x"}}),
            json!({"amount": -3, "customerName": ""}),
        ];
        let others = [
            json!({"amount": 1, "customerName": "b", "quantity": 2}),
            json!({"amount": 9, "customerName": "c", "quantity": 1, "address": {}}),
        ];
        let e = explain(
            &fields(),
            &failing.iter().collect::<Vec<_>>(),
            &others.iter().collect::<Vec<_>>(),
        );
        assert_eq!(e.shared, vec!["`quantity` is absent in all 3"]);
        assert_eq!(
            e.anything,
            vec!["amount", "customerName", "address", "address.city"]
        );
        assert_eq!(
            e.sentence(),
            "`quantity` is absent in all 3; `amount`, `customerName`, `address` and `address.city` can be anything"
        );
    }

    #[test]
    fn one_value_a_range_non_ascii_text_and_presence_are_shared_facts() {
        let failing = [
            json!({"amount": 5, "customerName": "Zoë", "quantity": 4}),
            json!({"amount": 5, "customerName": "日本", "quantity": 9, "address": {"city": "a"}}),
        ];
        let others = [
            json!({"amount": 1, "customerName": "b", "quantity": 2}),
            json!({"amount": 5, "customerName": "c", "quantity": 1}),
        ];
        let e = explain(
            &fields(),
            &failing.iter().collect::<Vec<_>>(),
            &others.iter().collect::<Vec<_>>(),
        );
        assert_eq!(
            e.shared,
            vec![
                "`amount` is 5 in all 2",
                "`customerName` holds text outside ASCII in all 2",
                "`quantity` is between 4 and 9 in all 2",
            ]
        );
        assert_eq!(e.anything, vec!["address", "address.city"]);
    }

    #[test]
    fn a_field_that_never_varied_tells_nothing_and_one_call_is_too_few() {
        let failing = [json!({"amount": 1}), json!({"amount": 1})];
        let others = [json!({"amount": 1})];
        let e = explain(
            &["amount".into()],
            &failing.iter().collect::<Vec<_>>(),
            &others.iter().collect::<Vec<_>>(),
        );
        assert!(e.shared.is_empty() && e.anything.is_empty());
        assert_eq!(
            e.sentence(),
            "the 2 failing calls share nothing that sets them apart"
        );
        let one = [json!({"amount": 1})];
        let e = explain(&["amount".into()], &one.iter().collect::<Vec<_>>(), &[]);
        assert!(e.sentence().starts_with("only one call failed this way"));
    }
}
