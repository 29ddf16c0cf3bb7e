//! The host the engine runs in: the simulated clock, dates in UTC, `eval` and `new Function`
//! limited, and no imports.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use boa_engine::context::time::JsInstant;
use boa_engine::context::{Clock, HostHooks};
use boa_engine::module::{ModuleLoader, ModuleRequest, Referrer};
use boa_engine::realm::Realm;
use boa_engine::{Context, JsNativeError, JsResult, JsString, Module};

/// `new Date()` and `Date.now()` read the time the caller gave; the engine's own timing reads the
/// machine's monotonic clock.
pub(super) struct SimulatedClock {
    now_millis: i64,
    started: Instant,
}

impl SimulatedClock {
    pub(super) fn new(now_millis: i64) -> Self {
        SimulatedClock {
            now_millis,
            started: Instant::now(),
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> JsInstant {
        let elapsed = self.started.elapsed();
        JsInstant::new(elapsed.as_secs(), elapsed.subsec_nanos())
    }

    fn system_time_millis(&self) -> i64 {
        self.now_millis
    }
}

/// The host's answers to the engine: dates in UTC, `eval` and `new Function` limited to code as
/// long as a condition may be, and buffers limited in size.
pub(super) struct SandboxHooks {
    pub(super) max_eval_chars: usize,
    pub(super) max_buffer_bytes: u64,
}

impl HostHooks for SandboxHooks {
    fn ensure_can_compile_strings(
        &self,
        _realm: Realm,
        parameters: &[JsString],
        body: &JsString,
        _direct: bool,
        _context: &mut Context,
    ) -> JsResult<()> {
        let chars = body.len() + parameters.iter().map(JsString::len).sum::<usize>();
        if chars > self.max_eval_chars {
            return Err(JsNativeError::eval()
                .with_message(format!(
                    "a code condition may compile at most {} characters, not {chars}",
                    self.max_eval_chars
                ))
                .into());
        }
        Ok(())
    }

    fn local_timezone_offset_seconds(&self, _unix_time_seconds: i64) -> i32 {
        0
    }

    fn max_buffer_size(&self, _context: &mut Context) -> u64 {
        self.max_buffer_bytes
    }
}

/// Refuses every import, and remembers what was asked for.
#[derive(Default)]
pub(super) struct NoImports {
    pub(super) asked: RefCell<Option<String>>,
}

impl ModuleLoader for NoImports {
    async fn load_imported_module(
        self: Rc<Self>,
        _referrer: Referrer,
        request: ModuleRequest,
        _context: &RefCell<&mut Context>,
    ) -> JsResult<Module> {
        let specifier = request.specifier().to_std_string_escaped();
        self.asked.borrow_mut().get_or_insert(specifier.clone());
        Err(JsNativeError::typ()
            .with_message(format!(
                "a code condition cannot import anything (it imports \"{specifier}\")"
            ))
            .into())
    }
}
