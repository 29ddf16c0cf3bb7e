//! What an agent changes: answering a held call, reporting a completion, sending a sample,
//! setting a key's mode; and the status it starts from.

use super::Bench;
use super::calls::{call_row, findings};
use super::views::{
    AnswerCallIn, AnswerCallOut, Destination, KeyMode, ModeName, ReportCompletionIn,
    ReportCompletionOut, SendSampleIn, SendSampleOut, SetModeIn, SetModeOut, StatusOut,
};
use crate::domain::as_wix::Source;
use crate::domain::contract::{self, AnswerTimes};
use crate::domain::invocation::ExchangeId;
use crate::domain::sample::{LoadedSample, Sample};
use crate::domain::timeline::AnsweredBy;
use crate::domain::wire::{self, CompletionReport, InvokeResponse, Method};
use crate::engine::{CallOptions, Incoming, Mode, Reply, check_answer};
use serde_json::json;

/// The tag of calls an agent sent to the inbox.
pub const SENT_BY_AGENT: &str = "sent by agent";

pub fn mode_name(m: Mode) -> ModeName {
    match m {
        Mode::Hold => ModeName::Hold,
        Mode::Auto => ModeName::Auto,
        Mode::Fail => ModeName::Fail,
        Mode::Forward => ModeName::Forward,
    }
}

fn mode_of(m: ModeName) -> Mode {
    match m {
        ModeName::Hold => Mode::Hold,
        ModeName::Auto => Mode::Auto,
        ModeName::Fail => Mode::Fail,
        ModeName::Forward => Mode::Forward,
    }
}

pub fn status(bench: &Bench) -> StatusOut {
    let engine = &bench.engine;
    let target = bench.target();
    let inbox = bench.inbox().map(str::to_string);
    StatusOut {
        mcp_url: inbox.as_ref().map(|u| format!("{u}{}", super::http::PATH)),
        inbox_url: inbox,
        target_signed: target.as_ref().is_some_and(|t| t.jwt),
        target: target.map(|t| t.base),
        default_mode: mode_name(engine.default_mode()),
        modes: engine
            .modes()
            .into_iter()
            .map(|(action_key, m)| KeyMode {
                action_key,
                mode: mode_name(m),
            })
            .collect(),
        samples: bench
            .files()
            .samples
            .iter()
            .map(|s| s.sample.name.clone())
            .collect(),
        flows: bench
            .files()
            .flows
            .iter()
            .map(|f| f.flow.name.clone())
            .collect(),
        definitions: bench
            .files()
            .definitions
            .loaded
            .iter()
            .filter_map(|(_, d)| d.action_key().map(str::to_string))
            .collect(),
        session: bench.session.as_ref().map(|p| p.display().to_string()),
        calls: engine.len() as u64,
        now: engine.now().to_rfc3339(),
        warp: engine.warp().factor(),
        agents_connected: bench.agents() as u64,
    }
}

/// Why HTTP status `s` cannot carry an answer, if it cannot.
fn unsendable(s: u16) -> Option<String> {
    match s {
        200..=599 if !matches!(s, 204 | 205 | 304) => None,
        _ => Some(format!(
            "HTTP {s} cannot carry a JSON answer: pick a status from 200 to 599 (not 204, 205 or 304)"
        )),
    }
}

/// The reply `a` describes, for a call of `method`.
fn reply_of(a: &AnswerCallIn, method: Method) -> Result<Reply, String> {
    let given = [
        a.result.is_some(),
        a.timeout_minutes.is_some(),
        a.timeout_date.is_some(),
        a.error.is_some(),
        a.raw.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        return Err(format!(
            "give exactly one of result, timeoutMinutes, timeoutDate, error or raw (got {given})"
        ));
    }
    let invoke_only = a.result.is_some() || a.timeout_minutes.is_some() || a.timeout_date.is_some();
    if invoke_only && method != Method::Invoke {
        return Err(format!(
            "result and timeouts answer an invoke; this call is a {}: answer it with raw or error",
            method.label()
        ));
    }
    let reply = if let Some(r) = &a.result {
        Reply::json(200, InvokeResponse::immediate(r.clone()).to_value())
    } else if let Some(m) = a.timeout_minutes {
        Reply::json(200, InvokeResponse::timeout_length(m).to_value())
    } else if let Some(d) = &a.timeout_date {
        Reply::json(200, InvokeResponse::timeout_date(d.trim()).to_value())
    } else if let Some(e) = &a.error {
        let code = e.code.as_deref().unwrap_or("ACTION_FAILED");
        let mut body = wire::application_error(code, json!({}));
        if let Some(d) = &e.description {
            body["details"]["applicationError"]["description"] = json!(d);
        }
        Reply::json(e.status, body)
    } else if let Some(r) = &a.raw {
        Reply::json(r.status, r.body.clone())
    } else {
        return Err("no answer given".into());
    };
    if let Some(why) = unsendable(reply.status) {
        return Err(why);
    }
    Ok(reply)
}

