//! Intake: one HTTP request in, logged, and answered now or held.
//!
//! Methods: `intake`, `intake_as`, `refused`, `refused_as`; within the engine `arriving`,
//! `reject`, `plan_plugin`, `note_envelope`, `plan_invoke_tail`, `plan_trigger_provider`,
//! `plan_answer`.

use super::{
    AnsweredBy, Arc, Arrival, CallOptions, Cow, DateTime, Direction, Engine, EventKind, Exchange,
    ExchangeId, Finding, Incoming, Intake, Method, Mode, Ordering, Phase, Policy, Refused, Reply,
    Utc, Value, apply_answer, auto_body, contract, envelope, extension_finding, fail_reply, judge,
    oneshot, parse_plugin_request, quick, source_finding, workbench_reply,
};

/// What intake decided before the exchange was appended to the log.
pub(super) enum Plan<'b> {
    Refuse(Reply),
    Report(&'b [u8]),
    /// A call to one of Wix's other APIs (events, the access token).
    Wix(Method, &'b [u8]),
    Answer {
        reply: Reply,
        by: AnsweredBy,
        findings: Vec<Finding>,
        phase: Phase,
    },
    Hold,
    Forward,
}

/// The plan once any answer is written into the exchange: what is left to do once it is in the
/// log.
pub(super) enum Decided<'b> {
    Refuse(Reply),
    Report(&'b [u8]),
    Wix(Method, &'b [u8]),
    Answered(Reply),
    Hold,
    Forward,
}

impl Engine {
    /// Takes one routed request: logs it, and answers it now or holds it. The request is
    /// decoded and judged before it is appended (no lock covers the log), so calls are
    /// processed in parallel. Requests the server refused before routing them go to [`Engine::refused`] instead.
    pub fn intake(&self, incoming: Incoming) -> Intake {
        self.intake_as(incoming, &CallOptions::default()).1
    }

    /// [`Engine::intake`] for a call the workbench makes to itself (a flow's step): answered
    /// by `options.policy` rather than the key's, tagged, and held as long as it says. Returns
    /// the exchange's id too.
    pub fn intake_as(&self, incoming: Incoming, options: &CallOptions) -> (ExchangeId, Intake) {
        let real = self.clock.now();
        let sim = self.now();
        let Incoming {
            method,
            path,
            headers,
            authorized,
            body,
        } = incoming;
        let mut ex = self.arriving(&path, Some(method), sim);
        let arrived: Cow<'static, str> = if path == method.path() {
            method.arrived_note().into()
        } else {
            format!("POST {path} arrived").into()
        };
        ex.note(sim, arrived);
        let arrival = Arrival {
            headers,
            body: body.clone(),
            unread: None,
        };
        let plan = match method {
            Method::CompletionReport => Plan::Report(&body),
            m if m.is_wix_api() => Plan::Wix(m, &body),
            m => self.plan_plugin(m, &body, &mut ex, real, sim, options.policy.as_ref()),
        };
        ex.tag.clone_from(&options.tag);
        ex.arrival = Arc::new(arrival);
        let closing = self.closing.load(Ordering::Acquire);
        // The exchange as it arrived, for subscribers, before an answer is written into it. A
        // call answered now has none: its answer's event says it arrived too.
        let answered_now = matches!(plan, Plan::Answer { .. })
            || (closing && matches!(plan, Plan::Hold | Plan::Forward));
        let arrived =
            (!answered_now && self.subscribed.load(Ordering::Acquire)).then(|| ex.clone());
        // An answer decided now is written into the exchange before it is appended.
        let plan = match plan {
            Plan::Answer { .. } | Plan::Hold | Plan::Forward if closing => {
                let reply = Reply::error(503, "SHUTTING_DOWN", "the workbench is closing");
                apply_answer(
                    &mut ex,
                    &reply,
                    AnsweredBy::Shutdown,
                    vec![],
                    Phase::ShutDown,
                    sim,
                );
                Decided::Answered(reply)
            }
            Plan::Answer {
                reply,
                by,
                findings,
                phase,
            } => {
                apply_answer(&mut ex, &reply, by, findings, phase, sim);
                Decided::Answered(reply)
            }
            Plan::Refuse(reply) => Decided::Refuse(reply),
            Plan::Report(body) => Decided::Report(body),
            Plan::Wix(m, body) => Decided::Wix(m, body),
            Plan::Hold => Decided::Hold,
            Plan::Forward => Decided::Forward,
        };

        // An answered call's record is encoded now, before it is appended: then the journal
        // only copies the bytes in with the id.
        let prepared = match (&plan, self.recorder()) {
            (Decided::Answered(_), Some(r)) => r.prepare(EventKind::of(&ex.phase).label(), &ex),
            _ => None,
        };
        let live = matches!(plan, Decided::Hold | Decided::Forward) || ex.phase.is_live();
        let (id, kind) = self.append(ex, live);
        if let Some(mut arrived) = arrived {
            arrived.id = id;
            self.send(EventKind::Arrived, Arc::new(arrived), false);
        }
        let intake = match plan {
            Decided::Refuse(reply) => Intake::Now(self.reject(id, reply, sim)),
            Decided::Report(body) => Intake::Now(self.intake_report(id, body, authorized, sim)),
            Decided::Wix(m, body) => Intake::Now(self.intake_wix(id, m, body, authorized, sim)),
            Decided::Answered(reply) => {
                if let Some(ex) = self.log.lock(id) {
                    self.emit_prepared(kind, ex, prepared, true);
                }
                Intake::Now(reply)
            }
            Decided::Hold => {
                let (tx, rx) = oneshot::channel();
                let mut st = self.lock();
                st.pending.insert(id, tx);
                if let Some(p) = &options.policy {
                    st.fallbacks.insert(id, p.clone());
                }
                if let Some(mut ex) = self.log.lock(id) {
                    ex.phase = Phase::Held {
                        hold_until: real + options.hold_for.unwrap_or(self.config.hold_for),
                    };
                    ex.note(sim, "held: waiting for the developer's answer");
                    self.emit(EventKind::Held, ex);
                }
                Intake::Held { id, reply: rx }
            }
            Decided::Forward => {
                let (tx, rx) = oneshot::channel();
                let mut st = self.lock();
                st.pending.insert(id, tx);
                let content_type = match self.log.lock(id) {
                    Some(mut ex) => {
                        ex.phase = Phase::Forwarding;
                        ex.tag = Some("forwarded".into());
                        ex.note(sim, "forward mode: relayed to your action");
                        let content_type = header_value(&ex.arrival.headers, "content-type")
                            .unwrap_or("application/json")
                            .to_string();
                        self.emit(EventKind::Forwarding, ex);
                        content_type
                    }
                    None => "application/json".to_string(),
                };
                Intake::Forward {
                    id,
                    reply: rx,
                    method,
                    content_type,
                    body: body.clone(),
                }
            }
        };
        (id, intake)
    }

    /// A fresh inbound exchange for a request to `path`.
    fn arriving(&self, path: &str, method: Option<Method>, sim: DateTime<Utc>) -> Exchange {
        Exchange {
            id: 0,
            direction: Direction::Inbound,
            at: sim,
            http_method: "POST".into(),
            path: path.to_string(),
            method,
            action_key: None,
            envelope: None,
            invocation_token: None,
            arrival: Arc::default(),
            findings: vec![],
            phase: Phase::Received,
            response: None,
            // Room for what every call has (arrived, then held or answered); an answered
            // call grows it once. A held call keeps two entries, not the four a first push
            // would make room for.
            timeline: Vec::with_capacity(2),
            tag: None,
            target_answer: None,
        }
    }

    /// Logs a request the server refused before the engine could judge it (no route, not a
    /// POST, a body too large or unreadable), flagged, and returns the server's reply.
    pub fn refused(&self, r: Refused) -> Reply {
        self.refused_as(r).1
    }

    /// [`Engine::refused`], with the id of the exchange logged.
    pub fn refused_as(&self, r: Refused) -> (ExchangeId, Reply) {
        let sim = self.now();
        let mut ex = self.arriving(&r.path, Method::from_path(&r.path), sim);
        ex.http_method = r.http_method.clone();
        ex.note(sim, format!("{} {} arrived", r.http_method, r.path));
        ex.arrival = Arc::new(Arrival {
            headers: r.headers,
            body: r.body,
            unread: r.unread,
        });
        let arrived = self.subscribed.load(Ordering::Acquire).then(|| ex.clone());
        let (id, _) = self.append(ex, false);
        if let Some(mut arrived) = arrived {
            arrived.id = id;
            self.send(EventKind::Arrived, Arc::new(arrived), false);
        }
        (id, self.reject(id, r.reply, sim))
    }

    /// Refuses exchange `id` with `reply`. Call it with no exchange locked.
    pub(super) fn reject(&self, id: ExchangeId, reply: Reply, sim: DateTime<Utc>) -> Reply {
        let message = reply.message().to_string();
        let code = reply
            .body
            .pointer("/details/applicationError/code")
            .and_then(Value::as_str)
            .unwrap_or("VALIDATION_ERROR")
            .to_string();
        if let Some(mut ex) = self.log.lock(id) {
            // A call refused before its key was read still shows the key its body names.
            if ex.action_key.is_none() {
                ex.action_key = envelope::inspect(&ex.arrival.body)
                    .action_key()
                    .map(str::to_string);
            }
            let note = format!("refused with HTTP {}: {message}", reply.status);
            workbench_reply(
                &mut ex,
                &reply,
                Phase::Rejected { code, message },
                note,
                sim,
            );
            self.emit(EventKind::Rejected, ex);
        }
        reply
    }

    /// Decodes and checks a service plugin call and decides its answer, before it is logged.
    pub(super) fn plan_plugin<'b>(
        &self,
        method: Method,
        body: &'b [u8],
        ex: &mut Exchange,
        real: DateTime<Utc>,
        sim: DateTime<Utc>,
        policy: Option<&Arc<Policy>>,
    ) -> Plan<'b> {
        if method == Method::Invoke
            && self.config.quick_path
            && let Some(q) = quick::quick_invoke(body)
            // A trigger provider's envelope is routed by the slow path (the SDK finds no
            // trigger method at /v1/invoke).
            && !crate::domain::trigger::provider::is_trigger_extension(
                q.app_extension_type.as_deref(),
            )
        {
            self.note_envelope(q.kind, ex);
            let key = q.action_key.into_owned();
            ex.findings
                .extend(extension_finding(q.app_extension_type.as_deref()));
            if let Some(src) = q.activation_source.as_deref() {
                ex.findings.extend(source_finding(src));
            }
            let has_input = self
                .keys()
                .schemas
                .get(&key)
                .is_some_and(|s| s.input.is_some());
            let params = has_input
                .then(|| serde_json::from_str::<Value>(q.action_params.get()).ok())
                .flatten();
            return self.plan_invoke_tail(
                key,
                params.as_ref(),
                q.invocation_token.as_deref(),
                ex,
                sim,
                policy,
            );
        }
        let mut decoded = match envelope::decode(body, &self.config.jwt, real) {
            Ok(d) => d,
            Err(e) => return Plan::Refuse(Reply::error(e.status(), e.code(), &e.to_string())),
        };
        self.note_envelope(decoded.kind, ex);
        ex.findings.append(&mut decoded.warnings);
        let extension = decoded
            .metadata
            .as_ref()
            .and_then(|m| m.get("appExtensionType"))
            .and_then(Value::as_str);
        let method = match route(method, &ex.path, extension) {
            Ok(m) => m,
            Err(reply) => return Plan::Refuse(reply),
        };
        ex.method = Some(method);
        if !method.is_trigger_provider() {
            ex.findings.extend(extension_finding(extension));
        } else if extension.is_none() {
            ex.findings.push(
                Finding::warning(
                    "app-extension-type",
                    "no metadata.appExtensionType: the SDK routes a trigger provider's calls by it (AUTOMATIONS_TRIGGER_PROVIDER)",
                )
                .at("metadata.appExtensionType"),
            );
        }
        if decoded.kind == envelope::EnvelopeKind::JwtUnverified {
            ex.findings.push(Finding::warning(
                "jwt-unverified",
                "the JWT was decoded but not verified: start with --public-key to check it",
            ));
        }
        let request = &decoded.request;
        if method.is_trigger_provider() {
            return self.plan_trigger_provider(method, request, ex, sim);
        }
        let (key, findings) = match parse_plugin_request(method, request) {
            Ok(x) => x,
            Err(problem) => return Plan::Refuse(Reply::violations(&[problem])),
        };
        ex.findings.extend(findings);
        if method == Method::Invoke {
            let token = request
                .pointer("/activationContext/invocationToken")
                .and_then(Value::as_str);
            return self.plan_invoke_tail(key, request.get("actionParams"), token, ex, sim, policy);
        }
        self.plan_answer(method, key, ex, sim, policy)
    }

    /// Records how the body arrived, with a warning where the SDK would refuse it.
    pub(super) fn note_envelope(&self, kind: envelope::EnvelopeKind, ex: &mut Exchange) {
        ex.envelope = Some(kind);
        let plain = matches!(
            kind,
            envelope::EnvelopeKind::PlainJson | envelope::EnvelopeKind::PlainEnvelope
        );
        if plain && self.config.jwt.public_key.is_some() {
            ex.findings.push(Finding::warning(
                "plain-body",
                "a plain JSON body, while a public key is set: Wix sends a signed JWT, and apps on the SDK refuse plain bodies",
            ));
        }
    }

    /// What both readings of an Invoke body share: the params against the input schema, the
    /// token, and the answer.
    pub(super) fn plan_invoke_tail<'b>(
        &self,
        key: String,
        params: Option<&Value>,
        token: Option<&str>,
        ex: &mut Exchange,
        sim: DateTime<Utc>,
        policy: Option<&Arc<Policy>>,
    ) -> Plan<'b> {
        if let Some(params) = params {
            let keys = self.keys();
            if let Some(input) = keys.schemas.get(&key).and_then(|s| s.input.as_ref()) {
                ex.findings
                    .extend(contract::check_action_params(params, input));
            }
        }
        match token {
            Some(t) => ex.invocation_token = Some(t.to_string()),
            None => ex.findings.push(Finding::warning(
                "no-invocation-token",
                "activationContext.invocationToken is missing: a timeout answer could not be completed",
            )),
        }
        self.plan_answer(Method::Invoke, key, ex, sim, policy)
    }

    /// The answer the key's policy gives, judged; or a hold.
    /// A Trigger Provider call: its request checked (refused when it breaks the SDK's types),
    /// then answered at once with a plain answer (valid, nothing to add, the payload as it
    /// came), judged against the trigger's definition as a provider's answer would be.
    fn plan_trigger_provider<'b>(
        &self,
        method: Method,
        request: &Value,
        ex: &mut Exchange,
        sim: DateTime<Utc>,
    ) -> Plan<'b> {
        use crate::domain::trigger::provider;
        let problems = provider::check_request(method, request);
        if contract::has_errors(&problems) {
            return Plan::Refuse(Reply::violations(&problems));
        }
        ex.findings.extend(problems);
        ex.action_key = request
            .get("triggerKey")
            .and_then(Value::as_str)
            .map(str::to_string);
        let reply = Reply::json(200, provider::default_answer(method, request));
        let (findings, phase) =
            self.judge_for(method, ex.action_key.as_deref(), &reply, sim.into());
        Plan::Answer {
            reply,
            by: AnsweredBy::Auto,
            findings,
            phase,
        }
    }

    pub(super) fn plan_answer<'b>(
        &self,
        method: Method,
        key: String,
        ex: &mut Exchange,
        sim: DateTime<Utc>,
        policy: Option<&Arc<Policy>>,
    ) -> Plan<'b> {
        let policy = policy.cloned().unwrap_or_else(|| self.policy_arc(&key));
        ex.action_key = Some(key);
        let (reply, by) = match policy.mode {
            Mode::Hold => return Plan::Hold,
            Mode::Forward => return Plan::Forward,
            Mode::Auto => (
                Reply::json(200, auto_body(method, &policy, sim)),
                AnsweredBy::Auto,
            ),
            Mode::Fail => (fail_reply(&policy), AnsweredBy::FailPolicy),
        };
        let output = self.output_schema(ex.action_key.as_deref());
        let broken_fails = self.assumptions().broken_answer_fails_step;
        let (findings, phase) = match (by, method) {
            // The saved answer, as saved: judged once (see `Judged`).
            (AnsweredBy::Auto, Method::Invoke) if Arc::ptr_eq(&reply.body, &policy.answer) => {
                self.judge_saved(&policy, &reply, output.as_ref(), sim, broken_fails)
            }
            _ => judge(method, &reply, output.as_ref(), sim.into(), broken_fails),
        };
        Plan::Answer {
            reply,
            by,
            findings,
            phase,
        }
    }
}

