//! The options every way of starting ActionBench shares (the inbox, the session, samples,
//! definitions, flows, your action), as flags.

use crate::domain::assumptions::{Assumptions, ExtraReport};
use crate::domain::envelope::JwtConfig;
use crate::domain::sample::LoadedSample;
use crate::engine::{EngineConfig, Mode};
use clap::Args;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// The inbox's port when none is given.
pub const DEFAULT_PORT: u16 = 4010;

#[derive(Args, Debug, Clone)]
pub struct InboxArgs {
    /// Port of the inbox; 0 picks a free one [default: 4010; the window: the port it was last
    /// given].
    #[arg(long, global = true)]
    pub port: Option<u16>,
    /// Address to listen on. Anything but loopback needs --allow-remote.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), global = true)]
    pub bind: IpAddr,
    /// Allow listening on an address other machines can reach.
    #[arg(long, global = true)]
    pub allow_remote: bool,
    /// Answer requests whose Host is NAME too (besides localhost, 127.0.0.0/8 and [::1]): a
    /// tunnel's public name, or this machine's LAN name with --allow-remote. `.example.com`
    /// allows the domain and its subdomains. Repeatable.
    #[arg(long = "allow-host", global = true, value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Folder of sample files to load.
    #[arg(long, global = true)]
    pub samples: Option<PathBuf>,
    /// Wix's public key (PEM): JWT bodies are verified as the official SDK verifies them.
    #[arg(long, global = true, value_name = "PEM")]
    pub public_key: Option<PathBuf>,
    /// The app ID JWTs must be addressed to (their `aud`); without it aud is not checked.
    #[arg(long, global = true)]
    pub app_id: Option<String>,
    /// The base URL of your action provider (methods at {base}/v1/invoke…): check sends
    /// there, and the window's "Send to your action" and forward mode start with it.
    #[arg(long, global = true, value_name = "URL")]
    pub target: Option<String>,
    /// The instance ID the metadata of requests sent to your action names [a new one each run].
    #[arg(long, global = true)]
    pub instance_id: Option<String>,
    /// Folder of ActionBench's own signing key [default: the platform's config folder].
    #[arg(long, global = true, value_name = "DIR")]
    pub key_dir: Option<PathBuf>,
    /// The session journal: appended to, or reopened when it exists (every exchange and its
    /// timeline come back). The window otherwise starts a new one in the data folder; serve
    /// keeps a scratch journal in the temp folder, removed when it stops; check and flow run
    /// record only when it is given.
    #[arg(long, global = true, value_name = "FILE")]
    pub session: Option<PathBuf>,
    /// Megabytes of exchanges kept whole in memory; older ended ones are read back from the
    /// journal when selected.
    #[arg(long, global = true, value_name = "MIB", default_value_t = 64)]
    pub memory_budget: usize,
    /// Open the window straight in presenter mode with this flow.
    #[arg(long, value_name = "FLOW")]
    pub present: Option<PathBuf>,
    /// Folder of action definition files [./actions if present, else the shipped ones]:
    /// samples and flow steps take the schemas they do not write from the definition with
    /// their actionKey, and the inbox judges each key's calls with its definition's.
    #[arg(long, global = true, value_name = "DIR")]
    pub actions: Option<PathBuf>,
    /// Folder of flow files for the window's Flows panel [samples/flows].
    #[arg(long, global = true, value_name = "DIR")]
    pub flows: Option<PathBuf>,
    /// Seconds a held caller waits before the fallback answer goes.
    #[arg(long, default_value_t = 25, global = true)]
    pub hold_seconds: u32,
    /// [assumed] A second completion report for one invocation: refuse (409) or ignore (200).
    #[arg(long, default_value = "refuse", value_parser = parse_extra_report, global = true)]
    pub second_report: ExtraReport,
    /// [assumed] A completion report after the deadline: refuse (409) or ignore (200).
    #[arg(long, default_value = "refuse", value_parser = parse_extra_report, global = true)]
    pub report_after_timeout: ExtraReport,
    /// [assumed] Refuse (401) completion reports without an Authorization header.
    #[arg(long, global = true)]
    pub require_authorization: bool,
    /// [assumed] What an answer that breaks the contract does to the step: fail, or continue
    /// (then only a non-2xx status or an unusable timeout fails it).
    #[arg(long, default_value = "fail", value_parser = ["fail", "continue"], global = true)]
    pub broken_answer: String,
    /// Folder of trigger definition files [./triggers if present, else the shipped ones]:
    /// Report Event judges each reported payload with its trigger's schema.
    #[arg(long, global = true, value_name = "DIR")]
    pub triggers: Option<PathBuf>,
    /// [assumed] Refuse (400) a reported event whose payload breaks its trigger's schema,
    /// instead of taking it with no automation run, flagged.
    #[arg(long, global = true)]
    pub refuse_bad_payload: bool,
    /// [assumed] A repeated idempotency key answers the first report's activationIds,
    /// instead of none.
    #[arg(long, global = true)]
    pub duplicate_returns_first_ids: bool,
    /// [assumed] Refuse (400) a scheduled event whose date has passed, instead of skipping
    /// its runs as expired.
    #[arg(long, global = true)]
    pub refuse_past_schedule: bool,
    /// [assumed] Take (200, no runs) a report for a trigger nothing defines, instead of 428.
    #[arg(long, global = true)]
    pub accept_unknown_trigger: bool,
    /// [assumed] A Refresh Payload that fails cancels the run, instead of running the steps
    /// after with the payload they had.
    #[arg(long, global = true)]
    pub refresh_failure_cancels: bool,
    /// [assumed] In Wix's automations, a condition expression that cannot be evaluated fails
    /// the condition (neither path runs), instead of counting as false.
    #[arg(long, global = true)]
    pub condition_error_fails: bool,
    /// [assumed] An action Wix skips ends its branch, instead of handing on to the steps after.
    #[arg(long, global = true)]
    pub skip_stops_branch: bool,
    /// [assumed] Rate limits count in fixed windows, instead of sliding ones.
    #[arg(long, global = true)]
    pub rate_limit_fixed_window: bool,
    /// [assumed] An action that timed out keeps its timeout answer's result as its output.
    #[arg(long, global = true)]
    pub timeout_keeps_answer_result: bool,
}

