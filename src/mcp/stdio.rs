//! `actionbench mcp`: the MCP server over stdio, for an agent that starts the workbench itself.
//! It starts as `serve` does (the same options), with its own inbox, and its `/mcp` too; stdout
//! carries only the protocol, every log line goes to stderr.

use crate::cli::ServeArgs;
use crate::startup::{self, InboxArgs};
use rmcp::ServiceExt;
use serde_json::json;
use std::time::Duration;

pub fn run(inbox: &InboxArgs, serve: &ServeArgs) -> Result<(), String> {
    // A window or a serve may hold the default port: without --port, another is taken, said.
    let fallback = inbox.port.is_none();
    let mut started = startup::start(inbox, crate::cli::serve::plan(inbox, serve, fallback)?)?;
    started.engine.set_warp(serve.warp);
    let bench = started
        .mcp
        .clone()
        .ok_or("the inbox did not start, so there is nothing for the tools to work on")?;
    for w in started.notes.iter().chain(&started.sample_errors) {
        eprintln!("actionbench mcp: {w}");
    }
    eprintln!(
        "{}",
        json!({ "event": "listening", "url": started.url(), "mcp": "stdio",
                "samples": started.samples.len(), "flows": started.flows.len(),
                "scratch": started.scratch.as_ref().map(|p| p.display().to_string()) })
    );
    let served: Result<(), String> = started.rt.block_on(async {
        let service = bench
            .agent()
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("the MCP client did not start a session: {e}"))?;
        tokio::select! {
            ended = service.waiting() => {
                if let Err(e) = ended {
                    eprintln!("actionbench mcp: the session ended: {e}");
                }
            }
            _ = crate::platform::stop_signal() => {}
        }
        Ok(())
    });
    // Held calls are answered 503, the journal written, a scratch journal removed.
    started.stop(Duration::from_secs(2));
    served
}
