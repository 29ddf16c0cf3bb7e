//! Playing Wix against the developer's own action: sending a sample as Wix would (plain JSON or
//! a signed JWT, with a fresh `activationContext` from a chosen source), the envelope lab, and
//! relaying the inbox's calls in forward mode. Every call is recorded in the engine's log, and
//! judged there. The window and `check` use the same [`Player`]; no egui or axum here.

pub mod automation;
pub mod automations;
pub mod caller;
pub mod generate;
pub mod keys;
mod run;
pub mod sender;

use crate::domain::as_wix::{self, App, Ids, Source};
use crate::domain::contract::Finding;
use crate::domain::envelope::EnvelopeKind;
use crate::domain::invocation::ExchangeId;
use crate::domain::lab::{self, LabCase, LabKeys, LabVerdict, Probe};
use crate::domain::sample::LoadedSample;
use crate::domain::wire::Method;
use crate::engine::{Engine, Outbound, TargetAnswer};
use caller::Failure;
use std::sync::Arc;
use std::time::Duration;

/// The developer's action: where it listens and who Wix calls it for.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The base URL, without a trailing slash: methods are at `{base}/v1/invoke`…
    pub base: String,
    pub app: App,
    /// Send signed JWTs (RS256) rather than plain JSON.
    pub jwt: bool,
    /// How long a call may take.
    pub timeout: Duration,
}

/// The app ID used when none is given and nothing is signed (a JWT needs a real one).
pub const NO_APP_ID: &str = "00000000-0000-0000-0000-000000000000";

impl Target {
    /// A target from what the user typed; errors say what to fix.
    pub fn new(
        base: &str,
        app_id: Option<&str>,
        instance_id: Option<&str>,
        jwt: bool,
        timeout: Duration,
    ) -> Result<Target, String> {
        let base = base.trim();
        let url = reqwest::Url::parse(base)
            .map_err(|e| format!("the target {base:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("the target {base} must be http or https"));
        }
        let app_id = match app_id.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => a.to_string(),
            None if jwt => {
                return Err("a signed request needs the app ID: its aud names the app".into());
            }
            None => NO_APP_ID.into(),
        };
        let instance_id = instance_id
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
        Ok(Target {
            base: url.as_str().trim_end_matches('/').to_string(),
            app: App {
                app_id,
                instance_id,
            },
            jwt,
            timeout,
        })
    }

    pub fn url(&self, method: Method) -> String {
        format!("{}{}", self.base, method.path())
    }
}

/// ActionBench's signing key, ready to use.
pub struct Signer {
    pub key: jsonwebtoken::EncodingKey,
    pub public_pem: String,
}

impl Signer {
    pub fn from_key(key: &crate::play::keys::SigningKey) -> Result<Signer, String> {
        Ok(Signer {
            key: key.encoding_key()?,
            public_pem: key.public_pem.clone(),
        })
    }
}

/// Why a sample was not sent.
#[derive(Clone, Debug, PartialEq)]
pub struct NotSent {
    pub reason: String,
    pub findings: Vec<Finding>,
}

/// A send that went out: its exchange in the log, and whether the target could not be reached
/// at all (nothing listens, the host is unknown), which `check` treats as "could not run".
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    pub id: ExchangeId,
    pub unreachable: Option<String>,
    /// How long the target took to answer, when it did.
    pub latency: Option<Duration>,
}

/// One lab case's result.
#[derive(Clone, Debug, PartialEq)]
pub struct LabRow {
    pub probe: Probe,
    pub verdict: LabVerdict,
    pub id: ExchangeId,
}

/// Plays Wix: holds the engine it records into, an HTTP client and the signing key.
#[derive(Clone)]
pub struct Player {
    engine: Arc<Engine>,
    signer: Option<Arc<Signer>>,
    client: reqwest::Client,
}