/// The method a service plugin call is for, once its envelope is read: the SDK picks the plugin
/// by `metadata.appExtensionType`, then the method by how the path ends. A trigger provider's
/// envelope goes to the trigger provider's methods (`/v1/validate-configuration` too); an
/// action provider's to a trigger provider's path is refused, as the SDK finds no method.
fn route(method: Method, path: &str, extension: Option<&str>) -> Result<Method, Reply> {
    use crate::domain::trigger::provider::{TRIGGER_EXTENSION_TYPE, is_trigger_extension};
    let paths = Method::TRIGGER_PROVIDER.map(Method::path).join(", ");
    if is_trigger_extension(extension) {
        return Method::trigger_provider_at(path).ok_or_else(|| {
            Reply::error(
                404,
                "NO_SUCH_METHOD",
                &format!("the envelope says {TRIGGER_EXTENSION_TYPE}, and {path} ends with none of its paths ({paths})"),
            )
        });
    }
    match extension {
        Some(ext) if method.is_trigger_provider() => Err(Reply::error(
            404,
            "NO_SUCH_METHOD",
            &format!(
                "{path} is a trigger provider's path ({paths}), and the envelope's appExtensionType is {ext:?}: only {TRIGGER_EXTENSION_TYPE} is routed there"
            ),
        )),
        _ => Ok(method),
    }
}

/// The value of header `name` in `name: value` lines.
fn header_value<'h>(headers: &'h str, name: &str) -> Option<&'h str> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
