//! The tools: each with its input and output JSON Schema (written from the types in `views`),
//! its annotations, and what calling it does. Arguments are read with the path of the field
//! that breaks them; a tool that fails says why in its result (`isError`), an unknown tool or a
//! bad argument is a JSON-RPC error (invalid params).

use super::run::{
    LintIn, LintOut, ReportEventIn, ReportEventOut, RunCheckIn, RunCheckOut, RunFlowIn, RunFlowOut,
};
use super::views::{
    AnswerCallIn, AnswerCallOut, GetCallIn, ListCallsIn, ListCallsOut, NoInput, ReportCompletionIn,
    ReportCompletionOut, SendSampleIn, SendSampleOut, SetModeIn, SetModeOut, StatusOut,
    WaitForCallIn, WaitForCallOut,
};
use super::{Bench, act, calls, run};
use rmcp::handler::server::common::{schema_for_input, schema_for_output};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, JsonObject,
    ProgressNotificationParam, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::{Arc, LazyLock};

/// What a tool does to the world, as its annotations say it.
#[derive(Clone, Copy)]
enum Effect {
    /// Reads only.
    Reads,
    /// Changes the session, nothing it cannot take back.
    Changes,
    /// Changes something that cannot be taken back (a call answered, a report taken).
    Destroys,
}

/// `schema` with every `true` subschema (any JSON, as schemars writes `serde_json::Value`)
/// written as `{}`: the same meaning, and the form clients that check the schemas' own shape
/// (the TypeScript SDK does) take; and without the integer formats JSON Schema does not have.
fn plain_subschemas(schema: &mut Value) {
    let Value::Object(o) = schema else { return };
    // schemars' `uint64`, `int32`… are not JSON Schema's formats (`minimum` says as much).
    if o.get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| f.starts_with("int") || f.starts_with("uint"))
    {
        o.remove("format");
    }
    for (k, v) in o.iter_mut() {
        match (k.as_str(), v) {
            ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(m)) => {
                for sub in m.values_mut() {
                    if sub.as_bool() == Some(true) {
                        *sub = json!({});
                    }
                    plain_subschemas(sub);
                }
            }
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(a)) => {
                for sub in a.iter_mut() {
                    if sub.as_bool() == Some(true) {
                        *sub = json!({});
                    }
                    plain_subschemas(sub);
                }
            }
            ("items" | "additionalProperties" | "not", sub) => plain_subschemas(sub),
            _ => {}
        }
    }
}

fn plain(schema: &JsonObject) -> Arc<JsonObject> {
    let mut v = Value::Object(schema.clone());
    plain_subschemas(&mut v);
    match v {
        Value::Object(o) => Arc::new(o),
        _ => Arc::new(schema.clone()),
    }
}

/// Tool `name` taking `I` and giving `O`; `open_world`: it may call your action (the target).
fn tool<I, O>(
    name: &'static str,
    title: &str,
    description: &'static str,
    effect: Effect,
    open_world: bool,
) -> Tool
where
    I: JsonSchema + 'static,
    O: JsonSchema + 'static,
{
    let input = schema_for_input::<I>().unwrap_or_else(|e| {
        tracing::error!("the input schema of {name}: {e}");
        let mut o = JsonObject::new();
        o.insert("type".into(), json!("object"));
        Arc::new(o)
    });
    let annotations = ToolAnnotations::from_raw(
        Some(title.to_string()),
        Some(matches!(effect, Effect::Reads)),
        Some(matches!(effect, Effect::Destroys)),
        Some(matches!(effect, Effect::Reads)),
        Some(open_world),
    );
    Tool::new(name, description, plain(&input))
        .with_title(title)
        .with_raw_output_schema(plain(&schema_for_output::<O>()))
        .annotate(annotations)
}

