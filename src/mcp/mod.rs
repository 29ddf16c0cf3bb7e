//! The MCP server: coding agents drive the workbench through the Model Context Protocol, on the
//! official Rust SDK (`rmcp`). Two ways in, one set of tools over the same engine: `actionbench
//! mcp` over stdio (its own inbox), and Streamable HTTP at `/mcp` on every running inbox (the
//! window's and `serve`'s), so an agent works on the very session the person is looking at.
//!
//! The modules: `tools` (the list, each tool's schemas and annotations, and dispatch),
//! `views` (what the tools take and give, as typed JSON with schemas), `calls` (reading and
//! waiting for calls), `act` (answering, reporting, sending, modes), `http` (the `/mcp` route
//! and its safety rules), `stdio` (`actionbench mcp`).

mod act;
mod calls;
mod gate;
pub mod http;
mod resources;
mod run;
pub mod stdio;
mod tools;
mod views;

use crate::domain::definition::Definitions;
use crate::domain::flow::LoadedFlow;
use crate::domain::sample::LoadedSample;
use crate::engine::Engine;
use crate::play::Player;
use crate::startup::reload::Reloaded;
use crate::startup::{Connected, InboxArgs, Mount, Mounting, SharedTarget, Started};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What the folders hold, as the tools list and send them.
pub struct Files {
    pub samples: Vec<LoadedSample>,
    pub flows: Vec<LoadedFlow>,
    pub definitions: Definitions,
}

/// What the tools work on: the engine and what the start loaded beside it, shared by every
/// agent connected (over stdio, or each HTTP session).
pub struct Bench {
    pub engine: Arc<Engine>,
    pub player: Player,
    /// Where "to the target" goes: the window's target (or forward mode's)…
    target: SharedTarget,
    /// …else `--target` (signed when `--app-id` is given, as serve signs).
    flag_target: Option<crate::play::Target>,
    /// The samples, flows and definitions: those the start loaded, then each reload's.
    files: RwLock<Arc<Files>>,
    /// Reloads not yet taken in (the reload thread wakes [`Bench::take_reloads`] after each).
    reloads: Mutex<Option<Receiver<Arc<Reloaded>>>>,
    /// The options the workbench started with (check, lint and flow runs start from them).
    pub args: InboxArgs,
    /// The session journal, when one records.
    pub session: Option<std::path::PathBuf>,
    /// The inbox's URL, once it listens.
    inbox: OnceLock<String>,
    /// Agents connected now.
    agents: Connected,
    /// What ends the HTTP transport's sessions when the inbox stops.
    stops: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    /// A collect of freed memory is due (see [`Bench::give_back_soon`]).
    collect_pending: Arc<AtomicBool>,
}

impl Bench {
    pub fn new(started: &Started, args: &InboxArgs) -> Arc<Bench> {
        let bench = Arc::new(Bench {
            engine: started.engine.clone(),
            player: started.player.clone(),
            target: started.target.clone(),
            flag_target: args
                .target(args.app_id.is_some(), crate::play::caller::DEFAULT_TIMEOUT)
                .ok()
                .flatten(),
            files: RwLock::new(Arc::new(Files {
                samples: started.samples.clone(),
                flows: started.flows.clone(),
                definitions: started.definitions.clone(),
            })),
            reloads: Mutex::new(None),
            args: args.clone(),
            session: started.session.as_ref().map(|s| s.path.clone()),
            inbox: OnceLock::new(),
            agents: Connected::default(),
            stops: Mutex::new(vec![]),
            collect_pending: Arc::default(),
        });
        // The files the tools list follow the folders as the window's tabs do: each reload is
        // taken in as it happens (a weak handle, so the watching does not keep the bench).
        if let Some(w) = &started.watching {
            let weak = Arc::downgrade(&bench);
            let rx = w.subscribe(Some(Arc::new(move || {
                if let Some(b) = weak.upgrade() {
                    b.take_reloads();
                }
            })));
            *bench.reloads.lock().unwrap_or_else(|e| e.into_inner()) = Some(rx);
        }
        bench
    }

    /// The samples, flows and definitions as the folders hold them now.
    pub fn files(&self) -> Arc<Files> {
        self.take_reloads();
        self.files.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Takes in the reloads that came: the last one is what the folders hold.
    fn take_reloads(&self) {
        let reloads = self.reloads.lock().unwrap_or_else(|e| e.into_inner());
        let Some(rx) = reloads.as_ref() else { return };
        let Some(last) = rx.try_iter().last() else {
            return;
        };
        *self.files.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Files {
            samples: last.samples.clone(),
            flows: last.flows.clone(),
            definitions: last.definitions.clone(),
        });
    }

