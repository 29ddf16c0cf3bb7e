//! Helpers shared by the integration tests.
#![allow(dead_code)]

use actionbench::domain::clock::ManualClock;
use actionbench::domain::envelope::JwtConfig;
use actionbench::domain::sample::LoadedSample;
use actionbench::engine::{Engine, EngineConfig, Mode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// A fresh folder under the system's temp folder (made on first use), removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "actionbench-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        TempDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const APP_ID: &str = "5f2e4b7a-0c1d-4e3f-9a8b-7c6d5e4f3a2b";

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .map(|d| d.to_utc())
        .expect("date")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> Vec<LoadedSample> {
    let (ok, errs) = LoadedSample::load_dir(&root().join("samples"));
    assert!(errs.is_empty(), "samples failed to load: {errs:?}");
    ok
}

pub fn sample(prefix: &str) -> LoadedSample {
    samples()
        .into_iter()
        .find(|s| {
            s.path.as_ref().is_some_and(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        })
        .unwrap_or_else(|| panic!("no sample {prefix}"))
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures").join(name)).expect("fixture")
}

/// An engine on a manual clock at [`t0`], with the shipped samples' schemas.
pub fn engine_with(
    mode: Mode,
    configure: impl FnOnce(&mut EngineConfig),
) -> (Arc<Engine>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let mut config = EngineConfig {
        default_mode: mode,
        ..EngineConfig::default()
    };
    configure(&mut config);
    let engine = Engine::new(config, clock.clone());
    engine.add_samples(&samples());
    (engine, clock)
}

pub fn engine(mode: Mode) -> (Arc<Engine>, Arc<ManualClock>) {
    engine_with(mode, |_| {})
}

pub fn verifying(config: &mut EngineConfig) {
    config.jwt = JwtConfig::from_pem(&fixture("test-wix-public.pem"), Some(APP_ID.into()))
        .expect("public key");
}

/// A Wix-style token: RS256 with `claims`, signed with the key in fixture `key`.
pub fn sign(claims: &Value, key: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&fixture(key)).expect("private key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &key,
    )
    .expect("signs")
}

/// Claims as Wix sends them, valid at [`t0`], carrying `request`.
pub fn claims(request: Value) -> Value {
    let iat = t0().timestamp() - 10;
    json!({
        "iss": "wix.com",
        "aud": APP_ID,
        "iat": iat,
        "exp": iat + 300,
        "data": {
            "request": request,
            "metadata": { "requestId": "r-1", "instanceId": "i-1", "appExtensionType": "AUTOMATIONS_ACTION_PROVIDER",
                          "identity": { "identityType": "APP", "appId": APP_ID } }
        }
    })
}

pub fn invoke_request(key: &str, token: &str) -> Value {
    json!({
        "actionKey": key,
        "actionParams": { "to": "a@example.com", "subject": "s", "body": "b" },
        "activationContext": { "activationId": "act-1", "invocationToken": token }
    })
}

/// What a recording provider received: path, content type and body, byte for byte.
pub type Received = Arc<std::sync::Mutex<Vec<(String, String, bytes::Bytes)>>>;

/// A provider on a free loopback port that answers every call `status` + `answer` and records
/// what it received; its base URL (under `/wix/actions`) and the record.
pub fn recording_provider(
    rt: &tokio::runtime::Runtime,
    status: u16,
    answer: Value,
) -> (String, Received) {
    use axum::extract::State;
    let received: Received = Arc::default();
    let state = (received.clone(), status, answer);
    async fn handle(
        State((rec, status, answer)): State<(Received, u16, Value)>,
        uri: axum::http::Uri,
        headers: axum::http::HeaderMap,
        body: bytes::Bytes,
    ) -> (axum::http::StatusCode, axum::Json<Value>) {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        rec.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((uri.path().to_string(), ct, body));
        (
            axum::http::StatusCode::from_u16(status).expect("status"),
            axum::Json(answer),
        )
    }
    let base = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().fallback(handle).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/wix/actions")
    });
    (base, received)
}