fn parse_extra_report(s: &str) -> Result<ExtraReport, String> {
    match s {
        "refuse" => Ok(ExtraReport::Refuse),
        "ignore" => Ok(ExtraReport::Ignore),
        _ => Err(format!("{s:?}: expected refuse or ignore")),
    }
}

impl InboxArgs {
    /// The port asked for, or the default.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }

    /// The engine configuration these flags describe; `mode` is the default for new keys.
    pub fn engine_config(&self, mode: Mode) -> Result<EngineConfig, String> {
        let jwt = match &self.public_key {
            Some(p) => {
                let pem =
                    std::fs::read(p).map_err(|e| format!("--public-key {}: {e}", p.display()))?;
                JwtConfig::from_pem(&pem, self.app_id.clone())
                    .map_err(|e| format!("--public-key {}: {e}", p.display()))?
            }
            None => JwtConfig {
                public_key: None,
                app_id: self.app_id.clone(),
            },
        };
        Ok(EngineConfig {
            hold_for: chrono::Duration::seconds(self.hold_seconds as i64),
            jwt,
            default_mode: mode,
            assumptions: Assumptions {
                second_report: self.second_report,
                report_after_timeout: self.report_after_timeout,
                require_authorization: self.require_authorization,
                broken_answer_fails_step: self.broken_answer != "continue",
                refuse_bad_payload: self.refuse_bad_payload,
                duplicate_returns_first_ids: self.duplicate_returns_first_ids,
                refuse_past_schedule: self.refuse_past_schedule,
                accept_unknown_trigger: self.accept_unknown_trigger,
                refresh_failure_cancels: self.refresh_failure_cancels,
                condition_error_fails: self.condition_error_fails,
                skip_stops_branch: self.skip_stops_branch,
                rate_limit_fixed_window: self.rate_limit_fixed_window,
                timeout_keeps_answer_result: self.timeout_keeps_answer_result,
            },
            memory_budget: self.memory_budget.saturating_mul(1 << 20),
            allowed_hosts: crate::engine::parse_allowed_hosts(
                self.allow_hosts.iter().map(String::as_str),
            )?,
            ..EngineConfig::default()
        })
    }

