//! What the headless commands share: their start on the one start-up path
//! (`crate::startup`, the window's too), and when they end, exit codes and a JUnit report.

use crate::cli::InboxArgs;
use crate::engine::Mode;
use crate::startup::{Journaling, KeyUse, Listen, Plan, Started};
use std::path::Path;

/// What `check`, `check --generate` and `flow run` start: the engine answering at once,
/// ActionBench's signing key when `signed` calls go out, and the completion API listening
/// on `--port`.
pub fn start_headless(inbox: &InboxArgs, signed: bool) -> Result<Started, String> {
    crate::startup::start(
        inbox,
        Plan {
            key: if signed {
                KeyUse::Required
            } else {
                KeyUse::Off
            },
            listen: Listen::Port {
                port: inbox.port(),
                fallback: false,
            },
            // With --session, what the run sends and hears is recorded there.
            journal: Journaling::Given,
            ..Plan::new(Mode::Auto)
        },
    )
}

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

/// Writes `suite` as a JUnit XML report (as cargo-nextest writes them) to `path`.
pub fn write_junit(path: &Path, suite: quick_junit::TestSuite) -> Result<(), String> {
    let mut report = quick_junit::Report::new("actionbench");
    report.add_test_suite(suite);
    let xml = report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))?;
    std::fs::write(path, xml).map_err(|e| format!("--junit {}: {e}", path.display()))
}