/// Polls `done` every 10 ms for up to 10 s; fails with `what` if it never holds.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "gave up after 10 s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// An engine served on a free loopback port, on its own runtime; stopped on drop.
pub struct Served {
    pub rt: tokio::runtime::Runtime,
    pub engine: Arc<Engine>,
    pub clock: Arc<ManualClock>,
    pub url: String,
    server: Option<actionbench::server::ServerHandle>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.stop(std::time::Duration::from_secs(2)));
        }
    }
}

/// [`engine_with`], served.
pub fn served(mode: Mode, configure: impl FnOnce(&mut EngineConfig)) -> Served {
    let (engine, clock) = engine_with(mode, configure);
    serve_engine(engine, clock)
}

/// An engine on the system's clock (time moves by itself), served; its `clock` is not the
/// engine's.
#[allow(dead_code)]
pub fn served_on_system_clock(mode: Mode) -> Served {
    let config = EngineConfig {
        default_mode: mode,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, Arc::new(actionbench::domain::clock::SystemClock));
    engine.add_samples(&samples());
    serve_engine(engine, Arc::new(ManualClock::new(t0())))
}

fn serve_engine(engine: Arc<Engine>, clock: Arc<ManualClock>) -> Served {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt
        .block_on(actionbench::server::start(
            engine.clone(),
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("starts");
    let url = format!("http://{}", server.addr);
    Served {
        rt,
        engine,
        clock,
        url,
        server: Some(server),
    }
}

/// Starts `actionbench serve --port 0 ARGS…`: the child, and its stdout lines as JSON (read on
/// a thread of their own, so a slow reader never blocks serve).
pub fn serve_lines(args: &[&str]) -> (std::process::Child, std::sync::mpsc::Receiver<Value>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["serve", "--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve runs");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    (child, rx)
}

/// Runs `actionbench ARGS…` to its end, within `deadline` (killed and failed past it): its exit
/// code, and what it printed (stdout, then stderr). The output is read as it comes, so a
/// talkative run never blocks on a full pipe.
pub fn run_actionbench(args: &[&str], deadline: std::time::Duration) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("actionbench runs");
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().expect("stdout")));
    let err = read(Box::new(child.stderr.take().expect("stderr")));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("actionbench {args:?} did not end within {deadline:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let text = format!(
        "{}{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    (status.code(), text)
}

/// Whether program `name` is on the PATH, for a test that needs it (`why`). A missing one is
/// said and the test passes without it, unless `ACTIONBENCH_REQUIRE_TOOLS` is set (CI installs
/// the tools and sets it): then a missing tool fails the test, so CI never skips one quietly.
#[allow(dead_code)]
pub fn have_tool(name: &str, why: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()));
    if !found {
        assert!(
            std::env::var_os("ACTIONBENCH_REQUIRE_TOOLS").is_none(),
            "{name} is needed {why}, and ACTIONBENCH_REQUIRE_TOOLS is set"
        );
        eprintln!("SKIPPED: {name} is needed {why}; install it to run this test");
    }
    found
}

/// A virtual X display (Xvfb) for a test that opens the real window; stopped when dropped.
#[allow(dead_code)]
pub struct Xvfb {
    child: std::process::Child,
    /// The DISPLAY to give the window, such as ":99".
    pub display: String,
}

