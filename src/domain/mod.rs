//! The domain core: wire types, envelopes, contract checks, schemas, the invocation state
//! machine, samples and time. No egui, no axum: the server, the window and the CLI share it.

pub mod as_wix;
pub mod assumptions;
pub mod automation;
pub mod clock;
pub mod code_condition;
pub mod contract;
pub mod definition;
pub mod diff;
pub mod envelope;
pub mod expr;
pub mod findings;
pub mod flow;
pub mod invocation;
pub mod lab;
pub mod palette;
pub mod quick;
pub mod sample;
pub mod schema;
pub mod summary;
pub mod timeline;
pub mod trigger;
pub mod why;
pub mod wire;