impl Player {
    /// `timeout` is the longest any call may take; each target's own is applied per call.
    pub fn new(engine: Arc<Engine>, signer: Option<Arc<Signer>>) -> Player {
        Player {
            engine,
            signer,
            // The per-call timeout is set on each request; this one only caps them all.
            client: caller::client(Duration::from_secs(3600)),
        }
    }

    fn signer(&self) -> Result<&Signer, String> {
        self.signer
            .as_deref()
            .ok_or_else(|| "no signing key: see the Public key panel, or --key-dir".to_string())
    }

    /// Sends `sample` to the target as Wix would, from `source`. Params that fail the sample's
    /// input schema are not sent unless `anyway`, and then the exchange is marked.
    pub async fn send(
        &self,
        target: &Target,
        sample: &LoadedSample,
        source: &Source,
        anyway: bool,
    ) -> Result<Sent, NotSent> {
        let mut findings = vec![];
        let mut tags = vec![];
        if !sample.params_findings.is_empty() {
            if !anyway {
                return Err(NotSent {
                    reason: "not sent: its actionParams fail the input schema, and Wix never sends such a request".into(),
                    findings: sample.params_findings.clone(),
                });
            }
            findings.push(Finding::error(
                "sent-anyway",
                "sent anyway: these actionParams fail the action's input schema, so Wix would never send them; what your action does with them is not what it will see in production",
            ));
            findings.extend(sample.params_findings.iter().cloned());
            tags.push("sent anyway");
        }
        match source {
            Source::Trigger => {}
            Source::Manual { test_mode: true } => tags.push("test run"),
            Source::Manual { test_mode: false } => tags.push("manual run"),
            Source::Rerun { .. } => tags.push("rerun"),
        }
        let method = sample.sample.method;
        let ids = Ids::fresh();
        let envelope = as_wix::wix_envelope(&sample.sample, source, &ids, &target.app);
        let token = (method == Method::Invoke).then(|| ids.invocation_token.clone());
        let action_key = sample.sample.action_key().map(str::to_string);
        let tag = (!tags.is_empty()).then(|| tags.join(", "));
        self.send_envelope(target, method, &envelope, action_key, token, findings, tag)
            .await
    }

    /// Sends an Invoke whose request a flow built (its `activationContext` included) to the
    /// target, as Wix would; logged with `tag`.
    pub async fn send_invoke(
        &self,
        target: &Target,
        request: serde_json::Value,
        ids: &Ids,
        findings: Vec<Finding>,
        tag: Option<String>,
    ) -> Result<Sent, NotSent> {
        let action_key = request
            .get("actionKey")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        let envelope = as_wix::envelope_for(request, ids, &target.app);
        let token = Some(ids.invocation_token.clone());
        self.send_envelope(
            target,
            Method::Invoke,
            &envelope,
            action_key,
            token,
            findings,
            tag,
        )
        .await
    }

    /// Sends a Trigger Provider call (`method`, one of [`Method::TRIGGER_PROVIDER`]) with
    /// `request` to the target, as Wix would; logged with `tag`, judged against the trigger
    /// definition of its key.
    pub async fn send_trigger(
        &self,
        target: &Target,
        method: Method,
        request: serde_json::Value,
        tag: Option<String>,
    ) -> Result<Sent, NotSent> {
        let key = request
            .get("triggerKey")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        let envelope = as_wix::trigger_envelope(request, &Ids::fresh(), &target.app);
        self.send_envelope(target, method, &envelope, key, None, vec![], tag)
            .await
    }