    /// Your action, where tools send to it: the window's target, else `--target`.
    pub fn target(&self) -> Option<crate::play::Target> {
        let shared = self
            .target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        shared.or_else(|| self.flag_target.clone())
    }

    /// The inbox listens at `url` (`http://127.0.0.1:4010`).
    pub fn set_inbox(&self, url: String) {
        let _ = self.inbox.set(url);
    }

    pub fn inbox(&self) -> Option<&str> {
        self.inbox.get().map(String::as_str)
    }

    /// `f` runs when the inbox stops (the HTTP transport ends its sessions' streams).
    pub fn on_stop(&self, f: Box<dyn FnOnce() + Send>) {
        self.stops.lock().unwrap_or_else(|e| e.into_inner()).push(f);
    }

    /// Ends every HTTP session's stream: the inbox is stopping.
    pub fn stop(&self) {
        let stops = std::mem::take(&mut *self.stops.lock().unwrap_or_else(|e| e.into_inner()));
        for f in stops {
            f();
        }
    }

    /// Gives back to the system, a moment after a burst of tool calls ends, the pages their
    /// answers freed, on every runtime thread: the allocator otherwise keeps them resident
    /// until it next purges, which an idle window never makes it do (an agent's 150 reads left
    /// 4.7 MB of freed pages; `benches/mcp.rs`). One collect is pending at a time, however
    /// many calls end meanwhile.
    fn give_back_soon(&self) {
        if self.collect_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let pending = self.collect_pending.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            pending.store(false, Ordering::Release);
            // Each runtime thread collects as it next goes idle; a task for each wakes those
            // asleep, so that they go idle again.
            crate::platform::give_back_when_idle();
            for _ in 0..tokio::runtime::Handle::current().metrics().num_workers() {
                tokio::spawn(async {});
            }
        });
    }

    /// How many agents are connected now.
    pub fn agents(&self) -> usize {
        self.agents.now()
    }

    /// A handler for one more agent (a stdio client, or one HTTP session).
    pub fn agent(self: &Arc<Self>) -> Agent {
        Agent {
            bench: self.clone(),
            counted: AtomicBool::new(false),
        }
    }
}

/// `/mcp` on the inbox a start opens: handed to startup as [`Plan::mount`], it makes the
/// bench once the engine is up. The slot holds that bench after the start (`actionbench mcp`
/// serves its stdio client from it).
pub fn mounting() -> (Mounting, Arc<OnceLock<Arc<Bench>>>) {
    let slot: Arc<OnceLock<Arc<Bench>>> = Arc::default();
    let filled = slot.clone();
    let mounting: Mounting = Box::new(move |started: &Started, args: &InboxArgs| {
        let bench = Bench::new(started, args);
        let _ = filled.set(bench.clone());
        bench as Arc<dyn Mount>
    });
    (mounting, slot)
}

impl Mount for Bench {
    fn router(self: Arc<Self>) -> axum::Router {
        http::router(self)
    }

    fn listening(&self, url: &str) {
        self.set_inbox(url.to_string());
    }

    fn stop(&self) {
        Bench::stop(self)
    }

    fn connected(&self) -> Connected {
        self.agents.clone()
    }
}

/// One connected agent: counted from its `initialized` notification until it goes (the stdio
/// client closes, or its HTTP session ends and the SDK drops its handler).
pub struct Agent {
    bench: Arc<Bench>,
    counted: AtomicBool,
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            self.bench.agents.remove();
        }
    }
}

/// What the server says of itself when an agent connects.
const INSTRUCTIONS: &str = "ActionBench stands in for Wix Automations in front of a Wix action \
provider: it records every call to its inbox, lets you answer held calls, plays Wix against \
your action (the target), and checks every request and answer against the contract. Start with \
get_status; list_calls / get_call / wait_for_call read calls; answer_call answers a held one \
(checked first); send_sample sends a sample to the inbox or to your action; run_check plays the \
samples against your action and says what fails and why.";

impl ServerHandler for Agent {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new(
            "actionbench",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::all().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::all().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let answer = tools::call(&self.bench, request, context).await;
        self.bench.give_back_soon();
        answer
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::list(
            &self.bench,
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&self.bench, &request.uri).map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(resources::prompts()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        resources::prompt(&request.name, &request.arguments.unwrap_or_default()).map(Into::into)
    }

    async fn on_initialized(&self, _context: NotificationContext<RoleServer>) {
        if !self.counted.swap(true, Ordering::AcqRel) {
            self.bench.agents.add();
        }
    }
}
