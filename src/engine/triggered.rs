//! The stand-ins for what an app calls on Wix's side besides completion reports: the
//! Triggered Events API (Report Event, Bulk Report Event, Cancel Event, Bulk Cancel Event)
//! and the OAuth token the SDK fetches before any call. A reported event is judged against its
//! trigger's definition, an idempotency key seen before starts nothing, and every flow whose
//! trigger matches is started as an automation by whoever runs them ([`Automations`], above
//! the engine). Where Wix does not document a behaviour, an assumption decides (see
//! `domain::assumptions`).
//!
//! Methods: `set_triggers`, `triggers`, `set_automations`, `rate_limit`; within the engine
//! `automations`, `wix`, `intake_wix`, `access_token`, `trigger_known`, `report_event`,
//! `bulk_report_event`, `judge_event`, `cancel_event`, `bulk_cancel_event`, `cancel_entity`.

use super::idempotency::IdempotencyKeys;
use super::reports::json_body;
use super::{
    Arc, DateTime, Engine, EventKind, ExchangeId, Finding, Method, MutexGuard, Phase, Reply, Utc,
    Value, contract, envelope, json, workbench_reply,
};
use crate::domain::trigger::events::{self, EventInfo};
use crate::domain::trigger::{LoadedTrigger, Triggers};

/// An event an app reported, as the automations that answer it need it.
#[derive(Clone, Debug)]
pub struct ReportedEvent {
    /// The exchange that reported it.
    pub exchange: ExchangeId,
    pub trigger_key: String,
    pub payload: Value,
    pub external_entity_id: Option<String>,
    /// A scheduled trigger's event time (its `futureDate` property).
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// Whoever runs automations (flows) for reported events; the engine only asks.
pub trait Automations: Send + Sync {
    /// Whether any loaded flow, switched on or off, uses trigger `key`.
    fn knows(&self, key: &str) -> bool;
    /// Starts every flow switched on for `key` as one activation each: their IDs and names.
    fn start(&self, event: ReportedEvent) -> Vec<(String, String)>;
    /// Stops the remaining steps of every activation of `key` about `entity`: their IDs.
    fn cancel(&self, key: &str, entity: &str) -> Vec<String>;
}

/// What the stand-ins remember: idempotency keys, with when they expire and what the first
/// report started.
#[derive(Default)]
pub(super) struct WixState {
    seen: IdempotencyKeys,
}

/// One reported event judged: refused (the findings), or what to answer.
enum Judged {
    Refused(Reply),
    /// Taken: the activation IDs to answer with, findings, and the timeline's note.
    Taken {
        ids: Vec<String>,
        findings: Vec<Finding>,
        note: String,
    },
}

impl Engine {
    /// The trigger definitions reports are judged against.
    pub fn set_triggers(&self, triggers: Triggers) {
        *self.triggers.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(triggers);
    }