    /// Trigger `t`'s `method` as Wix sends it (built from the definition's examples, with a
    /// fresh `externalEntityId`), sent and judged: the send, and the call as logged.
    pub async fn try_trigger(
        &self,
        target: &Target,
        t: &crate::domain::trigger::LoadedTrigger,
        method: Method,
        tag: Option<String>,
    ) -> Result<(Sent, Option<crate::domain::invocation::Exchange>), NotSent> {
        use crate::domain::trigger::provider;
        let entity = uuid::Uuid::new_v4().to_string();
        let request = provider::request(method, t, &t.example_payload(), &entity);
        let sent = self.send_trigger(target, method, request, tag).await?;
        let ex = self.engine.exchange(sent.id);
        Ok((sent, ex))
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_envelope(
        &self,
        target: &Target,
        method: Method,
        envelope: &serde_json::Value,
        action_key: Option<String>,
        invocation_token: Option<String>,
        findings: Vec<Finding>,
        tag: Option<String>,
    ) -> Result<Sent, NotSent> {
        let (body, content_type, kind) = if target.jwt {
            let signer = self.signer().map_err(|reason| NotSent {
                reason,
                findings: vec![],
            })?;
            let token = as_wix::sign(
                envelope,
                &target.app.app_id,
                &signer.key,
                self.engine.real_now(),
            )
            .map_err(|reason| NotSent {
                reason,
                findings: vec![],
            })?;
            (
                token,
                "text/plain; charset=utf-8",
                EnvelopeKind::JwtVerified,
            )
        } else {
            (
                envelope.to_string(),
                "application/json",
                EnvelopeKind::PlainEnvelope,
            )
        };
        let out = Outbound {
            url: target.url(method),
            method,
            envelope: kind,
            headers: format!("content-type: {content_type}\nuser-agent: Wix\n"),
            body: body.clone().into(),
            action_key,
            invocation_token,
            findings,
            tag,
            lab: None,
            sent_at: self.engine.now(),
        };
        let (answer, unreachable) = self.call(target, &out.url, content_type, body).await;
        let latency = match &answer {
            TargetAnswer::Answered { latency, .. } => Some(*latency),
            TargetAnswer::Failed { .. } => None,
        };
        let id = self.engine.record_outbound(out, answer);
        Ok(Sent {
            id,
            unreachable,
            latency,
        })
    }

    async fn call(
        &self,
        target: &Target,
        url: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (TargetAnswer, Option<String>) {
        match caller::call(&self.client, url, content_type, body, target.timeout).await {
            Ok(a) => (
                TargetAnswer::Answered {
                    status: a.status,
                    body: a.body,
                    latency: a.latency,
                },
                None,
            ),
            Err(f) => {
                let unreachable = matches!(f, Failure::Refused(_) | Failure::UnknownHost(_))
                    .then(|| f.to_string());
                (
                    TargetAnswer::Failed {
                        code: f.code(),
                        reason: f.to_string(),
                    },
                    unreachable,
                )
            }
        }
    }

    /// Sends the lab's wrong envelopes, built from `sample` (an Invoke sample), to the target's
    /// `/v1/invoke`, one after the other; each is logged with its verdict.
    pub async fn lab(&self, target: &Target, sample: &LoadedSample) -> Result<Vec<LabRow>, String> {
        let mut invoke = sample.sample.clone();
        invoke.method = Method::Invoke;
        let envelope = as_wix::wix_envelope(&invoke, &Source::Trigger, &Ids::fresh(), &target.app);
        let key = invoke.action_key().map(str::to_string);
        self.lab_of(target, Method::Invoke, &envelope, key, vec![])
            .await
    }

    /// The envelope lab against a trigger provider: the same wrong envelopes, built from a
    /// Validate Configuration call for trigger `t`, to `{target}/validate-configuration`; and
    /// one more, an action provider's envelope signed with the trusted key, which the SDK
    /// routes to no trigger provider method.
    pub async fn trigger_lab(
        &self,
        target: &Target,
        t: &crate::domain::trigger::LoadedTrigger,
    ) -> Result<Vec<LabRow>, String> {
        use crate::domain::trigger::provider;
        let method = Method::TriggerValidateConfiguration;
        let request = provider::request(method, t, &t.example_payload(), "");
        let envelope = as_wix::trigger_envelope(request.clone(), &Ids::fresh(), &target.app);
        let signer = self.signer()?;
        let action_envelope = as_wix::envelope_for(request, &Ids::fresh(), &target.app);
        let extra = LabCase {
            probe: Probe {
                name: "action-envelope",
                what: "an action provider's envelope (appExtensionType AUTOMATIONS_ACTION_PROVIDER), signed with the right key",
                danger: "a provider that ignores appExtensionType runs a call meant for another plugin; the SDK routes it to none of the trigger provider's methods",
            },
            content_type: "text/plain; charset=utf-8",
            body: as_wix::sign(
                &action_envelope,
                &target.app.app_id,
                &signer.key,
                self.engine.real_now(),
            )?,
        };
        self.lab_of(
            target,
            method,
            &envelope,
            Some(t.key().to_string()),
            vec![extra],
        )
        .await
    }

    /// Sends the lab's wrong envelopes of `envelope` (and `extra` cases) to `method` at the
    /// target, one after the other; each is logged with its verdict.
    async fn lab_of(
        &self,
        target: &Target,
        method: Method,
        envelope: &serde_json::Value,
        key: Option<String>,
        extra: Vec<LabCase>,
    ) -> Result<Vec<LabRow>, String> {
        let signer = self.signer()?;
        let app_id = match target.app.app_id.as_str() {
            NO_APP_ID => return Err("the envelope lab needs your app ID (--app-id)".into()),
            a => a.to_string(),
        };
        // A stranger's key, made for this run: the "signed by another key" case.
        let stranger = tokio::task::spawn_blocking(crate::play::keys::throwaway)
            .await
            .map_err(|e| format!("cannot make a key: {e}"))??;
        let mut cases = lab::cases(
            envelope,
            &app_id,
            &LabKeys {
                trusted: &signer.key,
                stranger: &stranger,
                public_pem: &signer.public_pem,
            },
            self.engine.real_now(),
        )?;
        cases.extend(extra);
        let url = target.url(method);
        let mut rows = vec![];
        for case in cases {
            let out = Outbound {
                url: url.clone(),
                method,
                envelope: if case.content_type == "application/json" {
                    EnvelopeKind::PlainEnvelope
                } else {
                    EnvelopeKind::JwtUnverified
                },
                headers: format!("content-type: {}\nuser-agent: Wix\n", case.content_type),
                body: case.body.clone().into(),
                action_key: key.clone(),
                invocation_token: None,
                findings: vec![],
                tag: Some(format!("lab: {}", case.probe.name)),
                lab: Some(case.probe),
                sent_at: self.engine.now(),
            };
            let (answer, _) = self.call(target, &url, case.content_type, case.body).await;
            let verdict = match &answer {
                TargetAnswer::Answered { status, .. } => LabVerdict::of_status(*status),
                TargetAnswer::Failed { reason, .. } => LabVerdict::NoAnswer(reason.clone()),
            };
            let id = self.engine.record_outbound(out, answer);
            rows.push(LabRow {
                probe: case.probe,
                verdict,
                id,
            });
        }
        Ok(rows)
    }
}

/// Forward mode's relay: the inbox's calls go, byte for byte, to the target set now (the window
/// changes it while running).
pub struct Forwarder {
    player: Player,
    target: Arc<std::sync::RwLock<Option<Target>>>,
}

impl Forwarder {
    pub fn new(player: Player, target: Arc<std::sync::RwLock<Option<Target>>>) -> Forwarder {
        Forwarder { player, target }
    }
}

impl crate::engine::Relay for Forwarder {
    fn relay(
        &self,
        method: Method,
        content_type: String,
        body: bytes::Bytes,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (String, TargetAnswer)> + Send>> {
        let target = self
            .target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let player = self.player.clone();
        Box::pin(async move {
            let Some(target) = target else {
                return (
                    "(no target)".to_string(),
                    TargetAnswer::Failed {
                        code: "no-target",
                        reason: crate::engine::NO_TARGET.into(),
                    },
                );
            };
            let url = target.url(method);
            let (answer, _) = player.call(&target, &url, &content_type, body).await;
            (url, answer)
        })
    }
}
