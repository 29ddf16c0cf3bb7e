//! The one start-up path of every subcommand and the window: the engine the flags describe,
//! a runtime, the inbox listening (a non-loopback address refused without --allow-remote);
//! and what the headless commands share when they end: exit codes and a JUnit report.

use crate::cli::InboxArgs;
use crate::domain::clock::SystemClock;
use crate::engine::{Engine, EngineConfig, Mode};
use crate::server::{self, ServerHandle, StartError};
use std::path::Path;
use std::sync::Arc;

/// How a headless command ended: its exit code.
pub const PASSED: u8 = 0;
pub const FAILED: u8 = 1;
pub const COULD_NOT_RUN: u8 = 2;

/// A command's exit code: its own, or [`COULD_NOT_RUN`] with why on stderr.
pub fn exit_code(command: &str, result: Result<u8, String>) -> u8 {
    result.unwrap_or_else(|e| {
        eprintln!("actionbench {command}: {e}");
        COULD_NOT_RUN
    })
}

/// An engine as the flags describe it (`mode` for keys nobody set, then `configure`), on the
/// system clock, with the runtime its server and calls run on.
pub struct Inbox {
    pub engine: Arc<Engine>,
    pub rt: tokio::runtime::Runtime,
}

impl Inbox {
    pub fn new(
        args: &InboxArgs,
        mode: Mode,
        configure: impl FnOnce(&mut EngineConfig),
    ) -> Result<Inbox, String> {
        let mut config = args.engine_config(mode)?;
        configure(&mut config);
        let engine = Engine::new(config, Arc::new(SystemClock));
        // Each key's calls are judged with its action definition's schemas.
        engine.add_definitions(&args.definitions());
        let rt =
            tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
        Ok(Inbox { engine, rt })
    }

    /// The inbox listening on `--bind` and `port`, ticking the engine's clock.
    pub fn listen(&self, args: &InboxArgs, port: u16) -> Result<ServerHandle, StartError> {
        let addr = server::check_bind(args.bind, port, args.allow_remote)?;
        self.rt.block_on(server::start(self.engine.clone(), addr))
    }
}

/// Writes `suite` as a JUnit XML report (as cargo-nextest writes them) to `path`.
pub fn write_junit(path: &Path, suite: quick_junit::TestSuite) -> Result<(), String> {
    let mut report = quick_junit::Report::new("actionbench");
    report.add_test_suite(suite);
    let xml = report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))?;
    std::fs::write(path, xml).map_err(|e| format!("--junit {}: {e}", path.display()))
}