#[allow(dead_code)]
impl Xvfb {
    /// Starts Xvfb on a display number it picks itself (none when Xvfb is not here: see
    /// [`have_tool`]).
    pub fn start(size: &str) -> Option<Xvfb> {
        use std::io::BufRead;
        if !have_tool("Xvfb", "to open the real window (apt-get install xvfb)") {
            return None;
        }
        let mut child = std::process::Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{size}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let n = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("Xvfb says its display within 10 s");
        Some(Xvfb {
            child,
            display: format!(":{}", n.trim()),
        })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `tests/browser/drive.js MODE PAGE [ARG]` (Playwright's core driving Debian's headless
/// Chromium, with the network cut off) and returns what it saw; None where Chromium or node is
/// missing (see [`have_tool`]).
#[allow(dead_code)]
pub fn drive_page(mode: &str, page: &std::path::Path, arg: Option<&str>) -> Option<Value> {
    if !have_tool(
        "chromium",
        "to open shared pages (apt-get install chromium)",
    ) || !have_tool("node", "to drive Chromium")
    {
        return None;
    }
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    let dir = root().join("tests/browser");
    INSTALLED.call_once(|| {
        if !dir.join("node_modules/playwright-core").exists() {
            let (code, out) = run_in(
                std::process::Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir),
                std::time::Duration::from_secs(300),
            );
            assert_eq!(code, Some(0), "npm ci in tests/browser: {out}");
        }
    });
    let mut cmd = std::process::Command::new("node");
    cmd.arg(dir.join("drive.js"))
        .arg(mode)
        .arg(page)
        .args(arg)
        .current_dir(&dir);
    let (code, out) = run_in(&mut cmd, std::time::Duration::from_secs(180));
    assert_eq!(code, Some(0), "drive.js {mode}: {out}");
    let last = out.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
    Some(serde_json::from_str(last).unwrap_or_else(|e| panic!("drive.js said {out}: {e}")))
}

/// Runs `cmd` to its end within `deadline`: its exit code and its output (stdout, then
/// stderr).
#[allow(dead_code)]
pub fn run_in(
    cmd: &mut std::process::Command,
    deadline: std::time::Duration,
) -> (Option<i32>, String) {
    use std::process::Stdio;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} starts: {e}"));
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(Ok(out)) => (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ),
        Ok(Err(e)) => panic!("{e}"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("gave up after {deadline:?} waiting for a command");
        }
    }
}

/// tests/sdk-provider, the apps built on the official SDK, with its pinned packages installed
/// (`npm ci`, within 5 minutes, when they are missing).
#[allow(dead_code)]
pub fn sdk_provider_dir() -> PathBuf {
    node_project("tests/sdk-provider", "node_modules/@wix/sdk")
}

/// tests/mcp-client, an MCP client on the official TypeScript SDK, its packages installed.
#[allow(dead_code)]
pub fn mcp_client_dir() -> PathBuf {
    node_project("tests/mcp-client", "node_modules/@modelcontextprotocol/sdk")
}

/// The node project at `path` (under the repository), with its pinned packages installed
/// (`npm ci`, within 5 minutes) when `marker` is missing.
fn node_project(path: &str, marker: &str) -> PathBuf {
    let dir = root().join(path);
    if dir.join(marker).exists() {
        return dir;
    }
    let limit = std::time::Duration::from_secs(300);
    let mut child = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .spawn()
        .unwrap_or_else(|e| panic!("npm ci in {path}: cannot start ({e}); install node and npm"));
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "npm ci in {path} failed: {status}");
            return dir;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("npm ci in {path} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A node app of tests/sdk-provider on a free loopback port: killed when dropped; its stdout
/// lines after the first come on `lines`.
#[allow(dead_code)]
pub struct NodeApp {
    pub child: std::process::Child,
    pub port: u16,
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Drop for NodeApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl NodeApp {
    /// `node ARGS…` in tests/sdk-provider (its packages installed first), once it prints
    /// `listening PORT`, within 30 s.
    #[allow(dead_code)]
    pub fn start(args: &[&std::ffi::OsStr]) -> NodeApp {
        use std::io::BufRead;
        let mut child = std::process::Command::new("node")
            .args(args)
            .current_dir(sdk_provider_dir())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("node runs (install node to run this test)");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let first = lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("node {args:?} did not say it listens within 30 s"));
        let port = first
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from node {args:?}: {first:?}"));
        NodeApp { child, port, lines }
    }

    #[allow(dead_code)]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Lines from `rx` (a `serve_lines` reader) until `pick` accepts one, within `within` (all kept
/// in `seen`, and printed when none comes).
pub fn next_line(
    rx: &std::sync::mpsc::Receiver<Value>,
    seen: &mut Vec<Value>,
    what: &str,
    within: std::time::Duration,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let left = within.saturating_sub(start.elapsed());
        let v = rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!("serve printed no {what} within {within:?}; it printed: {seen:#?}")
        });
        seen.push(v.clone());
        if pick(&v) {
            return v;
        }
    }
}