    /// The samples folder: the flag, else `samples/` here, else the user's own copy of the
    /// shipped samples in the platform's data folder (see [`crate::startup::shipped`]).
    pub fn samples_dir(&self) -> PathBuf {
        if let Some(p) = &self.samples {
            return p.clone();
        }
        let here = PathBuf::from("samples");
        if here.is_dir() {
            return here;
        }
        static SHIPPED: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
        match SHIPPED.get_or_init(crate::startup::shipped::samples_folder) {
            Ok(dir) => dir.clone(),
            Err(e) => {
                eprintln!("warning: the shipped samples could not be written: {e}");
                here
            }
        }
    }

    /// The samples, each taking the schemas it does not write from its action's definition.
    pub fn load_samples(&self) -> (Vec<LoadedSample>, Vec<String>) {
        let (mut samples, errors) = LoadedSample::load_dir(&self.samples_dir());
        let defs = self.definitions();
        for s in &mut samples {
            defs.fill(s);
        }
        (samples, errors)
    }

    /// The action definitions folder: the flag, else `actions/` here, else the shipped ones.
    pub fn actions_dir(&self) -> PathBuf {
        if let Some(p) = &self.actions {
            return p.clone();
        }
        let here = PathBuf::from("actions");
        if here.is_dir() {
            here
        } else {
            self.samples_dir().join("actions")
        }
    }

    pub fn definitions(&self) -> crate::domain::definition::Definitions {
        crate::domain::definition::Definitions::load_dir(&self.actions_dir())
    }

    /// The flows folder: the flag, else `flows/` inside the samples folder.
    pub fn flows_dir(&self) -> PathBuf {
        self.flows
            .clone()
            .unwrap_or_else(|| self.samples_dir().join("flows"))
    }

    /// The trigger definitions folder: the flag, else `triggers/` here, else `triggers/` in
    /// the samples folder.
    pub fn triggers_dir(&self) -> PathBuf {
        if let Some(p) = &self.triggers {
            return p.clone();
        }
        let here = PathBuf::from("triggers");
        if here.is_dir() {
            here
        } else {
            self.samples_dir().join("triggers")
        }
    }

    pub fn triggers(&self) -> crate::domain::trigger::Triggers {
        crate::domain::trigger::Triggers::load_dir(&self.triggers_dir())
    }

    /// The developer's action from `--target`, `--app-id` and `--instance-id` (None without
    /// `--target`); `jwt`: requests are signed, which needs the app ID.
    pub fn target(
        &self,
        jwt: bool,
        timeout: std::time::Duration,
    ) -> Result<Option<crate::play::Target>, String> {
        if jwt && self.app_id.is_none() {
            return Err("--jwt needs --app-id: a signed request's aud is the app ID".into());
        }
        let Some(base) = &self.target else {
            return Ok(None);
        };
        crate::play::Target::new(
            base,
            self.app_id.as_deref(),
            self.instance_id.as_deref(),
            jwt,
            timeout,
        )
        .map(Some)
        .map_err(|e| format!("--target: {e}"))
    }

    /// The signing key's folder: `--key-dir`, else the platform's config folder.
    pub fn key_dir(&self) -> Result<PathBuf, String> {
        match &self.key_dir {
            Some(d) => Ok(d.clone()),
            None => crate::play::keys::default_key_dir(),
        }
    }
}
