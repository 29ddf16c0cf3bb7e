//! The one start-up path below the window and the command line: from the options every way of
//! starting shares ([`InboxArgs`]) and what that way needs ([`Plan`]), the engine, the session
//! journal, samples, definitions and flows, the signing key, the player and the relay of
//! forward mode, and the inbox listening ([`Started`]). The window, `serve`, `check`,
//! `check --generate`, `flow run` and the window's tests all start here.

mod options;

pub use options::{DEFAULT_PORT, InboxArgs};

use crate::domain::clock::{Clock, SystemClock};
use crate::engine::{Engine, EngineConfig, Mode};
use crate::server::{self, ServerHandle, StartError};
use std::sync::Arc;

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
