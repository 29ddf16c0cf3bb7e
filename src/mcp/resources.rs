//! The calls, and the loaded samples, flows and definitions, as resources; and the one prompt,
//! "make my action pass check".

use super::Bench;
use super::views::{GetCallIn, ListCallsIn};
use rmcp::ErrorData;
use rmcp::model::{
    GetPromptResult, Prompt, PromptArgument, PromptMessage, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, Role,
};
use serde_json::json;
use std::path::Path;

const CALLS: &str = "actionbench://calls";
const CALL: &str = "actionbench://calls/";
const SAMPLE: &str = "actionbench://samples/";
const FLOW: &str = "actionbench://flows/";
const DEFINITION: &str = "actionbench://definitions/";

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn json_resource(uri: String, name: String, description: String) -> Resource {
    Resource::new(uri, name)
        .with_description(description)
        .with_mime_type("application/json")
}

/// Every resource: the newest calls, and each loaded sample, flow and definition (by its file
/// name).
pub fn list(bench: &Bench) -> Vec<Resource> {
    let mut out = vec![json_resource(
        CALLS.into(),
        "calls".into(),
        "The newest 200 calls in the session, as list_calls gives them".into(),
    )];
    for s in &bench.files().samples {
        if let Some(p) = &s.path {
            out.push(json_resource(
                format!("{SAMPLE}{}", file_name(p)),
                s.sample.name.clone(),
                format!("Sample: {}", s.sample.description),
            ));
        }
    }
    for f in &bench.files().flows {
        if let Some(p) = &f.path {
            out.push(json_resource(
                format!("{FLOW}{}", file_name(p)),
                f.flow.name.clone(),
                format!("Flow ({} steps)", f.flow.steps.len()),
            ));
        }
    }
    for (p, d) in &bench.files().definitions.loaded {
        let key = d.action_key().unwrap_or_default();
        out.push(json_resource(
            format!("{DEFINITION}{}", file_name(p)),
            key.to_string(),
            format!("Action definition of {key}"),
        ));
    }
    out
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(format!("{CALL}{{id}}"), "call")
            .with_description("One call whole, as get_call gives it (redacted)")
            .with_mime_type("application/json"),
    ]
}

fn not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!("no resource {uri:?}: resources/list names them"),
        Some(json!({ "uri": uri })),
    )
}

fn text(uri: &str, body: String) -> ReadResourceResult {
    ReadResourceResult::new(vec![
        ResourceContents::text(body, uri).with_mime_type("application/json"),
    ])
}

fn file(uri: &str, p: &Path) -> Result<ReadResourceResult, ErrorData> {
    let body = std::fs::read_to_string(p).map_err(|e| {
        ErrorData::internal_error(format!("{}: {e}", p.display()), Some(json!({ "uri": uri })))
    })?;
    Ok(text(uri, body))
}

/// Resource `uri`, read.
pub fn read(bench: &Bench, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    if uri == CALLS {
        let page = super::calls::list(
            &bench.engine,
            &ListCallsIn {
                limit: Some(super::calls::MAX_PAGE),
                ..ListCallsIn::default()
            },
        )
        .map_err(|e| ErrorData::internal_error(e, None))?;
        return Ok(text(
            uri,
            serde_json::to_string_pretty(&page).unwrap_or_default(),
        ));
    }
    if let Some(id) = uri.strip_prefix(CALL) {
        let id = id.parse::<u64>().map_err(|_| not_found(uri))?;
        let args = GetCallIn {
            id,
            no_redact: false,
            max_body_bytes: None,
        };
        let call = super::calls::get(&bench.engine, &args).map_err(|_| not_found(uri))?;
        return Ok(text(
            uri,
            serde_json::to_string_pretty(&call).unwrap_or_default(),
        ));
    }
    let named = |prefix: &str| uri.strip_prefix(prefix).map(str::to_string);
    if let Some(name) = named(SAMPLE)
        && let Some(p) = bench
            .files()
            .samples
            .iter()
            .filter_map(|s| s.path.as_ref())
            .find(|p| file_name(p) == name)
    {
        return file(uri, p);
    }
    if let Some(name) = named(FLOW)
        && let Some(p) = bench
            .files()
            .flows
            .iter()
            .filter_map(|f| f.path.as_ref())
            .find(|p| file_name(p) == name)
    {
        return file(uri, p);
    }
    if let Some(name) = named(DEFINITION)
        && let Some((p, _)) = bench
            .files()
            .definitions
            .loaded
            .iter()
            .find(|(p, _)| file_name(p) == name)
    {
        return file(uri, p);
    }
    Err(not_found(uri))
}

pub const PASS_CHECK: &str = "make_my_action_pass_check";

pub fn prompts() -> Vec<Prompt> {
    vec![
        Prompt::new(
            PASS_CHECK,
            Some("Make my action pass check: run check, read the failing call, fix the action, check again"),
            Some(vec![
                PromptArgument::new("target")
                    .with_description("Your action's base URL (default: the workbench's target)")
                    .with_required(false),
            ]),
        )
        .with_title("Make my action pass check"),
    ]
}

/// Prompt `name` with its arguments.
pub fn prompt(
    name: &str,
    args: &serde_json::Map<String, serde_json::Value>,
) -> Result<GetPromptResult, ErrorData> {
    if name != PASS_CHECK {
        return Err(ErrorData::invalid_params(
            format!("unknown prompt {name:?}: prompts/list names it"),
            None,
        ));
    }
    let target = args
        .get("target")
        .and_then(|v| v.as_str())
        .map_or_else(String::new, |t| format!(" with target {t:?}"));
    let text = format!(
        "Make my Wix action pass ActionBench's check.\n\
         1. Call run_check{target}. Each row says PASS or FAIL and why.\n\
         2. For the first FAIL, find its call: list_calls (flagged: true) or wait_for_call, then \
            get_call. Read the findings (rule, field, message) and the request your action got \
            (actionParams, activationContext) and what it answered.\n\
         3. Fix the action's code (or its definition: lint says what breaks Wix's rules). If the \
            answer's shape is in doubt, answer a held call with answer_call: it checks the answer \
            against the contract and the output schema before sending, and says what breaks it.\n\
         4. Restart your action if it needs it, and call run_check again. Repeat until every row \
            passes; say what you changed and why each failure happened."
    );
    let mut result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]);
    result.description = Some("check → read the failing call → fix → check again".into());
    Ok(result)
}