/// Answers held call `a.id`, checked against the contract and the key's output schema first:
/// an answer that breaks it is refused with the findings unless `force`.
pub fn answer(bench: &Bench, a: &AnswerCallIn) -> Result<AnswerCallOut, String> {
    let engine = &bench.engine;
    let ex = engine
        .exchange(a.id)
        .ok_or_else(|| format!("no call #{}", a.id))?;
    if !ex.phase.is_held() {
        return Err(format!(
            "#{} is not held (it is {}): only a held call can be answered; set_mode hold makes its key's calls wait",
            a.id,
            ex.phase.label()
        ));
    }
    let method = ex.method.unwrap_or(Method::Invoke);
    let reply = reply_of(a, method)?;
    let output = ex
        .action_key
        .as_deref()
        .and_then(|k| engine.schemas(k).output);
    let times = AnswerTimes {
        requested: ex.at,
        answered: engine.now(),
    };
    let judged = check_answer(method, reply.status, &reply.body, output.as_ref(), times);
    let sent = (*reply.body).clone();
    let status = reply.status;
    if contract::has_errors(&judged) && !a.force {
        return Ok(AnswerCallOut {
            taken: false,
            refused: Some(format!(
                "the answer breaks the contract ({}): nothing was sent; fix it, or pass force: true to send it on purpose",
                contract::summary(&judged)
            )),
            findings: findings(&judged),
            phase: Some(ex.phase.label().to_string()),
            sent,
            status,
        });
    }
    engine.answer_as(a.id, reply, AnsweredBy::Agent)?;
    let after = engine.exchange(a.id);
    Ok(AnswerCallOut {
        taken: true,
        refused: None,
        findings: after
            .as_ref()
            .and_then(|x| x.response.as_ref())
            .map_or_else(|| findings(&judged), |r| findings(&r.findings)),
        phase: after.map(|x| x.phase.label().to_string()),
        sent,
        status,
    })
}

/// Reports the completion of a waiting invocation, judged as the completion API's stand-in
/// judges a report.
pub fn report(bench: &Bench, r: &ReportCompletionIn) -> Result<ReportCompletionOut, String> {
    let engine = &bench.engine;
    let id: ExchangeId = match (r.id, &r.invocation_token) {
        (Some(id), _) => id,
        (None, Some(t)) => engine
            .invocation_of(t)
            .ok_or_else(|| format!("no invocation carried the token {t:?}"))?,
        (None, None) => return Err("give id or invocationToken: which invocation".into()),
    };
    let ex = engine
        .exchange(id)
        .ok_or_else(|| format!("no call #{id}"))?;
    let token = match (&r.invocation_token, &ex.invocation_token) {
        (Some(t), _) | (None, Some(t)) => t.clone(),
        (None, None) => return Err(format!("#{id} carries no invocation token")),
    };
    let report = match (&r.result, &r.error_description) {
        (Some(result), None) => CompletionReport::success(&token, result.clone()),
        (None, Some(d)) => CompletionReport::failure(&token, d),
        _ => {
            return Err(
                "give exactly one of result (success) or errorDescription (failure)".into(),
            );
        }
    };
    let output = ex
        .action_key
        .as_deref()
        .and_then(|k| engine.schemas(k).output);
    let value = serde_json::to_value(&report).unwrap_or_default();
    let judged = contract::check_completion_report(&value, output.as_ref());
    let (taken, status, answer) = match engine.report_completion_from(id, &report, "from the agent")
    {
        Ok(()) => (true, 200, json!({})),
        Err(reply) => (false, reply.status, (*reply.body).clone()),
    };
    Ok(ReportCompletionOut {
        taken,
        id: Some(id),
        status,
        answer,
        phase: engine.exchange(id).map(|x| x.phase.label().to_string()),
        findings: findings(&judged),
    })
}