static TOOLS: LazyLock<Vec<Tool>> = LazyLock::new(|| {
    vec![
        tool::<NoInput, StatusOut>(
            "get_status",
            "Workbench status",
            "The inbox's URL, your action's (the target), the mode of each action key, the loaded samples, flows and definitions, the session, and the clock (simulated time and its warp).",
            Effect::Reads,
            false,
        ),
        tool::<ListCallsIn, ListCallsOut>(
            "list_calls",
            "List calls",
            "The calls in the session, as the window's log lists them, filtered by phase, action key, method or flagged. At most 200 a page: pass nextCursor as since for the next. Without since, the newest.",
            Effect::Reads,
            false,
        ),
        tool::<GetCallIn, super::views::CallView>(
            "get_call",
            "Read a call",
            "One call whole: its request (actionParams, activationContext), metadata, JWT claims, the answer, the contract findings about both, and its timeline. Secrets are redacted as a shared page redacts them unless noRedact; long bodies are cut, their size said.",
            Effect::Reads,
            false,
        ),
        tool::<WaitForCallIn, WaitForCallOut>(
            "wait_for_call",
            "Wait for a call",
            "Waits for the next call after the cursor that matches the filter (phase, action key, method, flagged), at most 50 seconds; then timedOut, with the cursor to wait from again.",
            Effect::Reads,
            false,
        ),
        tool::<AnswerCallIn, AnswerCallOut>(
            "answer_call",
            "Answer a held call",
            "Answers a held call: a result (IMMEDIATE), a timeout by length or date, an error, or a raw answer. It is checked against the contract and the action's output schema first: an answer that breaks it is refused with the findings unless force. The window's log shows it answered by the agent.",
            Effect::Destroys,
            false,
        ),
        tool::<ReportCompletionIn, ReportCompletionOut>(
            "report_completion",
            "Report a completion",
            "Reports the completion of an invocation answered with a timeout (by its id or invocation token): success with a result, or failure with a description; judged as Wix's completion API would judge it.",
            Effect::Destroys,
            false,
        ),
        tool::<SendSampleIn, SendSampleOut>(
            "send_sample",
            "Send a sample",
            "Sends a loaded sample (by name) or one written inline to the inbox (logged and answered as its key's mode says) or to your action (the target), as Wix sends it: plain or signed.",
            Effect::Changes,
            true,
        ),
        tool::<SetModeIn, SetModeOut>(
            "set_mode",
            "Set an action key's mode",
            "How an action key's calls are answered from now on: hold (wait for an answer from you or the window), auto (the saved answer), fail (an error), forward (relayed to your action).",
            Effect::Changes,
            false,
        ),
        tool::<RunCheckIn, RunCheckOut>(
            "run_check",
            "Run check",
            "Plays Wix against your action (the target) as `actionbench check` does: the samples, the envelope lab, or N requests generated from the definitions (with a seed). One row per check with PASS or FAIL and why; progress notifications while it runs.",
            Effect::Changes,
            true,
        ),
        tool::<LintIn, LintOut>(
            "lint",
            "Lint definitions",
            "Checks action and trigger definitions (files, or one written inline) and Wix's automation JSON against Wix's rules, and with published the edits Wix forbids once published: each finding with its rule, path, why and source.",
            Effect::Reads,
            false,
        ),
        tool::<RunFlowIn, RunFlowOut>(
            "run_flow",
            "Run a flow",
            "Runs a whole automation step by step as `actionbench flow run` does, each action step answered by the workbench (to: inbox) or by your action (to: target), with time warp; the transcript, and the shared HTML page's path if asked.",
            Effect::Changes,
            true,
        ),
        tool::<ReportEventIn, ReportEventOut>(
            "report_event",
            "Report an event",
            "Reports a trigger's event to the inbox as an app on Wix's SDK does: the Triggered Events API's answer, the activation IDs and the flows it started.",
            Effect::Changes,
            false,
        ),
    ]
});

/// Tells the client how a long tool goes, if it asked (a progress token): one notification a
/// line the run prints.
fn progress(context: &RequestContext<RoleServer>) -> impl FnMut(&str) + use<> {
    let token = context.meta.get_progress_token();
    let peer = context.peer.clone();
    let mut n = 0u32;
    move |line: &str| {
        let Some(token) = token.clone() else { return };
        n += 1;
        let mut p = ProgressNotificationParam::new(token, f64::from(n));
        p.message = Some(line.chars().take(200).collect());
        let peer = peer.clone();
        tokio::spawn(async move {
            let _ = peer.notify_progress(p).await;
        });
    }
}

/// Every tool, sorted as they were written.
pub fn all() -> &'static [Tool] {
    &TOOLS
}

/// The arguments as `T`, or invalid params naming the field that breaks them.
fn parse<T: DeserializeOwned>(tool: &str, args: &Value) -> Result<T, ErrorData> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at {path}")
        };
        ErrorData::invalid_params(
            format!("{tool}: invalid arguments{at}: {}", e.inner()),
            Some(json!({ "tool": tool, "field": path, "error": e.inner().to_string() })),
        )
    })
}

fn value<T: Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Calls tool `request.name`.
pub async fn call(
    bench: &Arc<Bench>,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let name = request.name.as_ref();
    let args = Value::Object(request.arguments.unwrap_or_default());
    let out: Result<Value, String> = match name {
        "get_status" => {
            parse::<NoInput>(name, &args)?;
            Ok(value(act::status(bench)))
        }
        "list_calls" => calls::list(&bench.engine, &parse(name, &args)?).map(value),
        "get_call" => calls::get(&bench.engine, &parse(name, &args)?).map(value),
        "wait_for_call" => {
            let a: WaitForCallIn = parse(name, &args)?;
            let ct = context.ct.clone();
            calls::wait(&bench.engine, &a, async move { ct.cancelled().await })
                .await
                .map(value)
        }
        "answer_call" => act::answer(bench, &parse(name, &args)?).map(value),
        "report_completion" => act::report(bench, &parse(name, &args)?).map(value),
        "send_sample" => act::send(bench, &parse(name, &args)?).await.map(value),
        "set_mode" => act::set_mode(bench, &parse(name, &args)?).map(value),
        "run_check" => {
            let a: RunCheckIn = parse(name, &args)?;
            run::check(bench, &a, progress(&context)).await.map(value)
        }
        "lint" => run::lint(bench, &parse(name, &args)?).map(value),
        "run_flow" => {
            let a: RunFlowIn = parse(name, &args)?;
            run::flow(bench, &a, progress(&context)).await.map(value)
        }
        "report_event" => run::report_event(bench, &parse(name, &args)?)
            .await
            .map(value),
        other => {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {other:?}: tools/list names the tools"),
                Some(json!({ "tool": other })),
            ));
        }
    };
    Ok(match out {
        Ok(v) => CallToolResult::structured(v),
        Err(why) => CallToolResult::error(vec![ContentBlock::text(why)]),
    }
    .into())
}
