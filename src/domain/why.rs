//! Why each finding matters, in a sentence a developer gets at once: what Wix (or a later
//! step, or a site owner) does when an answer breaks that rule. One table, used by the window,
//! `check` and `serve`.

/// Why a finding with `code` matters, when there is more to say than its message.
pub fn why_it_matters(code: &str) -> Option<&'static str> {
    Some(match code {
        "not-json" | "not-object" => {
            "Wix reads the answer as a JSON object; anything else makes the step fail"
        }
        "non-2xx-status" => {
            "Wix takes any answer outside 2xx as the action failing: the step fails and the automation goes on without its output"
        }
        "status-invalid" => "the status does not say success or failure, so the step fails",
        "timeout-type-invalid" => {
            "Wix knows only IMMEDIATE, TIMEOUT_LENGTH and TIMEOUT_DATE: the answer is refused and the step fails"
        }
        "missing-timeout-options" => {
            "without its options Wix does not know how long to wait: the step fails"
        }
        "both-timeout-options" => {
            "Wix reads only the option invokeTimeoutType names; the other one is silently ignored, so the wait may not be the one you meant"
        }
        "options-contradict-type" => {
            "Wix follows invokeTimeoutType, so the wait is not the one your options describe"
        }
        "timeout-too-long" => {
            "Wix waits at most 24 hours after a TIMEOUT_LENGTH answer: a longer wait is refused and the step fails"
        }
        "timeout-minutes-invalid" => {
            "Wix can only wait a positive whole number of minutes: the step fails"
        }
        "timeout-date-invalid" => {
            "Wix cannot read the date, so it cannot set a deadline: the step fails"
        }
        "timeout-date-past" => {
            "the deadline has passed before Wix reads it: the step times out at once and later steps never get your result"
        }
        "timeout-date-too-far" => {
            "Wix waits at most one year: a later date is refused and the step fails"
        }
        "result-missing" => {
            "later steps that use this action's output get nothing: their fields come out empty"
        }
        "result-not-object" => {
            "later steps read the result's fields by name, and a result that is not an object has none"
        }
        "result-schema" => {
            "later steps are built from your output schema: a result that breaks it leaves them with missing or wrong values"
        }
        "application-error-shape" => {
            "the run's log shows applicationError's code and description: without them, a site owner cannot tell why the step failed"
        }
        "valid-missing" | "valid-with-errors" | "configuration-error-shape" => {
            "the automation builder decides from this answer whether a user may save the action's settings, and shows its errors beside the fields"
        }
        "quota-shape" => {
            "Wix shows site owners how much quota is left from this answer; a broken one shows nothing or the wrong figures"
        }
        "no-invocation-token" | "token-missing" => {
            "the invocation token is how a completion report names the invocation it finishes: without it a timeout answer can never complete"
        }
        "token-reused" => {
            "a completion report for this token cannot say which invocation it finishes"
        }
        "params-schema" => {
            "Wix checks actionParams against your input schema before it calls: a request like this never comes from Wix"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_rule_the_contract_checks_says_why_it_matters() {
        let source = include_str!("contract.rs");
        let mut missing = vec![];
        for code in [
            "not-json",
            "non-2xx-status",
            "timeout-type-invalid",
            "both-timeout-options",
            "options-contradict-type",
            "timeout-too-long",
            "timeout-date-past",
            "timeout-date-too-far",
            "result-missing",
            "result-schema",
            "application-error-shape",
            "valid-missing",
            "quota-shape",
        ] {
            assert!(
                source.contains(&format!("\"{code}\"")),
                "{code} is no longer a contract finding: update this list"
            );
            if why_it_matters(code).is_none() {
                missing.push(code);
            }
        }
        assert!(missing.is_empty(), "no reason given for {missing:?}");
    }
}