/// The sample `s` asks for: a loaded one by name or file name, or one written inline.
fn sample_of(bench: &Bench, s: &SendSampleIn) -> Result<LoadedSample, String> {
    match (&s.sample, &s.inline) {
        (Some(name), None) => bench
            .files()
            .samples
            .iter()
            .find(|l| {
                l.sample.name == *name
                    || l.path.as_ref().is_some_and(|p| {
                        p.file_name().is_some_and(|f| f.to_string_lossy() == *name)
                            || p.file_stem().is_some_and(|f| f.to_string_lossy() == *name)
                    })
            })
            .cloned()
            .ok_or_else(|| {
                let files = bench.files();
                let names: Vec<&str> = files
                    .samples
                    .iter()
                    .map(|l| l.sample.name.as_str())
                    .collect();
                format!(
                    "sample: no sample named {name:?}; loaded: {}",
                    names.join(", ")
                )
            }),
        (None, Some(v)) => {
            let sample = Sample::parse(&v.to_string()).map_err(|e| format!("inline: {e}"))?;
            LoadedSample::new(sample, None).map_err(|e| format!("inline: {e}"))
        }
        _ => Err("give exactly one of sample (a loaded sample's name) or inline".into()),
    }
}

fn not_sent(reason: String, f: &[contract::Finding]) -> SendSampleOut {
    SendSampleOut {
        sent: false,
        id: None,
        call: None,
        reason: Some(reason),
        findings: findings(f),
    }
}

/// Sends a sample to the inbox (taken as any call, tagged as the agent's) or to the target.
pub async fn send(bench: &Bench, s: &SendSampleIn) -> Result<SendSampleOut, String> {
    let sample = sample_of(bench, s)?;
    let engine = &bench.engine;
    let id = match s.to {
        Destination::Inbox => {
            if !sample.params_findings.is_empty() && !s.anyway {
                return Ok(not_sent(
                    "not sent: its actionParams fail the input schema, and Wix never sends such a request (anyway: true sends it)".into(),
                    &sample.params_findings,
                ));
            }
            if let Some(why) = engine.unwritable() {
                return Err(format!(
                    "the session cannot be written ({why}): nothing sent"
                ));
            }
            let body = sample.sample.envelope(true).to_string();
            let path = sample.sample.method.path();
            let mut incoming =
                Incoming::post(path, body).ok_or_else(|| format!("no method answers {path}"))?;
            incoming.headers =
                "user-agent: ActionBench agent (MCP)\ncontent-type: text/plain\n".into();
            let options = CallOptions {
                tag: Some(SENT_BY_AGENT.into()),
                ..CallOptions::default()
            };
            let (id, intake) = engine.intake_as(incoming, &options);
            // Answered like any call: held ones wait (in the background) for their answer.
            let settling = engine.clone();
            tokio::spawn(async move {
                let _ = crate::server::settle(settling.clone(), intake).await;
                let _ = settling.durable();
            });
            id
        }
        Destination::Target => {
            let mut target = bench.target().ok_or(
                "no target: start with --target URL (or set your action's URL in the window)",
            )?;
            if let Some(signed) = s.signed {
                target.jwt = signed;
            }
            let source = Source::Manual { test_mode: false };
            match bench.player.send(&target, &sample, &source, s.anyway).await {
                Ok(sent) => {
                    if let Some(why) = sent.unreachable {
                        let mut out = not_sent(why, &[]);
                        out.id = Some(sent.id);
                        out.call = engine.exchange(sent.id).map(|x| call_row(&x));
                        return Ok(out);
                    }
                    sent.id
                }
                Err(not) => return Ok(not_sent(not.reason, &not.findings)),
            }
        }
    };
    let ex = engine.exchange(id);
    Ok(SendSampleOut {
        sent: true,
        id: Some(id),
        call: ex.as_ref().map(call_row),
        reason: None,
        findings: ex
            .map(|x| findings(&x.all_findings().cloned().collect::<Vec<_>>()))
            .unwrap_or_default(),
    })
}

pub fn set_mode(bench: &Bench, m: &SetModeIn) -> Result<SetModeOut, String> {
    let key = m.action_key.trim();
    if key.is_empty() {
        return Err("actionKey: empty".into());
    }
    let mode = mode_of(m.mode);
    if mode == Mode::Forward && bench.engine.relay().is_none() {
        return Err(
            "forward needs your action's URL: start with --target URL and --answer forward, or use the window"
                .into(),
        );
    }
    let mut policy = bench.engine.policy(key);
    let was = mode_name(policy.mode);
    policy.mode = mode;
    bench.engine.set_policy(key, policy);
    Ok(SetModeOut {
        action_key: key.to_string(),
        mode: m.mode,
        was,
    })
}
