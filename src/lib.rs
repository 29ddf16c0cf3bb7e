//! ActionBench: a local workbench for Wix Automations action providers.
//!
//! Layers, with one-way imports: [`domain`] (wire types, envelopes, contract checks, the
//! invocation state machine; no egui, no axum) ← [`engine`] (the shared core) ← [`server`]
//! (axum) and [`ui`] (egui, talking to the engine through commands and events) and
//! [`headless`] (the `serve` command).

pub mod caller;
pub mod check;
pub mod cli;
pub mod domain;
pub mod engine;
pub mod export;
pub mod flow_run;
pub mod flows;
pub mod headless;
pub mod journal;
pub mod keys;
pub mod play;
pub mod sender;
pub mod server;
pub mod ui;