    pub fn triggers(&self) -> Arc<Triggers> {
        self.triggers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Who starts and cancels automations for reported events.
    pub fn set_automations(&self, a: Option<Arc<dyn Automations>>) {
        *self.automations.write().unwrap_or_else(|e| e.into_inner()) = a;
    }

    fn automations(&self) -> Option<Arc<dyn Automations>> {
        self.automations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn wix(&self) -> MutexGuard<'_, WixState> {
        self.wix.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A call to one of Wix's APIs that arrived as exchange `id` (not a completion report).
    pub(super) fn intake_wix(
        &self,
        id: ExchangeId,
        method: Method,
        body: &[u8],
        authorized: bool,
        sim: DateTime<Utc>,
    ) -> Reply {
        // The token call is how an app gets its Authorization; the others need it.
        let value = match json_body(body, "the request").and_then(|v| match method {
            Method::AccessToken => Ok(v),
            _ => self.authorization(id, authorized).map(|()| v),
        }) {
            Ok(v) => v,
            Err(reply) => return self.reject(id, reply, sim),
        };
        let done = match method {
            Method::AccessToken => self.access_token(&value),
            Method::ReportEvent => self.report_event(id, &value, sim),
            Method::BulkReportEvent => self.bulk_report_event(id, &value, sim),
            Method::CancelEvent => self.cancel_event(&value),
            Method::BulkCancelEvent => self.bulk_cancel_event(&value),
            _ => Err(Reply::error(404, "NOT_FOUND", "not one of Wix's APIs")),
        };
        match done {
            Ok((reply, key, findings, note)) => {
                if let Some(mut ex) = self.log.lock(id) {
                    ex.envelope = Some(envelope::EnvelopeKind::PlainJson);
                    ex.action_key = key;
                    ex.findings.extend(findings);
                    workbench_reply(&mut ex, &reply, Phase::Accepted, note, sim);
                    self.emit(EventKind::Accepted, ex);
                }
                reply
            }
            Err(reply) => self.reject(id, reply, sim),
        }
    }

    /// The OAuth token the SDK's `AppStrategy` fetches: a fresh token of the workbench's (its
    /// stand-ins take any token: they warn only when there is none).
    fn access_token(&self, v: &Value) -> Result<Taken, Reply> {
        let client = v
            .get("client_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let Some(client) = client else {
            return Err(Reply::error(
                400,
                "INVALID_REQUEST",
                "client_id is required: the app's ID (AppStrategy's appId)",
            ));
        };
        let mut findings = vec![];
        let grant = v.get("grant_type").and_then(Value::as_str).unwrap_or("");
        if grant != "client_credentials" {
            findings.push(Finding::warning(
                "grant-type",
                format!("grant_type {grant:?}: the SDK asks with client_credentials"),
            ));
        }
        if v.get("instance_id").and_then(Value::as_str).is_none() {
            findings.push(Finding::warning(
                "no-instance-id",
                "no instance_id: a token for a site's app instance needs it (AppStrategy's instanceId)",
            ));
        }
        let token = format!("actionbench-{}", uuid::Uuid::new_v4());
        let reply = Reply::json(
            200,
            json!({ "access_token": token, "token_type": "Bearer", "expires_in": 14400 }),
        );
        let note = format!("a workbench access token for app {client}");
        Ok((reply, None, findings, note))
    }

    /// The trigger `key` as the workbench knows it: its definition, and whether a flow uses it;
    /// or the refusal of a trigger nobody knows (with the findings to add when it is taken).
    fn trigger_known(&self, key: &str) -> Result<(Option<LoadedTrigger>, Vec<Finding>), Reply> {
        let def = self.triggers().find(key).cloned();
        let used = self.automations().is_some_and(|a| a.knows(key));
        if def.is_some() || used {
            let findings = match def {
                None => vec![Finding::warning(
                    "no-trigger-definition",
                    format!(
                        "no trigger definition has triggerKey {key:?}: its payload is not checked (add one under --triggers)"
                    ),
                )],
                Some(_) => vec![],
            };
            return Ok((def, findings));
        }
        let why = format!(
            "no trigger definition and no flow has triggerKey {key:?}: [assumed] Wix answers 428 for a trigger it cannot use (unknown, unpublished, or not this app's)"
        );
        if self.assumptions().accept_unknown_trigger {
            return Ok((None, vec![Finding::warning("unknown-trigger", why)]));
        }
        Err(Reply::error(428, "FAILED_PRECONDITION", &why))
    }

    fn report_event(&self, id: ExchangeId, v: &Value, sim: DateTime<Utc>) -> Result<Taken, Reply> {
        let ((key, info), mut findings) =
            events::read_report(v).map_err(|f| Reply::violations(&f))?;
        let (def, known) = self.trigger_known(&key)?;
        findings.extend(known);
        match self.judge_event(id, &key, def.as_ref(), info, sim) {
            Judged::Refused(reply) => Err(reply),
            Judged::Taken {
                ids,
                findings: more,
                note,
            } => {
                findings.extend(more);
                let reply = Reply::json(200, json!({ "activationIds": ids }));
                Ok((reply, Some(key), findings, note))
            }
        }
    }

    fn bulk_report_event(
        &self,
        id: ExchangeId,
        v: &Value,
        sim: DateTime<Utc>,
    ) -> Result<Taken, Reply> {
        let (key, items) = events::read_bulk_report(v).map_err(|f| Reply::violations(&f))?;
        let (def, mut findings) = self.trigger_known(&key)?;
        let echo = v
            .get("eventsInfo")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut results = vec![];
        let mut notes = vec![];
        for (i, item) in items.into_iter().enumerate() {
            let event_info = echo.get(i).cloned().unwrap_or_else(|| json!({}));
            let (metadata, ids) = match item {
                Err(problems) => {
                    let why = contract::summary(&problems);
                    notes.push(format!("item {i} refused: {why}"));
                    findings.extend(problems);
                    (
                        events::item_metadata(i, None, Some(("INVALID_ARGUMENT", &why))),
                        vec![],
                    )
                }
                Ok((info, warnings)) => {
                    findings.extend(warnings);
                    match self.judge_event(id, &key, def.as_ref(), info, sim) {
                        Judged::Refused(reply) => {
                            let why = reply.message().to_string();
                            notes.push(format!("item {i} refused: {why}"));
                            findings.push(
                                Finding::error("bulk-item", format!("eventsInfo[{i}]: {why}"))
                                    .at(format!("eventsInfo[{i}]")),
                            );
                            (
                                events::item_metadata(i, None, Some(("INVALID_ARGUMENT", &why))),
                                vec![],
                            )
                        }
                        Judged::Taken {
                            ids,
                            findings: more,
                            note,
                        } => {
                            notes.push(format!("item {i}: {note}"));
                            findings.extend(more.into_iter().map(|f| match f.field.clone() {
                                Some(field) => f.at(format!("eventsInfo[{i}].{field}")),
                                None => f,
                            }));
                            let item_id = uuid::Uuid::new_v4().to_string();
                            (events::item_metadata(i, Some(&item_id), None), ids)
                        }
                    }
                }
            };
            results.push(
                json!({ "itemMetadata": metadata, "eventInfo": event_info, "activationIds": ids }),
            );
        }
        let reply = Reply::json(
            200,
            json!({ "triggerKey": key, "bulkActionMetadata": events::bulk_metadata(&results), "results": results }),
        );
        Ok((reply, Some(key), findings, notes.join("; ")))
    }

    /// One event of trigger `key`: its payload judged against `def`, its idempotency key, and
    /// the automations it starts.
    fn judge_event(
        &self,
        id: ExchangeId,
        key: &str,
        def: Option<&LoadedTrigger>,
        info: EventInfo,
        sim: DateTime<Utc>,
    ) -> Judged {
        let a = self.assumptions();
        let mut broken = def
            .map(|d| d.payload_violations(&info.payload))
            .unwrap_or_default();
        let scheduled = match def.and_then(|d| d.scheduled_for(&info.payload)) {
            Some(Ok(at)) => Some(at),
            Some(Err(why)) => {
                broken.push(Finding::error("future-date", why).at("payload"));
                None
            }
            None => None,
        };
        if !broken.is_empty() {
            if a.refuse_bad_payload {
                return Judged::Refused(Reply::violations(&broken));
            }
            return Judged::Taken {
                ids: vec![],
                note: format!(
                    "the payload breaks the trigger's schema ({}): [assumed] taken, and no automation runs",
                    contract::summary(&broken)
                ),
                findings: broken,
            };
        }
        let mut findings = vec![];
        if let Some(at) = scheduled
            && at <= sim
        {
            let why = format!("the event's date {} has passed", at.to_rfc3339());
            if a.refuse_past_schedule {
                return Judged::Refused(Reply::error(
                    400,
                    "INVALID_ARGUMENT",
                    &format!("{why}: [assumed] refused, as set"),
                ));
            }
            findings.push(
                Finding::warning(
                    "schedule-expired",
                    format!("{why}: its runs are skipped as expired (SCHEDULE_DATE_EXPIRED)"),
                )
                .at("payload"),
            );
        }
        // The key is taken before the automations start, so that a second report with it
        // meanwhile starts nothing either.
        let mut claim = None;
        if let Some(i) = info.idempotency {
            match self.wix().seen.claim(key, &i.key, id, sim, i.ttl_ms) {
                Ok(c) => claim = Some(c),
                Err(seen) => {
                    let ids = if a.duplicate_returns_first_ids {
                        seen.ids
                    } else {
                        vec![]
                    };
                    return Judged::Taken {
                        ids,
                        findings,
                        note: format!(
                            "idempotency key {:?} was reported in #{} and lives until {}: nothing starts",
                            i.key,
                            seen.exchange,
                            seen.until.format("%Y-%m-%d %H:%M:%S UTC")
                        ),
                    };
                }
            }
        }
        let started = match self.automations() {
            Some(auto) => auto.start(ReportedEvent {
                exchange: id,
                trigger_key: key.to_string(),
                payload: info.payload,
                external_entity_id: info.external_entity_id,
                scheduled_for: scheduled,
            }),
            None => vec![],
        };
        let ids: Vec<String> = started.iter().map(|(id, _)| id.clone()).collect();
        if let Some(c) = claim {
            self.wix().seen.started(c, ids.clone());
        }
        let note = match started.len() {
            0 => {
                "no flow answers this trigger (none uses it, or each one that does is switched off)"
                    .to_string()
            }
            _ => format!(
                "started {}",
                started
                    .iter()
                    .map(|(a, name)| format!("\"{name}\" (activation {a})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Judged::Taken {
            ids,
            findings,
            note,
        }
    }

    fn cancel_event(&self, v: &Value) -> Result<Taken, Reply> {
        let (key, entity) = events::read_cancel(v).map_err(|f| Reply::violations(&f))?;
        let note = self.cancel_entity(&key, &entity);
        Ok((Reply::json(200, json!({})), Some(key), vec![], note))
    }

    fn bulk_cancel_event(&self, v: &Value) -> Result<Taken, Reply> {
        let (key, ids) = events::read_bulk_cancel(v).map_err(|f| Reply::violations(&f))?;
        let (mut results, mut notes, mut findings) = (vec![], vec![], vec![]);
        for (i, id) in ids.into_iter().enumerate() {
            let echo = v
                .pointer(&format!("/externalEntityIds/{i}"))
                .cloned()
                .unwrap_or(Value::Null);
            let metadata = match id {
                Ok(entity) => {
                    notes.push(self.cancel_entity(&key, &entity));
                    events::item_metadata(i, Some(&entity), None)
                }
                Err(f) => {
                    let m = events::item_metadata(i, None, Some(("INVALID_ARGUMENT", &f.message)));
                    notes.push(format!("item {i} refused: {}", f.message));
                    findings.push(f);
                    m
                }
            };
            results.push(json!({ "itemMetadata": metadata, "externalEntityId": echo }));
        }
        let reply = Reply::json(
            200,
            json!({ "triggerKey": key, "bulkActionMetadata": events::bulk_metadata(&results), "results": results }),
        );
        Ok((reply, Some(key), findings, notes.join("; ")))
    }

    /// Cancels what waits for `entity` of trigger `key`; the note that says what it did.
    fn cancel_entity(&self, key: &str, entity: &str) -> String {
        let cancelled = self
            .automations()
            .map(|a| a.cancel(key, entity))
            .unwrap_or_default();
        match cancelled.len() {
            0 => format!("nothing of {entity} waits: [assumed] 200 {{}} all the same"),
            _ => format!(
                "cancelled the remaining steps of {} activation(s) for {entity}: {}",
                cancelled.len(),
                cancelled.join(", ")
            ),
        }
    }

    /// Whether a run passes rate limit `key` (the automation, its node and the identifier) now,
    /// on the simulated clock: see [`crate::domain::flow::rate::RateCounts::take`]; the window
    /// is fixed or sliding as the assumption says.
    pub fn rate_limit(
        &self,
        key: &str,
        max: u64,
        window: Option<chrono::Duration>,
    ) -> crate::domain::flow::rate::RateSaid {
        let fixed = self.assumptions().rate_limit_fixed_window;
        let now = self.now();
        self.rates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(key, now, max, window, fixed)
    }
}

/// What a stand-in took: the reply, the key to show (the trigger's), findings, and the note.
type Taken = (Reply, Option<String>, Vec<Finding>, String);
