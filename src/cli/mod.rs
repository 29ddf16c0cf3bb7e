//! The command line: `actionbench` opens the window, `actionbench serve` runs headless.

use crate::domain::wire::InvokeResponse;
use crate::engine::{EngineConfig, Mode};
use clap::{Args, Parser, Subcommand};

pub mod check;
pub mod flow_run;
pub mod generated;
pub mod lint;
pub mod serve;
pub mod startup;
pub mod trigger_check;
pub use crate::startup::{DEFAULT_PORT, InboxArgs};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "actionbench",
    version,
    about = "A local workbench for Wix Automations action providers"
)]
pub struct Cli {
    #[command(flatten)]
    pub inbox: InboxArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the inbox headless: one JSON line per event on stdout.
    Serve(ServeArgs),
    /// The MCP server over stdio, for a coding agent: its own inbox (serve's options), and the
    /// tools to send samples, read and answer calls, run check, lint and flows. stdout carries
    /// only the protocol; logs go to stderr.
    Mcp(ServeArgs),
    /// ActionBench's own signing key (made on first use): print its public key.
    Key(KeyArgs),
    /// Play Wix against your action: send samples, check every answer, exit 0/1/2.
    Check(CheckArgs),
    /// Export a session journal (--session FILE): as HAR 1.2, or as one HTML page to share.
    Export(ExportArgs),
    /// Flows: run a whole automation step by step.
    #[command(subcommand)]
    Flow(FlowCommand),
    /// Check action and trigger definitions (or samples' schemas) against Wix's rules, and
    /// with --published the edits Wix forbids once one is published; Wix's automation JSON
    /// against the builder's rules and its expression language; exit 0/1/2.
    Lint(LintArgs),
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Action definition files, sample files (both carry inputSchema/outputSchema), trigger
    /// definition files (triggerKey, displayName, payloadSchema…), or Wix's automation JSON
    /// (Get Automation's answer, a Query's, or a bare automation).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The definition as published (of the same kind): each edit Wix forbids since is an error.
    #[arg(long, value_name = "OLD")]
    pub published: Option<PathBuf>,
    /// Write a JUnit XML report here, one test case per file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("out").required(true).multiple(true).args(["har", "html"]))]
pub struct ExportArgs {
    /// Write the session's calls as HAR 1.2 here.
    #[arg(long, value_name = "OUT")]
    pub har: Option<PathBuf>,
    /// Write the session's calls as one HTML page here, to share: it opens offline in any
    /// browser, and `actionbench --session OUT.html` reads it back.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Only the calls of this activation (its invocations and their completion reports).
    #[arg(long, value_name = "ID")]
    pub activation: Option<String>,
    /// Keep JWT signatures, Authorization and cookie headers and instanceIds in a shared page
    /// (by default each is replaced by a marker, and the page says so).
    #[arg(long)]
    pub no_redact: bool,
}

/// `actionbench export --session FILE --har OUT`: the session's exchanges as HAR 1.2.
pub fn run_export(inbox: &InboxArgs, args: &ExportArgs) -> Result<(), String> {
    let session = inbox
        .session
        .as_ref()
        .ok_or("export needs --session FILE: the journal to read")?;
    if !session.exists() {
        return Err(format!("{}: no such session journal", session.display()));
    }
    let read = crate::journal::read(session)?;
    for w in &read.warnings {
        eprintln!("warning: {w}");
    }
    let exchanges = match &args.activation {
        Some(a) => {
            let mine = crate::journal::share::of_activation(&read.exchanges, a);
            if mine.is_empty() {
                return Err(format!("{}: no call of activation {a}", session.display()));
            }
            mine
        }
        None => read.exchanges,
    };
    if let Some(har) = &args.har {
        let inbox_url = format!("http://{}:{}", inbox.bind, inbox.port());
        let json = crate::journal::export::har_json(&exchanges, &inbox_url)?;
        std::fs::write(har, json).map_err(|e| format!("{}: {e}", har.display()))?;
        println!(
            "wrote {} exchange(s) from {} to {}",
            exchanges.len(),
            session.display(),
            har.display()
        );
    }
    if let Some(html) = &args.html {
        let name = session
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = match &args.activation {
            Some(a) => format!("Activation {a} from {name}"),
            None => format!("Session {name}"),
        };
        let page = crate::journal::share::session_page(
            &title,
            &exchanges,
            !args.no_redact,
            &crate::journal::share::file_name(html),
        )?;
        std::fs::write(html, &page).map_err(|e| format!("{}: {e}", html.display()))?;
        println!(
            "wrote {} exchange(s) from {} to {} ({} KB, one file to share)",
            exchanges.len(),
            session.display(),
            html.display(),
            page.len().div_ceil(1024)
        );
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum FlowCommand {
    /// Run a flow without a window: one line per step event; exit 0 when every step ended as
    /// the flow expects, 1 otherwise, 2 when it could not run.
    Run(FlowRunArgs),
}

#[derive(Args, Debug)]
pub struct FlowRunArgs {
    /// The flow file.
    #[arg(value_name = "FLOW")]
    pub flow: PathBuf,
    /// Send signed JWTs to --target (RS256, ActionBench's key); needs --app-id.
    #[arg(long)]
    pub jwt: bool,
    /// Simulated time runs this many times faster (waits and delays).
    #[arg(long, default_value_t = 1)]
    pub warp: u32,
    /// Seconds a call to --target may take.
    #[arg(long, default_value_t = crate::play::caller::DEFAULT_TIMEOUT.as_secs_f64())]
    pub timeout: f64,
    /// Write a JUnit XML report here, one test case per action step.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the run as one HTML page here, to share: it replays as presenter mode tells it,
    /// offline, in any browser.
    #[arg(long, value_name = "OUT.html")]
    pub share: Option<PathBuf>,
    /// Keep JWT signatures, Authorization and cookie headers and instanceIds in the shared
    /// page (by default each is replaced by a marker, and the page says so).
    #[arg(long, requires = "share")]
    pub no_redact: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Send signed JWTs (RS256, ActionBench's key) as Wix does; needs --app-id.
    #[arg(long)]
    pub jwt: bool,
    /// Seconds of real time to wait for completion reports after timeout answers.
    #[arg(long, default_value_t = 30.0)]
    pub wait: f64,
    /// Seconds a call may take before it counts as a timeout.
    #[arg(long, default_value_t = crate::play::caller::DEFAULT_TIMEOUT.as_secs_f64())]
    pub timeout: f64,
    /// Also send the envelope lab: deliberately wrong envelopes your action (with --trigger:
    /// your trigger provider) must refuse (4xx). Needs --app-id.
    #[arg(long)]
    pub lab: bool,
    /// Write a JUnit XML report here, one test case per sample and per lab envelope.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Instead of sending the samples: generate this many actionParams per action from its
    /// input schema (FILE: action definitions or samples), send each as Wix would, judge every
    /// answer, and shrink each failure to the smallest params that still fail the same way.
    #[arg(long, value_name = "N")]
    pub generate: Option<usize>,
    /// The seed of --generate: the same seed gives the same calls [a new one, printed].
    #[arg(long, value_name = "S", requires = "generate")]
    pub seed: Option<u64>,
    /// With --generate: save each failure group's smallest case here, as a sample file that
    /// check replays.
    #[arg(long, value_name = "DIR", requires = "generate")]
    pub save_failures: Option<PathBuf>,
    /// Play Wix against your trigger provider instead: the FILEs are trigger definitions, and
    /// the methods each says it implements (Validate Configuration, Get Dynamic Schema, Refresh
    /// Payload) are sent to {target}/validate-configuration, /dynamic-schema, /refresh-payload.
    #[arg(long, conflicts_with = "generate")]
    pub trigger: bool,
    /// Sample files, or folders of them (with --generate: action definitions or samples; with
    /// --trigger: trigger definitions).
    #[arg(required = true, value_name = "SAMPLE")]
    pub samples: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// Print the public key PEM, ready to paste where an app's public key goes (the default).
    #[arg(long)]
    pub public: bool,
    /// Print the path of the private key file instead.
    #[arg(long, conflicts_with = "public")]
    pub path: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The automatic answer: immediate, timeout:MINUTES, error:STATUS, or forward (relay every
    /// call to --target and return its checked answer).
    #[arg(long, default_value = "immediate", value_parser = parse_answer)]
    pub answer: AutoAnswer,
    /// Sign what goes to --target (the runs reported events start, forward mode's relay) as
    /// Wix does: RS256 with ActionBench's key, addressed to --app-id [the default with --app-id].
    #[arg(long, conflicts_with = "plain")]
    pub jwt: bool,
    /// Send what goes to --target as plain JSON, even with --app-id (an action on Wix's SDK
    /// refuses it: for actions that skip verification).
    #[arg(long)]
    pub plain: bool,
    /// Simulated time runs this many times faster: delays, waits for completion reports,
    /// scheduled events and idempotency keys' lifetimes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub warp: u32,
}

impl ServeArgs {
    /// Whether what goes to --target is signed: --jwt (which needs --app-id), --plain, else
    /// signed exactly when an app ID is given.
    pub fn signs(&self, inbox: &InboxArgs) -> Result<bool, String> {
        match (self.jwt, self.plain, inbox.app_id.is_some()) {
            (true, _, false) => {
                Err("--jwt needs --app-id: a signed request's aud is the app ID".into())
            }
            (true, _, true) => Ok(true),
            (false, true, _) => Ok(false),
            (false, false, app) => Ok(app),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum AutoAnswer {
    Immediate,
    Timeout(i64),
    Error(u16),
    /// Relay every call to --target (forward mode).
    Forward,
}

pub fn parse_answer(s: &str) -> Result<AutoAnswer, String> {
    let bad = || format!("{s:?}: expected immediate, timeout:MINUTES, error:STATUS or forward");
    match s.split_once(':') {
        None if s == "immediate" => Ok(AutoAnswer::Immediate),
        None if s == "forward" => Ok(AutoAnswer::Forward),
        Some(("timeout", m)) => {
            let m: i64 = m.parse().map_err(|_| bad())?;
            if !(1..=1440).contains(&m) {
                return Err(format!("timeout:{m}: minutes must be 1 to 1440 (24 h)"));
            }
            Ok(AutoAnswer::Timeout(m))
        }
        Some(("error", st)) => {
            let st: u16 = st.parse().map_err(|_| bad())?;
            if !(400..=599).contains(&st) {
                return Err(format!("error:{st}: the status must be 400 to 599"));
            }
            Ok(AutoAnswer::Error(st))
        }
        _ => Err(bad()),
    }
}

/// `actionbench key`: loads or makes the key and prints its public PEM (or its path).
pub fn run_key(inbox: &InboxArgs, args: &KeyArgs) -> Result<(), String> {
    let key = crate::play::keys::load_or_create(&inbox.key_dir()?)?;
    if key.created {
        eprintln!(
            "made a new {}-bit key in {}",
            crate::play::keys::KEY_BITS,
            key.path.display()
        );
    }
    if args.path {
        println!("{}", key.path.display());
    } else {
        print!("{}", key.public_pem);
    }
    Ok(())
}

impl AutoAnswer {
    /// Applies the answer to an engine configuration.
    pub fn configure(&self, config: &mut EngineConfig) {
        match self {
            AutoAnswer::Immediate => {
                config.default_mode = Mode::Auto;
                config.default_answer =
                    Some(InvokeResponse::immediate(serde_json::json!({})).to_value());
            }
            AutoAnswer::Timeout(m) => {
                config.default_mode = Mode::Auto;
                config.default_answer = Some(InvokeResponse::timeout_length(*m).to_value());
            }
            AutoAnswer::Error(st) => {
                config.default_mode = Mode::Fail;
                config.default_fail_status = *st;
            }
            AutoAnswer::Forward => config.default_mode = Mode::Forward,
        }
    }
}

/// `actionbench check`: the samples (or generated calls) against your action, or with
/// `--trigger` your trigger provider; the exit code. Chosen here, so that `check` and
/// `trigger_check` do not import each other (`trigger_check` takes `check`'s rows).
pub fn run_check(inbox: &InboxArgs, args: &CheckArgs) -> u8 {
    if args.trigger {
        return startup::exit_code("check", trigger_check::run_inner(inbox, args));
    }
    check::run(inbox, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_bad_ones_say_why() {
        assert_eq!(parse_answer("immediate"), Ok(AutoAnswer::Immediate));
        assert_eq!(parse_answer("timeout:1440"), Ok(AutoAnswer::Timeout(1440)));
        assert_eq!(parse_answer("error:503"), Ok(AutoAnswer::Error(503)));
        assert!(
            parse_answer("timeout:1441")
                .expect_err("refused")
                .contains("1440")
        );
        assert!(
            parse_answer("error:200")
                .expect_err("refused")
                .contains("400")
        );
        assert!(
            parse_answer("later")
                .expect_err("refused")
                .contains("expected")
        );
    }

    #[test]
    fn serve_takes_the_inbox_flags_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "actionbench",
            "serve",
            "--port",
            "0",
            "--answer",
            "timeout:5",
        ])
        .expect("parses");
        let Some(Command::Serve(s)) = cli.command else {
            panic!("serve expected")
        };
        assert_eq!(s.answer, AutoAnswer::Timeout(5));
        assert_eq!(cli.inbox.port(), 0);
    }
}
