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
    let (mounting, bench) = super::mounting();
    let plan = startup::Plan {
        mount: Some(mounting),
        ..crate::cli::serve::plan(inbox, serve, fallback)?
    };
    let mut started = startup::start(inbox, plan)?;
    started.engine.set_warp(serve.warp);
    let bench = bench
        .get()
        .cloned()
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
            .serve(gated_stdio())
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

/// The largest line read from stdin: a message over it is answered with an error, not held.
const MAX_LINE_BYTES: usize = 16 << 20;

/// stdin and stdout, each line checked before the SDK reads it: a line that is not JSON, or not
/// a JSON-RPC message, is answered here with JSON-RPC's error on a line of its own (the SDK's
/// stdio transport ends the session on such a line) and the session goes on. The SDK's own
/// lines and these answers reach stdout whole, one at a time.
fn gated_stdio() -> (tokio::io::DuplexStream, tokio::io::DuplexStream) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (mut to_sdk, sdk_reads) = tokio::io::duplex(64 * 1024);
    let (sdk_writes, from_sdk) = tokio::io::duplex(64 * 1024);
    let (lines, mut out) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    let errors = lines.clone();
    tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            match read_line(&mut stdin, &mut line, MAX_LINE_BYTES).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            let refused = if line.len() > MAX_LINE_BYTES {
                Some(super::gate::Malformed {
                    code: super::gate::INVALID_REQUEST,
                    id: serde_json::Value::Null,
                    message: format!("the message is over the {MAX_LINE_BYTES}-byte limit"),
                })
            } else {
                super::gate::malformed(text)
            };
            if let Some(m) = refused {
                eprintln!("actionbench mcp: refused a line: {}", m.message);
                let mut answer = m.answer().to_string().into_bytes();
                answer.push(b'\n');
                if errors.send(answer).await.is_err() {
                    break;
                }
                continue;
            }
            let mut whole = text.to_vec();
            whole.push(b'\n');
            if to_sdk.write_all(&whole).await.is_err() {
                break;
            }
        }
        // stdin closed: the SDK sees its input end, and the session ends.
        let _ = to_sdk.shutdown().await;
    });
    tokio::spawn(async move {
        let mut from_sdk = BufReader::new(from_sdk);
        loop {
            let mut line = Vec::new();
            match from_sdk.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if lines.send(line).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = out.recv().await {
            if stdout.write_all(&line).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });
    (sdk_reads, sdk_writes)
}

/// Reads one line (its newline kept) into `line`, keeping at most `max + 1` bytes of it: the
/// rest of a longer line is read and dropped, so that `line.len() > max` says it was too long.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    use tokio::io::AsyncBufReadExt;
    let mut read = 0;
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(read);
        }
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        let room = (max + 1).saturating_sub(line.len());
        line.extend_from_slice(&chunk[..n.min(room)]);
        r.consume(n);
        read += n;
        if done {
            return Ok(read);
        }
    }
}
