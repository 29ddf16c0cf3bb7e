//! Code conditions: the CODE_CONDITION step's small JavaScript function, run in an embedded
//! pure-Rust engine (Boa) inside a sandbox.
//!
//! The code default-exports a synchronous `function (payload)` that returns a boolean; the step
//! continues with its true branch or its false branch. The runtime gives the function only the
//! payload fields the step declares (`dynamicVariableExpressions`), so [`hydrate`] builds that
//! smaller payload first, and [`run`] calls the function with it.
//!
//! What the sandbox gives the code: the ECMAScript built-ins and nothing else. There is no
//! `require`, no `import` (a static one is [`CodeError::Import`]; a dynamic one gives back a
//! rejected promise), no `console`, no network, no file system, no timers and nothing of the host.
//! Every run gets a fresh engine on a fresh thread, so nothing one run leaves behind is seen by
//! the next. `new Date()` and `Date.now()` give the `now` the caller passes (the workbench's clock
//! can be warped), and dates are read in UTC, as on a server, whatever the machine's time zone.
//!
//! What bounds a run, and what does not, is written on [`CodeLimits`].
//!
//! One difference from a browser or Node: Boa 0.22 does not parse `export default async () => …`
//! (an async arrow as the default export) and reports a syntax error; `export default async
//! function` parses, and returns a promise, which is [`CodeError::NotBoolean`]. Either way an
//! async condition is an error, as it is for Wix.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use boa_engine::builtins::promise::PromiseState;
use boa_engine::context::time::JsInstant;
use boa_engine::context::{Clock, ContextBuilder, HostHooks};
use boa_engine::module::{ModuleLoader, ModuleRequest, Referrer};
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::realm::Realm;
use boa_engine::vm::RuntimeLimits;
use boa_engine::{
    Context, EngineError, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue, Module,
    NativeFunction, RuntimeLimitError, Source, js_string,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// How much one run of a code condition may take.
///
/// What bounds a run:
/// - `max_code_chars`: the code's length, counted as JavaScript counts it (UTF-16 units). Wix
///   allows 1000. Longer code is refused before it is parsed. This also bounds how deeply the
///   code can nest, and so how deep the parser goes.
/// - `loop_iterations`: how many times the loops of one function call may go round, all its loops
///   together. The engine counts them per call, so a loop that calls a function that loops is
///   bounded by `instructions`, not by this.
/// - `recursion`: how deeply calls may nest.
/// - `stack`: how many values the engine's value stack may hold.
/// - `instructions`: how many bytecode instructions the whole run may execute, whichever function
///   runs them (the engine's instruction budget). Together with the limits above this is what
///   makes a runaway script end on its own: `while (true) {}`, deep recursion and loops inside
///   loops across calls all stop with [`CodeError::ResourceLimit`].
/// - `max_string_chars`: `String.prototype.repeat`, `padStart` and `padEnd` refuse (RangeError) to
///   build a string longer than this (Boa also counts each repetition of `repeat` as a loop turn), and `eval`/`new Function` refuse source longer than
///   `max_code_chars`. `ArrayBuffer`s and typed arrays are refused past `max_buffer_bytes`.
/// - `max_array_length`: the engine reserves memory for a whole array-like up front in some
///   built-ins (`Array(2 ** 32 - 1).join()` asks for 64 GiB, and a failed allocation aborts the
///   process), and loops over every index in others (`[...Array(2 ** 30)]`). So every
///   `Array.prototype` method, `Array.from`, `Function.prototype.apply`, `Reflect.apply`,
///   `Reflect.construct` and `JSON.stringify` (at every depth) refuse (RangeError) an array or
///   array-like longer than this. `Proxy` is removed: a proxy's `ownKeys` trap could hand the
///   engine such a list directly.
/// - `max_nesting`: `join`/`toString` and `JSON.stringify` recurse on the native stack for each
///   level of a nested structure (a few hundred thousand levels overflow it, which aborts the
///   process), so they refuse (RangeError) a structure nested deeper than this. `bind` refuses a
///   chain of bound functions longer than this, or binding more arguments than this in all
///   (calling such a chain recurses natively and gathers the arguments at every step).
/// - `wall`: how long the caller waits. The code runs on its own thread; past this time [`run`]
///   returns [`CodeError::TimeLimit`] and leaves the thread to end through the limits above.
///
/// What is not bounded, because the engine has no hook for it:
/// - Memory in general. The engine has no heap limit. The instruction budget bounds how many
///   allocations happen, but one instruction can allocate a lot: `s += s` doubles a string each
///   time round (30 rounds make a 2 GiB string; the engine stops at 2^32 - 1 units, 8 GiB),
///   `arr.join(sep)` with a long separator makes one as long, and `keep.push(big.slice())` in a
///   loop keeps a megabyte-sized copy per turn. Such code can exhaust the machine's memory, and
///   the process then dies. Only a separate process with an address-space limit could bound that.
/// - Native recursion in built-ins other than the ones above, on structures the code builds: for
///   one, a `JSON.parse` reviver that hangs a structure hundreds of thousands of levels deep on a
///   part of the result not yet revived (the engine then walks it recursively and its stack
///   overflows, which aborts the process). The worker's large stack and the instruction budget
///   make this hard to reach, not impossible.
/// - Time inside one built-in call, in native code that no instruction counter sees: a regular
///   expression that backtracks exponentially (`/(a*)*b/` on 30 letters runs for minutes).
///   [`run`] still returns [`CodeError::TimeLimit`] on time, but the thread keeps one core busy
///   until that built-in returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLimits {
    /// The longest code accepted, in UTF-16 units (1000: Wix's limit).
    pub max_code_chars: usize,
    /// Loop turns one function call may make (100 000).
    pub loop_iterations: u64,
    /// How deeply calls may nest (256).
    pub recursion: usize,
    /// Values the engine's stack may hold (10 240, the engine's default).
    pub stack: usize,
    /// Bytecode instructions the whole run may execute (20 000 000: a few tenths of a second).
    pub instructions: usize,
    /// The longest string `repeat`, `padStart` and `padEnd` may make (1 048 576 UTF-16 units).
    pub max_string_chars: usize,
    /// The largest `ArrayBuffer` (and so typed array) the code may make (1 MiB).
    pub max_buffer_bytes: u64,
    /// The longest array or array-like the guarded built-ins accept (1 048 576).
    pub max_array_length: u64,
    /// How deeply nested a structure `join` and `JSON.stringify` accept (1000).
    pub max_nesting: usize,
    /// How long the caller waits for an answer (one second).
    pub wall: Duration,
}

impl Default for CodeLimits {
    fn default() -> Self {
        CodeLimits {
            max_code_chars: 1000,
            loop_iterations: 100_000,
            recursion: 256,
            stack: 10 * 1024,
            instructions: 20_000_000,
            max_string_chars: 1 << 20,
            max_buffer_bytes: 1 << 20,
            max_array_length: 1 << 20,
            max_nesting: 1000,
            wall: Duration::from_secs(1),
        }
    }
}

/// Why a code condition gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// The code is longer than the limit.
    TooLong { chars: usize, max: usize },
    /// The code does not parse as a JavaScript module (the parser's message).
    Syntax(String),
    /// The code imports another module (the specifier it asked for).
    Import(String),
    /// The code has no `export default`.
    NoDefaultExport,
    /// The default export is not a function (what it is).
    DefaultNotFunction(String),
    /// The code threw (the JavaScript message, e.g. "TypeError: x is not a function").
    Threw(String),
    /// The function returned something other than a boolean (what it returned).
    NotBoolean(String),
    /// The answer did not come within the wall-clock limit.
    TimeLimit(Duration),
    /// A loop, recursion, stack or instruction limit stopped the code (which one).
    ResourceLimit(String),
    /// The engine itself failed (a bug in it, or the worker thread could not start).
    Engine(String),
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeError::TooLong { chars, max } => write!(
                f,
                "The code is {chars} characters long; a code condition may have at most {max}."
            ),
            CodeError::Syntax(m) => write!(f, "The code is not valid JavaScript: {m}."),
            CodeError::Import(s) => write!(
                f,
                "The code imports \"{s}\"; a code condition cannot import anything."
            ),
            CodeError::NoDefaultExport => write!(
                f,
                "The code has no default export; it must be `export default function (payload) {{ … }}`."
            ),
            CodeError::DefaultNotFunction(what) => write!(
                f,
                "The code's default export is {what}, not a function of the payload."
            ),
            CodeError::Threw(m) => write!(f, "The code threw an error: {m}."),
            CodeError::NotBoolean(what) => write!(
                f,
                "The function returned {what}; a code condition must return true or false."
            ),
            CodeError::TimeLimit(wall) => {
                write!(f, "The code gave no answer within {} ms.", wall.as_millis())
            }
            CodeError::ResourceLimit(m) => write!(f, "The code was stopped: {m}."),
            CodeError::Engine(m) => write!(f, "The JavaScript engine failed: {m}."),
        }
    }
}

impl std::error::Error for CodeError {}

/// The paths a step declares, read from its `dynamicVariableExpressions`: the `<path>` of each
/// `{{var("<path>")}}`, in order, without repeats. Other expressions are skipped.
pub fn declared_paths(expressions: &[String]) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for expression in expressions {
        let mut rest = expression.as_str();
        while let Some(at) = rest.find("var(\"") {
            let after = &rest[at + 5..];
            let Some(end) = after.find("\")") else { break };
            let path = &after[..end];
            if !path.is_empty() && !paths.iter().any(|p| p == path) {
                paths.push(path.to_string());
            }
            rest = &after[end + 2..];
        }
    }
    paths
}

/// The payload the code sees: only the declared paths (dotted, e.g. "contact.birthdate",
/// "createTask-1.taskId", "setVariable.abc"), copied from `payload` into a fresh object with the
/// same nesting; undeclared fields are absent. A path through an array stops at the array: the
/// whole array is copied. A path that is not in the payload adds nothing.
pub fn hydrate(payload: &Value, declared_paths: &[String]) -> Value {
    let mut out = Map::new();
    for path in declared_paths {
        let segments: Vec<&str> = path.split('.').collect();
        if segments.iter().any(|s| s.is_empty()) {
            continue;
        }
        // Walk the payload as far as the path goes, stopping at an array.
        let mut value = payload;
        let mut taken = 0;
        for segment in &segments {
            if value.is_array() {
                break;
            }
            match value.get(*segment) {
                Some(next) => {
                    value = next;
                    taken += 1;
                }
                None => {
                    taken = 0;
                    break;
                }
            }
        }
        if taken > 0 {
            insert_at(&mut out, &segments[..taken], value);
        }
    }
    Value::Object(out)
}

/// Puts `value` at `segments` in `out`, making the objects on the way. A shorter path copied
/// earlier already holds everything below it, so it is left as it is.
fn insert_at(out: &mut Map<String, Value>, segments: &[&str], value: &Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut map = out;
    for segment in parents {
        let slot = map
            .entry(segment.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        match slot {
            Value::Object(inner) => map = inner,
            // Copied whole by a shorter path.
            _ => return,
        }
    }
    map.insert(last.to_string(), value.clone());
}

/// Runs the code's default export with `payload`; `now` is what `new Date()` / `Date.now()`
/// return (the workbench's clock can be warped, so the code must see simulated time, not the
/// machine's). The code runs on a new thread in a new engine; see [`CodeLimits`] for the limits.
pub fn run(
    code: &str,
    payload: &Value,
    now: DateTime<Utc>,
    limits: &CodeLimits,
) -> Result<bool, CodeError> {
    let (answer, _worker) = start(code, payload, now, limits)?;
    wait(&answer, limits.wall)
}

/// How much stack the worker thread gets. Boa's parser and the built-ins that call back into
/// JavaScript (getters, `toString`, `JSON.stringify`) recurse on the native stack; with the code
/// at most a few thousand characters and calls nested at most `recursion` deep this is far more
/// than they need. It is address space, only touched pages take memory.
const WORKER_STACK_BYTES: usize = 256 << 20;

/// Checks the length and starts the worker: the answer arrives on the receiver, and the handle
/// tells when the thread has ended (tests join it to show an overrun thread ends on its own).
fn start(
    code: &str,
    payload: &Value,
    now: DateTime<Utc>,
    limits: &CodeLimits,
) -> Result<(Answer, thread::JoinHandle<()>), CodeError> {
    let chars = code.encode_utf16().count();
    if chars > limits.max_code_chars {
        return Err(CodeError::TooLong {
            chars,
            max: limits.max_code_chars,
        });
    }
    let (tx, rx) = mpsc::sync_channel(1);
    let code = code.to_string();
    let payload = payload.clone();
    let limits = limits.clone();
    let now_millis = now.timestamp_millis();
    let worker = thread::Builder::new()
        .name("code-condition".to_string())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || {
            let answer = evaluate(&code, &payload, now_millis, &limits);
            // The caller may have stopped waiting; then nobody needs the answer.
            let _ = tx.send(answer);
        })
        .map_err(|e| CodeError::Engine(format!("the worker thread could not start ({e})")))?;
    Ok((rx, worker))
}

/// Where the worker's answer arrives.
type Answer = mpsc::Receiver<Result<bool, CodeError>>;

/// Waits for the worker's answer for at most `wall`.
fn wait(answer: &Answer, wall: Duration) -> Result<bool, CodeError> {
    match answer.recv_timeout(wall) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(CodeError::TimeLimit(wall)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(CodeError::Engine(
            "it stopped without an answer (it panicked)".to_string(),
        )),
    }
}

/// One run, on the worker thread: a fresh engine, the module evaluated, its default export
/// called with the payload.
fn evaluate(
    code: &str,
    payload: &Value,
    now_millis: i64,
    limits: &CodeLimits,
) -> Result<bool, CodeError> {
    let loader = Rc::new(NoImports::default());
    let mut context = ContextBuilder::new()
        .clock(Rc::new(SimulatedClock::new(now_millis)))
        .host_hooks(Rc::new(SandboxHooks {
            max_eval_chars: limits.max_code_chars,
            max_buffer_bytes: limits.max_buffer_bytes,
        }))
        .module_loader(loader.clone())
        .instructions_remaining(limits.instructions)
        .build()
        .map_err(|e| CodeError::Engine(e.to_string()))?;
    let mut runtime = RuntimeLimits::default();
    runtime.set_loop_iteration_limit(limits.loop_iteration_limit());
    runtime.set_recursion_limit(limits.recursion);
    runtime.set_stack_size_limit(limits.stack);
    context.set_runtime_limits(runtime);
    install_guards(&mut context, limits).map_err(|e| CodeError::Engine(e.to_string()))?;

    let module = Module::parse(Source::from_bytes(code), None, &mut context)
        .map_err(|e| CodeError::Syntax(syntax_message(&e, &mut context)))?;
    let function = load_default_export(&module, &loader, &mut context, limits)?;
    let payload =
        JsValue::from_json(payload, &mut context).map_err(|e| error_of(e, &mut context, limits))?;
    let returned = function
        .call(&JsValue::undefined(), &[payload], &mut context)
        .map_err(|e| error_of(e, &mut context, limits))?;
    returned
        .as_boolean()
        .ok_or_else(|| CodeError::NotBoolean(describe(&returned)))
}

impl CodeLimits {
    /// The engine stops a loop when its count passes the limit, so it is given one less.
    fn loop_iteration_limit(&self) -> u64 {
        self.loop_iterations.saturating_sub(1)
    }
}

/// Loads, links and evaluates the module (its top-level code runs here), then finds its default
/// export and checks that it is a function.
fn load_default_export(
    module: &Module,
    loader: &NoImports,
    context: &mut Context,
    limits: &CodeLimits,
) -> Result<JsObject, CodeError> {
    let loaded = module.load(context);
    context
        .run_jobs()
        .map_err(|e| error_of(e, context, limits))?;
    if let Some(specifier) = loader.asked.borrow().clone() {
        return Err(CodeError::Import(specifier));
    }
    if let PromiseState::Rejected(reason) = loaded.state() {
        return Err(CodeError::Syntax(syntax_message(
            &JsError::from_opaque(reason),
            context,
        )));
    }
    module
        .link(context)
        .map_err(|e| CodeError::Syntax(syntax_message(&e, context)))?;
    let evaluated = module
        .evaluate(context)
        .map_err(|e| error_of(e, context, limits))?;
    context
        .run_jobs()
        .map_err(|e| error_of(e, context, limits))?;
    match evaluated.state() {
        PromiseState::Fulfilled(_) => {}
        PromiseState::Rejected(reason) => {
            return Err(error_of(JsError::from_opaque(reason), context, limits));
        }
        PromiseState::Pending => {
            return Err(CodeError::Threw(
                "the module's top-level code never finished (an `await` that never settles)"
                    .to_string(),
            ));
        }
    }
    let namespace = module.namespace(context);
    let has_default = namespace
        .has_own_property(js_string!("default"), context)
        .map_err(|e| error_of(e, context, limits))?;
    if !has_default {
        return Err(CodeError::NoDefaultExport);
    }
    let default = namespace
        .get(js_string!("default"), context)
        .map_err(|e| error_of(e, context, limits))?;
    default
        .as_callable()
        .ok_or_else(|| CodeError::DefaultNotFunction(describe(&default)))
}

/// Turns an error from the engine into a [`CodeError`]: a limit, an engine failure, or what the
/// code threw.
fn error_of(error: JsError, context: &mut Context, limits: &CodeLimits) -> CodeError {
    match error.as_engine() {
        Some(EngineError::NoInstructionsRemain) => CodeError::ResourceLimit(format!(
            "it ran more than {} instructions",
            limits.instructions
        )),
        Some(EngineError::RuntimeLimit(RuntimeLimitError::LoopIteration)) => {
            CodeError::ResourceLimit(format!(
                "its loops went round more than {} times in one call",
                limits.loop_iterations
            ))
        }
        Some(EngineError::RuntimeLimit(RuntimeLimitError::Recursion)) => CodeError::ResourceLimit(
            format!("its calls nested more than {} deep", limits.recursion),
        ),
        Some(EngineError::RuntimeLimit(RuntimeLimitError::StackSize)) => CodeError::ResourceLimit(
            format!("it used more than {} values of stack", limits.stack),
        ),
        Some(EngineError::Panic(panic)) => CodeError::Engine(panic.message().to_string()),
        None => CodeError::Threw(plain_message(&error, context)),
    }
}

/// The most a message from the code is allowed to be, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// What the code threw, as JavaScript would print it ("TypeError: x is undefined"), without
/// running any of the code's own `toString`.
fn plain_message(error: &JsError, context: &mut Context) -> String {
    let message = match error.try_native(context) {
        Ok(native) => native_message(&native),
        Err(_) => match error.as_opaque() {
            Some(value) => match value.as_string() {
                Some(text) => text.to_std_string_escaped(),
                None => value.display().to_string(),
            },
            None => error.to_string(),
        },
    };
    shorten(message.trim_end_matches('.'))
}

/// "Kind: message", and where it was thrown when the engine knows: "(line 1, column 30)". The
/// engine writes the place as "(name at path:line:column)"; the code has no path and often no
/// function name, so only the line and column are kept.
fn native_message(native: &JsNativeError) -> String {
    let message = native.message().trim();
    let mut text = if message.is_empty() {
        native.kind().to_string()
    } else {
        format!("{}: {message}", native.kind())
    };
    let full = native.to_string();
    let place = full
        .strip_prefix(text.as_str())
        .map(str::trim)
        .and_then(|rest| rest.strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|inner| {
            let mut parts = inner.rsplitn(3, ':');
            let column: u32 = parts.next()?.parse().ok()?;
            let line: u32 = parts.next()?.parse().ok()?;
            Some((line, column))
        });
    if let Some((line, column)) = place {
        text.push_str(&format!(" (line {line}, column {column})"));
    }
    text
}

/// A parse or link error's message, without the "SyntaxError: " the variant already says.
fn syntax_message(error: &JsError, context: &mut Context) -> String {
    let message = plain_message(error, context);
    match message.strip_prefix("SyntaxError: ") {
        Some(rest) => rest.to_string(),
        None => message,
    }
}

/// Cuts `text` to [`MAX_MESSAGE_CHARS`], marking the cut.
fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    cut.push('…');
    cut
}

/// What a value is, in words: "the string \"yes\"", "the number 1", "undefined", "an object".
fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        return "undefined".to_string();
    }
    if value.is_null() {
        return "null".to_string();
    }
    if let Some(b) = value.as_boolean() {
        return format!("the boolean {b}");
    }
    if value.as_number().is_some() {
        return format!("the number {}", value.display());
    }
    if let Some(s) = value.as_string() {
        let text = shorten(&s.to_std_string_escaped());
        return format!("the string {}", Value::String(text));
    }
    if value.is_bigint() {
        return format!("the bigint {}n", value.display());
    }
    if value.is_symbol() {
        return "a symbol".to_string();
    }
    if value.as_promise().is_some() {
        return "a promise (the function must not be async)".to_string();
    }
    if value.is_callable() {
        return "a function".to_string();
    }
    match value.as_object() {
        Some(object) if object.is_array() => "an array".to_string(),
        _ => "an object".to_string(),
    }
}

/// `new Date()` and `Date.now()` read the time the caller gave; the engine's own timing reads the
/// machine's monotonic clock.
struct SimulatedClock {
    now_millis: i64,
    started: Instant,
}

impl SimulatedClock {
    fn new(now_millis: i64) -> Self {
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
struct SandboxHooks {
    max_eval_chars: usize,
    max_buffer_bytes: u64,
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
struct NoImports {
    asked: RefCell<Option<String>>,
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

/// The string built-ins that can make a huge string in one call.
#[derive(Clone, Copy, Debug)]
enum Builder {
    Repeat,
    PadStart,
    PadEnd,
}

impl Builder {
    fn name(self) -> &'static str {
        match self {
            Builder::Repeat => "repeat",
            Builder::PadStart => "padStart",
            Builder::PadEnd => "padEnd",
        }
    }
}

/// Puts the caps described on [`CodeLimits`] in place before the code runs. Each guarded
/// built-in is replaced by a native function that checks, then calls the original, which stays
/// reachable only from Rust.
fn install_guards(context: &mut Context, limits: &CodeLimits) -> JsResult<()> {
    cap_string_builders(context, limits.max_string_chars)?;
    let max = limits.max_array_length;
    let array_prototype = context.intrinsics().constructors().array().prototype();
    let mut wrapped: Vec<(JsObject, JsObject)> = Vec::new();
    for key in array_prototype.own_property_keys(context)? {
        let guard = match key.to_string().as_str() {
            "constructor" => continue,
            "join" | "toLocaleString" => Guard::Nested,
            "concat" => Guard::ThisAndArguments,
            _ => Guard::This,
        };
        let Some(original) = array_prototype.get(key.clone(), context)?.as_callable() else {
            continue;
        };
        // `values` and `[Symbol.iterator]` are one function and stay one.
        let known = wrapped
            .iter()
            .find(|(o, _)| *o == original)
            .map(|(_, w)| w.clone());
        let wrapper = match known {
            Some(wrapper) => wrapper,
            None => {
                let wrapper = guarded(context, &original, guard, max, limits.max_nesting);
                wrapped.push((original, wrapper.clone()));
                wrapper
            }
        };
        replace(&array_prototype, key, wrapper, context)?;
    }
    let array = context.intrinsics().constructors().array().constructor();
    let function_prototype = context.intrinsics().constructors().function().prototype();
    let reflect = context.intrinsics().objects().reflect();
    for (target, name, index) in [
        (&array, "from", 0),
        (&function_prototype, "apply", 1),
        (&reflect, "apply", 2),
        (&reflect, "construct", 1),
    ] {
        let Some(original) = target.get(js_string!(name), context)?.as_callable() else {
            continue;
        };
        let wrapper = guarded(context, &original, Guard::Argument(index), max, 0);
        replace(target, js_string!(name).into(), wrapper, context)?;
    }
    if let Some(original) = function_prototype
        .get(js_string!("bind"), context)?
        .as_callable()
    {
        let wrapper = guarded(context, &original, Guard::Bind, max, limits.max_nesting);
        replace(
            &function_prototype,
            js_string!("bind").into(),
            wrapper,
            context,
        )?;
    }
    let json = context.intrinsics().objects().json();
    if let Some(original) = json.get(js_string!("stringify"), context)?.as_callable() {
        let wrapper = guarded(context, &original, Guard::Json, max, limits.max_nesting);
        replace(&json, js_string!("stringify").into(), wrapper, context)?;
    }
    context.insert_data(Nesting::default());
    context
        .global_object()
        .delete_property_or_throw(js_string!("Proxy"), context)?;
    Ok(())
}

/// What a guarded built-in checks before it calls the original.
#[derive(Clone, Copy, Debug)]
enum Guard {
    /// The length of `this`.
    This,
    /// The length of `this` and of every argument.
    ThisAndArguments,
    /// The length of one argument.
    Argument(usize),
    /// The length of `this`, and how deeply `join` calls are nested (an array's `toString` calls
    /// its `join`, so a nested array nests them).
    Nested,
    /// `JSON.stringify`: the length of every array and the depth of every value it meets.
    Json,
    /// `Function.prototype.bind`: how long the chain of bound functions gets, and how many
    /// arguments it binds in all (a call walks the chain on the native stack and gathers every
    /// bound argument at each step).
    Bind,
}

/// How deeply guarded `join`s are nested right now, one map of depths for each
/// `JSON.stringify` under way (the objects met so far, each with its depth), and every bound
/// function made so far with the length of its chain and the arguments it binds in all.
#[derive(Default)]
struct Nesting {
    joins: std::cell::Cell<usize>,
    json: RefCell<Vec<std::collections::HashMap<JsObject, usize>>>,
    binds: RefCell<std::collections::HashMap<JsObject, (usize, usize)>>,
}

/// A native function that checks `guard`, then calls `original` with the same `this` and
/// arguments, under the original's name and length.
fn guarded(
    context: &mut Context,
    original: &JsObject,
    guard: Guard,
    max_length: u64,
    max_nesting: usize,
) -> JsObject {
    let native = NativeFunction::from_copy_closure_with_captures(
        move |this, args, original, context| match guard {
            Guard::This => {
                check_length(this, max_length, context)?;
                original.call(this, args, context)
            }
            Guard::ThisAndArguments => {
                check_length(this, max_length, context)?;
                for arg in args {
                    check_length(arg, max_length, context)?;
                }
                original.call(this, args, context)
            }
            Guard::Argument(index) => {
                if let Some(arg) = args.get(index) {
                    check_length(arg, max_length, context)?;
                }
                original.call(this, args, context)
            }
            Guard::Nested => {
                check_length(this, max_length, context)?;
                nested_join(this, args, original, max_nesting, context)
            }
            Guard::Json => guarded_stringify(args, original, max_length, max_nesting, context),
            Guard::Bind => guarded_bind(this, args, original, max_nesting, context),
        },
        original.clone(),
    );
    let name = original
        .get(js_string!("name"), context)
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let length = original
        .get(js_string!("length"), context)
        .ok()
        .and_then(|n| n.as_number())
        .unwrap_or(0.0) as usize;
    FunctionObjectBuilder::new(context.realm(), native)
        .name(name)
        .length(length)
        .build()
        .into()
}

/// Puts `function` at `key` on `target`, writable and configurable but not enumerable, as the
/// built-ins are.
fn replace(
    target: &JsObject,
    key: PropertyKey,
    function: JsObject,
    context: &mut Context,
) -> JsResult<()> {
    target.define_property_or_throw(
        key,
        PropertyDescriptor::builder()
            .value(function)
            .writable(true)
            .enumerable(false)
            .configurable(true),
        context,
    )?;
    Ok(())
}

/// Throws a RangeError when `value` is an object whose `length` is over `max`.
fn check_length(value: &JsValue, max: u64, context: &mut Context) -> JsResult<()> {
    let Some(object) = value.as_object() else {
        return Ok(());
    };
    let length = object
        .get(js_string!("length"), context)?
        .to_length(context)?;
    if length > max {
        return Err(JsNativeError::range()
            .with_message(format!(
                "a code condition works on arrays of at most {max} elements, not {length}"
            ))
            .into());
    }
    Ok(())
}

/// The RangeError for a structure nested deeper than `max`.
fn too_deep(max: usize) -> JsError {
    JsNativeError::range()
        .with_message(format!(
            "a code condition works on structures nested at most {max} deep"
        ))
        .into()
}

/// `join` with a count of the `join`s under way, refused past `max`.
fn nested_join(
    this: &JsValue,
    args: &[JsValue],
    original: &JsObject,
    max: usize,
    context: &mut Context,
) -> JsResult<JsValue> {
    let depth = context.get_data::<Nesting>().map_or(0, |n| n.joins.get());
    if depth >= max {
        return Err(too_deep(max));
    }
    if let Some(nesting) = context.get_data::<Nesting>() {
        nesting.joins.set(depth + 1);
    }
    let result = original.call(this, args, context);
    if let Some(nesting) = context.get_data::<Nesting>() {
        nesting.joins.set(depth);
    }
    result
}

/// `bind` that refuses a chain of bound functions longer than `max`, or one that binds more
/// than `max` arguments in all.
fn guarded_bind(
    this: &JsValue,
    args: &[JsValue],
    original: &JsObject,
    max: usize,
    context: &mut Context,
) -> JsResult<JsValue> {
    let (links, arguments) = match (context.get_data::<Nesting>(), this.as_object()) {
        (Some(nesting), Some(target)) => nesting
            .binds
            .borrow()
            .get(&target)
            .copied()
            .unwrap_or((0, 0)),
        _ => (0, 0),
    };
    let links = links + 1;
    let arguments = arguments + args.len().saturating_sub(1);
    if links > max || arguments > max {
        return Err(JsNativeError::range()
            .with_message(format!(
                "a code condition may chain at most {max} bound functions, binding at most {max} arguments in all"
            ))
            .into());
    }
    let bound = original.call(this, args, context)?;
    if let (Some(nesting), Some(function)) = (context.get_data::<Nesting>(), bound.as_object()) {
        nesting
            .binds
            .borrow_mut()
            .insert(function, (links, arguments));
    }
    Ok(bound)
}

/// `JSON.stringify` with a replacer of its own in front of the code's: it refuses an array
/// longer than `max_length` or a value nested deeper than `max_nesting`, at any depth. A
/// property-list replacer (an array of keys) is applied by it too, by handing on an object with
/// only those keys, in that order.
fn guarded_stringify(
    args: &[JsValue],
    original: &JsObject,
    max_length: u64,
    max_nesting: usize,
    context: &mut Context,
) -> JsResult<JsValue> {
    let value = args.first().cloned().unwrap_or_default();
    let replacer = args.get(1).cloned().unwrap_or_default();
    let space = args.get(2).cloned().unwrap_or_default();
    let keys = match replacer.as_object() {
        Some(list) if list.is_array() && !replacer.is_callable() => {
            check_length(&replacer, max_length, context)?;
            Some(property_list(&list, context)?)
        }
        _ => None,
    };
    let user = if replacer.is_callable() {
        replacer
    } else {
        JsValue::undefined()
    };
    let keys_value: JsValue = match keys {
        Some(keys) => boa_engine::object::builtins::JsArray::from_iter(keys, context).into(),
        None => JsValue::undefined(),
    };
    let ours = NativeFunction::from_copy_closure_with_captures(
        move |holder, args, (user, keys), context| {
            json_step(holder, args, user, keys, max_length, max_nesting, context)
        },
        (user, keys_value),
    );
    let ours = FunctionObjectBuilder::new(context.realm(), ours).build();
    if let Some(nesting) = context.get_data::<Nesting>() {
        nesting
            .json
            .borrow_mut()
            .push(std::collections::HashMap::new());
    }
    let result = original.call(&JsValue::undefined(), &[value, ours.into(), space], context);
    if let Some(nesting) = context.get_data::<Nesting>() {
        nesting.json.borrow_mut().pop();
    }
    result
}

/// The keys of a property-list replacer, as `JSON.stringify` reads them: strings, and numbers
/// and String or Number objects made strings, each once, in order.
fn property_list(list: &JsObject, context: &mut Context) -> JsResult<Vec<JsValue>> {
    let length = list
        .get(js_string!("length"), context)?
        .to_length(context)?;
    let mut keys: Vec<JsValue> = Vec::new();
    for index in 0..length {
        let item = list.get(index, context)?;
        let usable = item.is_string()
            || item.is_number()
            || item
                .as_object()
                .is_some_and(|o| o.is::<JsString>() || o.is::<f64>());
        if !usable {
            continue;
        }
        let key = JsValue::new(item.to_string(context)?);
        if !keys.iter().any(|k| k.strict_equals(&key)) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// One step of the guarded `JSON.stringify`: the code's replacer first, then the checks, then
/// the property list.
fn json_step(
    holder: &JsValue,
    args: &[JsValue],
    user: &JsValue,
    keys: &JsValue,
    max_length: u64,
    max_nesting: usize,
    context: &mut Context,
) -> JsResult<JsValue> {
    let mut value = args.get(1).cloned().unwrap_or_default();
    if let Some(user) = user.as_callable() {
        value = user.call(holder, args, context)?;
    }
    let Some(object) = value.as_object() else {
        return Ok(value);
    };
    if value.is_callable() {
        return Ok(value);
    }
    check_length(&value, max_length, context)?;
    let depth = match (context.get_data::<Nesting>(), holder.as_object()) {
        (Some(nesting), Some(holder)) => nesting
            .json
            .borrow()
            .last()
            .and_then(|depths| depths.get(&holder).copied())
            .unwrap_or(0),
        _ => 0,
    } + 1;
    if depth > max_nesting {
        return Err(too_deep(max_nesting));
    }
    let object = match keys.as_object() {
        Some(keys) if !object.is_array() => only_keys(&object, &keys, context)?,
        _ => object,
    };
    if let Some(nesting) = context.get_data::<Nesting>()
        && let Some(depths) = nesting.json.borrow_mut().last_mut()
    {
        depths.insert(object.clone(), depth);
    }
    Ok(object.into())
}

/// A plain object with only `keys` of `object`, in their order (the undefined ones left out).
fn only_keys(object: &JsObject, keys: &JsObject, context: &mut Context) -> JsResult<JsObject> {
    let picked = JsObject::with_object_proto(context.intrinsics());
    let length = keys
        .get(js_string!("length"), context)?
        .to_length(context)?;
    for index in 0..length {
        let key = keys.get(index, context)?.to_property_key(context)?;
        let value = object.get(key.clone(), context)?;
        if !value.is_undefined() {
            picked.create_data_property_or_throw(key, value, context)?;
        }
    }
    Ok(picked)
}

/// Replaces `repeat`, `padStart` and `padEnd` on `String.prototype` with versions that throw a
/// RangeError rather than make a string longer than `max`. The originals stay reachable only
/// from Rust.
fn cap_string_builders(context: &mut Context, max: usize) -> JsResult<()> {
    let prototype = context.intrinsics().constructors().string().prototype();
    for builder in [Builder::Repeat, Builder::PadStart, Builder::PadEnd] {
        let name = JsString::from(builder.name());
        let Some(original) = prototype.get(name.clone(), context)?.as_object() else {
            continue;
        };
        let native = NativeFunction::from_copy_closure_with_captures(
            move |this, args, original, context| {
                call_capped(this, args, original, builder, max, context)
            },
            original,
        );
        let function = FunctionObjectBuilder::new(context.realm(), native)
            .name(name.clone())
            .length(1)
            .build();
        prototype.define_property_or_throw(
            name,
            PropertyDescriptor::builder()
                .value(function)
                .writable(true)
                .enumerable(false)
                .configurable(true),
            context,
        )?;
    }
    Ok(())
}

/// A capped built-in: converts its arguments as the original would, refuses a result longer
/// than the cap, and otherwise calls the original with the converted values.
fn call_capped(
    this: &JsValue,
    args: &[JsValue],
    original: &JsObject,
    builder: Builder,
    max: usize,
    context: &mut Context,
) -> JsResult<JsValue> {
    let name = builder.name();
    if this.is_null_or_undefined() {
        return Err(JsNativeError::typ()
            .with_message(format!(
                "String.prototype.{name} called on null or undefined"
            ))
            .into());
    }
    let text = this.to_string(context)?;
    let first = args.first().cloned().unwrap_or_default();
    let (length, converted) = match builder {
        Builder::Repeat => {
            let count = first.to_number(context)?;
            let count = if count.is_nan() { 0.0 } else { count.trunc() };
            ((text.len() as f64) * count, vec![JsValue::new(count)])
        }
        Builder::PadStart | Builder::PadEnd => {
            let target = first.to_length(context)?;
            let fill = match args.get(1) {
                Some(fill) if !fill.is_undefined() => fill.to_string(context)?,
                _ => js_string!(" "),
            };
            // An empty fill, or a target no longer than the string, gives the string back.
            let length = if fill.is_empty() { 0.0 } else { target as f64 };
            (length, vec![JsValue::new(target), JsValue::new(fill)])
        }
    };
    if length > max as f64 {
        return Err(JsNativeError::range()
            .with_message(format!(
                "String.prototype.{name} would make a string of {length} characters; a code condition may make at most {}",
                max
            ))
            .into());
    }
    original.call(&JsValue::new(text), &converted, context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    /// Wix's own example, verbatim.
    const BIRTHDAY: &str = "/**\n * @param {Payload} payload - Automation payload with trigger and action data.\n * @returns {boolean} whether the method will continue with then or else branch.\n */\nexport default function (payload) {\n  const b = payload.contact?.birthdate;\n  if (!b) return false;\n  const d = new Date(b), n = new Date();\n  return d.getMonth() === n.getMonth() && d.getDate() === n.getDate();\n}";

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("a valid test date")
    }

    fn now() -> DateTime<Utc> {
        at(2026, 3, 14, 10)
    }

    fn go(code: &str, payload: Value) -> Result<bool, CodeError> {
        run(code, &payload, now(), &CodeLimits::default())
    }

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn birthday_today_and_not_today_follow_the_given_clock() {
        let full = json!({
            "contact": { "birthdate": "1990-03-14", "email": "a@b.com" },
            "orderId": "o-1"
        });
        let declared = declared_paths(&["{{var(\"contact.birthdate\")}}".to_string()]);
        let payload = hydrate(&full, &declared);
        let limits = CodeLimits::default();
        assert_eq!(
            run(BIRTHDAY, &payload, at(2026, 3, 14, 10), &limits),
            Ok(true)
        );
        // Late in the evening of the same day (UTC) it is still the birthday.
        assert_eq!(
            run(BIRTHDAY, &payload, at(2026, 3, 14, 23), &limits),
            Ok(true)
        );
        assert_eq!(
            run(BIRTHDAY, &payload, at(2026, 3, 15, 0), &limits),
            Ok(false)
        );
        assert_eq!(
            run(BIRTHDAY, &payload, at(2031, 7, 1, 12), &limits),
            Ok(false)
        );
        // Undeclared: the code sees no contact and says false.
        let bare = hydrate(&full, &[]);
        assert_eq!(
            run(BIRTHDAY, &bare, at(2026, 3, 14, 10), &limits),
            Ok(false)
        );
    }

    #[test]
    fn date_now_and_new_date_read_the_given_time() {
        let code = "export default () => Date.now() === 1773482400000 \
                    && new Date().getTime() === Date.now() \
                    && new Date().toISOString() === '2026-03-14T10:00:00.000Z' \
                    && new Date(0).toISOString() === '1970-01-01T00:00:00.000Z' \
                    && new Date(2020, 0, 1).getTime() === Date.UTC(2020, 0, 1)";
        assert_eq!(go(code, json!({})), Ok(true));
    }

    #[test]
    fn the_three_export_forms_work() {
        let payload = json!({ "n": 3 });
        for code in [
            "export default function (payload) { return payload.n > 2; }",
            "export default function named(payload) { return payload.n > 2; }",
            "export default (payload) => payload.n > 2",
            "export default payload => { return payload.n > 2 }",
            "const f = (p) => p.n > 2;\nexport default f;",
            "function g(p) { return p.n > 2 }\nexport { g as default };",
        ] {
            assert_eq!(go(code, payload.clone()), Ok(true), "{code}");
        }
    }

    #[test]
    fn hydrate_copies_only_declared_paths() {
        let full = json!({
            "orderId": "o-1",
            "total": 12.5,
            "contact": { "email": "a@b.com", "name": { "first": "Ann", "last": "Lee" } },
            "createTask-1": { "taskId": "t-9", "secret": "no" },
            "setVariable": { "abc": 1, "other-key": "x", "hidden": true },
            "items": [{ "sku": "A" }, { "sku": "B" }],
            "field-with-hyphens": "h"
        });
        let declared = paths(&[
            "contact.name.first",
            "createTask-1.taskId",
            "setVariable.abc",
            "setVariable.other-key",
            "items.sku",
            "field-with-hyphens",
            "missing.field",
            "contact.phone",
        ]);
        assert_eq!(
            hydrate(&full, &declared),
            json!({
                "contact": { "name": { "first": "Ann" } },
                "createTask-1": { "taskId": "t-9" },
                "setVariable": { "abc": 1, "other-key": "x" },
                "items": [{ "sku": "A" }, { "sku": "B" }],
                "field-with-hyphens": "h"
            })
        );
        // A whole object declared, and a field of it: the whole object.
        let both = paths(&["contact.email", "contact", "contact.name.first"]);
        assert_eq!(hydrate(&full, &both)["contact"], full["contact"]);
        // A path through a scalar, an empty segment: nothing.
        assert_eq!(
            hydrate(&full, &paths(&["orderId.x", "a..b", ""])),
            json!({})
        );
        assert_eq!(hydrate(&json!(null), &paths(&["a"])), json!({}));
    }

    #[test]
    fn the_code_reads_hydrated_fields_and_not_the_others() {
        let full = json!({
            "orderId": "o-1",
            "contact": { "email": "a@b.com" },
            "createTask-1": { "taskId": "t-9" },
            "setVariable": { "my-key": 5 },
            "items": [1, 2, 3]
        });
        let payload = hydrate(
            &full,
            &declared_paths(&[
                "{{var(\"contact.email\")}}".to_string(),
                "{{var(\"createTask-1.taskId\")}}".to_string(),
                "{{var(\"setVariable.my-key\")}}".to_string(),
                "{{var(\"items\")}}".to_string(),
            ]),
        );
        let code = "export default function (payload) {\n\
                    return payload.contact.email === 'a@b.com'\n\
                    && payload['createTask-1'].taskId === 't-9'\n\
                    && payload.setVariable['my-key'] === 5\n\
                    && payload.items.length === 3\n\
                    && payload.orderId === undefined;\n}";
        assert_eq!(go(code, payload), Ok(true));
    }

    #[test]
    fn declared_paths_reads_var_expressions() {
        let expressions = vec![
            "{{var(\"contact.birthdate\")}}".to_string(),
            "Hi {{var(\"contact.name.first\")}} {{var(\"contact.birthdate\")}}".to_string(),
            "{{concat(var(\"a\");var(\"b-1.c\"))}}".to_string(),
            "{{var(\"\")}} {{var(\"unclosed".to_string(),
            "{{true}}".to_string(),
        ];
        assert_eq!(
            declared_paths(&expressions),
            paths(&["contact.birthdate", "contact.name.first", "a", "b-1.c"])
        );
    }

    #[test]
    fn too_long_code_is_refused_before_it_runs() {
        let code = format!("export default () => true; // {}", "x".repeat(1000));
        let err = go(&code, json!({})).expect_err("too long");
        assert_eq!(
            err,
            CodeError::TooLong {
                chars: code.len(),
                max: 1000
            }
        );
        // Counted as JavaScript counts: one UTF-16 unit for é, two for an emoji.
        let fits = format!("export default () => true; //{}", "é".repeat(970));
        assert_eq!(go(&fits, json!({})), Ok(true));
        let over = format!("export default () => true; //{}", "😀".repeat(486));
        assert!(matches!(
            go(&over, json!({})),
            Err(CodeError::TooLong { .. })
        ));
    }

    #[test]
    fn each_error_has_its_variant() {
        let syntax = go("export default function ( {", json!({}));
        assert!(matches!(syntax, Err(CodeError::Syntax(_))), "{syntax:?}");
        assert_eq!(
            go(
                "import fs from 'fs';\nexport default () => true;",
                json!({})
            ),
            Err(CodeError::Import("fs".to_string()))
        );
        assert_eq!(
            go("export const x = () => true;", json!({})),
            Err(CodeError::NoDefaultExport)
        );
        assert_eq!(go("", json!({})), Err(CodeError::NoDefaultExport));
        assert_eq!(
            go("export default 42;", json!({})),
            Err(CodeError::DefaultNotFunction("the number 42".to_string()))
        );
        let threw = go("export default (p) => p.a.b;", json!({}));
        assert!(
            matches!(&threw, Err(CodeError::Threw(m)) if m.starts_with("TypeError")),
            "{threw:?}"
        );
        assert_eq!(
            go(
                "export default () => { throw new Error('no luck') }",
                json!({})
            ),
            Err(CodeError::Threw(
                "Error: no luck (line 1, column 30)".to_string()
            ))
        );
        assert_eq!(
            go("export default () => { throw 'plain' }", json!({})),
            Err(CodeError::Threw("plain".to_string()))
        );
        assert_eq!(
            go(
                "throw new RangeError('at the top');\nexport default () => true",
                json!({})
            ),
            Err(CodeError::Threw(
                "RangeError: at the top (line 1, column 7)".to_string()
            ))
        );
        assert_eq!(
            go("export default () => 'yes'", json!({})),
            Err(CodeError::NotBoolean("the string \"yes\"".to_string()))
        );
        assert_eq!(
            go("export default () => 1", json!({})),
            Err(CodeError::NotBoolean("the number 1".to_string()))
        );
        assert_eq!(
            go("export default () => {}", json!({})),
            Err(CodeError::NotBoolean("undefined".to_string()))
        );
        assert_eq!(
            go(
                "export default async function () { return true }",
                json!({})
            ),
            Err(CodeError::NotBoolean(
                "a promise (the function must not be async)".to_string()
            ))
        );
        assert_eq!(
            go("export default () => new Boolean(true)", json!({})),
            Err(CodeError::NotBoolean("an object".to_string()))
        );
    }

    #[test]
    fn each_error_reads_as_one_sentence() {
        let errors = [
            CodeError::TooLong {
                chars: 1200,
                max: 1000,
            },
            CodeError::Syntax("unexpected token".to_string()),
            CodeError::Import("fs".to_string()),
            CodeError::NoDefaultExport,
            CodeError::DefaultNotFunction("the number 42".to_string()),
            CodeError::Threw("TypeError: x is undefined".to_string()),
            CodeError::NotBoolean("the string \"yes\"".to_string()),
            CodeError::TimeLimit(Duration::from_secs(1)),
            CodeError::ResourceLimit("its calls nested more than 256 deep".to_string()),
            CodeError::Engine("it panicked".to_string()),
        ];
        for error in errors {
            let text = error.to_string();
            assert!(text.ends_with('.') && !text.contains('\n'), "{text}");
            assert!(text.starts_with(char::is_uppercase), "{text}");
        }
    }

    /// Runs `code` and says how long it took.
    fn timed(code: &str, limits: &CodeLimits) -> (Result<bool, CodeError>, Duration) {
        let started = Instant::now();
        let result = run(code, &json!({}), now(), limits);
        (result, started.elapsed())
    }

    #[test]
    fn runaway_code_stops_within_a_second_on_its_own() {
        // A wall long enough that only the engine's own limits can stop these.
        let limits = CodeLimits {
            wall: Duration::from_secs(30),
            ..CodeLimits::default()
        };
        let cases = [
            ("export default () => { while (true) {} }", "loops"),
            ("export default () => { for (;;) {} }", "loops"),
            ("export default () => { do {} while (true) }", "loops"),
            ("export default function f(p) { return f(p) }", "nested"),
            (
                "const f = (n) => f(n + 1) + 1;\nexport default () => f(0) > 0",
                "nested",
            ),
            ("while (true) {}\nexport default () => true", "loops"),
            (
                "function inner() { for (let i = 0; i < 90000; i++) {} }\n\
                 export default () => { for (let j = 0; j < 90000; j++) inner(); return true }",
                "instructions",
            ),
            (
                "export default () => { [...Array(90000).keys()].forEach(() => { for (let i = 0; i < 90000; i++) {} }); return true }",
                "instructions",
            ),
            (
                "export default () => { try { while (true) {} } catch (e) { return true } }",
                "loops",
            ),
        ];
        for (code, says) in cases {
            let (result, took) = timed(code, &limits);
            match result {
                Err(CodeError::ResourceLimit(m)) => assert!(m.contains(says), "{code}: {m}"),
                other => panic!("{code}: {other:?}"),
            }
            assert!(took < Duration::from_secs(3), "{code}: took {took:?}");
        }
    }

    #[test]
    fn the_wall_limit_answers_on_time_and_the_worker_ends_on_its_own() {
        let limits = CodeLimits {
            wall: Duration::from_millis(20),
            ..CodeLimits::default()
        };
        let code = "function inner() { for (let i = 0; i < 90000; i++) {} }\n\
                    export default () => { for (;;) inner() }";
        let started = Instant::now();
        let (answer, worker) = start(code, &json!({}), now(), &limits).expect("started");
        assert_eq!(
            wait(&answer, limits.wall),
            Err(CodeError::TimeLimit(limits.wall))
        );
        assert!(started.elapsed() < Duration::from_millis(500));
        // The instruction budget ends the thread without anyone stopping it.
        worker.join().expect("the worker ends without panicking");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(
            answer.recv(),
            Err(_) | Ok(Err(CodeError::ResourceLimit(_)))
        ));
    }

    #[test]
    fn a_long_built_in_call_gets_the_time_limit_and_its_thread_ends_later() {
        // Exponential backtracking inside one RegExp call: no instruction counter sees it.
        let limits = CodeLimits {
            wall: Duration::from_millis(50),
            ..CodeLimits::default()
        };
        let code = "export default () => /(a*)*b/.test('a'.repeat(22))";
        let started = Instant::now();
        let (answer, worker) = start(code, &json!({}), now(), &limits).expect("started");
        assert_eq!(
            wait(&answer, limits.wall),
            Err(CodeError::TimeLimit(limits.wall))
        );
        assert!(started.elapsed() < Duration::from_millis(500));
        worker
            .join()
            .expect("the worker ends once the built-in returns");
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn every_run_starts_fresh() {
        let dirty = "globalThis.leak = 1; Object.prototype.polluted = true; \
                     Array.prototype.push = null; Date.now = () => 0;\n\
                     export default () => true";
        assert_eq!(go(dirty, json!({})), Ok(true));
        let clean = "export default () => typeof leak === 'undefined' \
                     && ({}).polluted === undefined \
                     && typeof [].push === 'function' && Date.now() > 0";
        assert_eq!(go(clean, json!({})), Ok(true));
    }

    #[test]
    fn nothing_of_the_host_is_reachable() {
        let code = "export default () => [typeof require, typeof process, typeof fetch, \
                    typeof console, typeof setTimeout, typeof XMLHttpRequest, typeof Deno, \
                    typeof module, typeof exports, typeof __dirname, typeof WebAssembly] \
                    .every((t) => t === 'undefined')";
        assert_eq!(go(code, json!({})), Ok(true));
        // A dynamic import gives back a promise (and would be refused).
        assert!(matches!(
            go("export default () => import('fs')", json!({})),
            Err(CodeError::NotBoolean(_))
        ));
        assert_eq!(
            go(
                "import { readFileSync } from 'node:fs';\nexport default () => true",
                json!({})
            ),
            Err(CodeError::Import("node:fs".to_string()))
        );
        assert_eq!(
            go(
                "export * from 'http';\nexport default () => true",
                json!({})
            ),
            Err(CodeError::Import("http".to_string()))
        );
    }

    #[test]
    fn string_and_buffer_builders_are_capped() {
        let cases = [
            "export default () => 'x'.repeat(2 ** 28).length > 0",
            "export default () => ''.padStart(2 ** 30, 'ab').length > 0",
            "export default () => 'a'.padEnd(2 ** 31).length > 0",
            "export default () => new ArrayBuffer(2 ** 30).byteLength > 0",
            "export default () => new Float64Array(2 ** 28).length > 0",
            "export default () => eval('1+'.repeat(600) + '1') > 0",
            "export default () => new Function('return ' + '1+'.repeat(600) + '1')() > 0",
        ];
        for code in cases {
            let (result, took) = timed(code, &CodeLimits::default());
            assert!(
                matches!(&result, Err(CodeError::Threw(m)) if m.starts_with("RangeError") || m.starts_with("EvalError")),
                "{code}: {result:?}"
            );
            assert!(took < Duration::from_secs(1), "{code}: {took:?}");
        }
        // Below the caps they behave as usual.
        let fine = "export default () => 'ab'.repeat(3) === 'ababab' \
                    && '5'.padStart(3, '0') === '005' && 'a'.padEnd(3) === 'a  ' \
                    && ''.padStart(2 ** 30, '') === '' && 'x'.repeat(0) === '' \
                    && eval('1 + 1') === 2 && new Function('a', 'return a * 2')(4) === 8 \
                    && new Uint8Array(1024).length === 1024 \
                    && String.prototype.repeat.name === 'repeat' \
                    && String.prototype.repeat.call(7, 2) === '77'";
        assert_eq!(go(fine, json!({})), Ok(true));
        assert!(matches!(
            go("export default () => 'x'.repeat(-1)", json!({})),
            Err(CodeError::Threw(m)) if m.starts_with("RangeError")
        ));
        assert!(matches!(
            go("export default () => String.prototype.repeat.call(null, 2)", json!({})),
            Err(CodeError::Threw(m)) if m.starts_with("TypeError")
        ));
    }

    #[test]
    fn huge_array_likes_are_refused_before_the_engine_reserves_memory_for_them() {
        // Each of these aborted the process (a failed 32 to 96 GiB allocation) or looped over
        // billions of indexes before the guards.
        let cases = [
            "export default () => Array(2 ** 32 - 1).join('').length > 0",
            "export default () => String(Array(2 ** 32 - 1)).length > 0",
            "export default () => JSON.stringify(Array(2 ** 32 - 1)).length > 0",
            "export default () => JSON.stringify({ a: [Array(2 ** 32 - 1)] }).length > 0",
            "export default () => JSON.stringify({ a: Array(2 ** 32 - 1) }, ['a']).length > 0",
            "export default () => JSON.stringify({ a: 1 }, () => Array(2 ** 32 - 1)).length > 0",
            "export default () => Array(2 ** 32 - 1).sort() && true",
            "export default () => Array(2 ** 32 - 1).fill(0) && true",
            "export default () => Array(2 ** 32 - 1).toReversed() && true",
            "export default () => [].concat(Array(2 ** 32 - 1)) && true",
            "export default () => [...Array(2 ** 30)].length > 0",
            "export default () => Array.from({ length: 2 ** 30 }).length > 0",
            "export default () => Math.max.apply(null, { length: 2 ** 32 - 1 }) && true",
            "export default () => Reflect.apply(Math.max, null, { length: 2 ** 32 - 1 }) && true",
            "export default () => Reflect.construct(Array, { length: 2 ** 32 - 1 }) && true",
            "export default () => Array.prototype.join.call({ length: 2 ** 32 - 1 }) && true",
        ];
        for code in cases {
            let (result, took) = timed(code, &CodeLimits::default());
            assert!(
                matches!(&result, Err(CodeError::Threw(m)) if m.starts_with("RangeError: a code condition works on arrays")),
                "{code}: {result:?}"
            );
            assert!(took < Duration::from_secs(1), "{code}: {took:?}");
        }
        assert_eq!(
            go("export default () => typeof Proxy", json!({})),
            Err(CodeError::NotBoolean(
                "the string \"undefined\"".to_string()
            ))
        );
    }

    #[test]
    fn deeply_nested_structures_are_refused_before_the_native_stack_overflows() {
        // 180 000 levels overflowed the worker's stack in join, 270 000 in JSON.stringify.
        let build = "function g(a) { for (let i = 0; i < 90000; i++) a = [a]; return a }\n\
                     const deep = () => { let a = []; for (let j = 0; j < 3; j++) a = g(a); return a };\n";
        for tail in [
            "export default () => String(deep()) === ''",
            "export default () => deep().join() === ''",
            "export default () => `${deep()}` === ''",
            "export default () => deep().toLocaleString() === ''",
            "export default () => JSON.stringify(deep()).length > 0",
            "export default () => JSON.stringify({ a: deep() }, ['a']).length > 0",
            "export default () => { let f = () => true; for (let i = 0; i < 90000; i++) f = f.bind(null); return f() }",
            "export default () => { let f = () => true; for (let i = 0; i < 90000; i++) f = f.bind(null, 1); return f() }",
            "export default () => (() => true).bind(null, ...Array(5000)) && true",
        ] {
            let code = format!("{build}{tail}");
            // Building the structure takes a while on a busy machine; only the guard is tested.
            let roomy = CodeLimits {
                wall: Duration::from_secs(20),
                ..CodeLimits::default()
            };
            let (result, took) = timed(&code, &roomy);
            assert!(
                matches!(&result, Err(CodeError::Threw(m)) if m.starts_with("RangeError: a code condition")),
                "{tail}: {result:?}"
            );
            assert!(took < Duration::from_secs(20), "{tail}: {took:?}");
        }
    }

    #[test]
    fn the_guarded_built_ins_still_behave_as_usual() {
        let code = "export default () => {\n\
            const a = [3, 1, 2];\n\
            const checks = [\n\
              a.join('-') === '3-1-2', String([1, [2, [3]]]) === '1,2,3',\n\
              [...a].sort().join() === '1,2,3', a.toSorted()[0] === 1, a[0] === 3,\n\
              Array.from('ab').length === 2, Array.from({ length: 2 }, (_, i) => i)[1] === 1,\n\
              Math.max.apply(null, a) === 3, Reflect.apply(Math.min, null, a) === 1,\n\
              [1].concat([2], 3).length === 3, [...a.keys()].length === 3,\n\
              Array.prototype[Symbol.iterator] === Array.prototype.values,\n\
              Array.prototype.join.name === 'join', Array.prototype.join.length === 1,\n\
              Object.keys(Array.prototype).length === 0,\n\
              JSON.stringify({ b: [1, { c: 'x' }], d: undefined }) === '{\"b\":[1,{\"c\":\"x\"}]}',\n\
              JSON.stringify({ a: 1, b: 2, c: { a: 3, b: 4 } }, ['b', 'a']) === '{\"b\":2,\"a\":1}',\n\
              JSON.stringify({ a: 1, b: 'x' }, (k, v) => typeof v === 'number' ? v * 2 : v) === '{\"a\":2,\"b\":\"x\"}',\n\
              JSON.stringify([1], null, 2) === '[\\n  1\\n]',\n\
              JSON.stringify({ toJSON() { return [7] } }) === '[7]', JSON.stringify('s') === '\"s\"',\n\
              JSON.stringify(undefined) === undefined,\n\
              ((a, b, c) => a + b + c).bind(null, 1).bind(null, 2)(3) === 6,\n\
              ((a, b) => a).bind(null, 1).name === 'bound ',\n\
            ];\n\
            return checks.every(Boolean);\n\
        }";
        let roomy = CodeLimits {
            max_code_chars: 4000,
            ..CodeLimits::default()
        };
        assert_eq!(run(code, &json!({}), now(), &roomy), Ok(true));
        // A structure as deep as the limit allows still works.
        let deep = "export default () => { let a = []; for (let i = 0; i < 999; i++) a = [a]; \
                    return String(a) === '' && JSON.stringify(a).length === 2000 }";
        assert_eq!(go(deep, json!({})), Ok(true));
    }

    #[test]
    fn hostile_and_malformed_snippets_give_errors_not_panics() {
        let deep_array = format!(
            "export default () => {}{}",
            "[".repeat(480),
            "]".repeat(480)
        );
        let deep_parens = format!(
            "export default () => {}true{}",
            "(".repeat(480),
            ")".repeat(480)
        );
        let deep_blocks = format!(
            "export default () => {}{}",
            "{".repeat(480),
            "}".repeat(480)
        );
        let deep_unary = format!("export default () => {}true", "!".repeat(970));
        let deep_if = format!(
            "export default () => {{ {} return true }}",
            "if (1) ".repeat(130)
        );
        let snippets = [
            deep_array.as_str(),
            deep_parens.as_str(),
            deep_blocks.as_str(),
            deep_unary.as_str(),
            deep_if.as_str(),
            "export default",
            "export default function",
            "export default class {}",
            "export default function* (p) { yield true }",
            "export default () => Symbol('s')",
            "export default () => 10n",
            "export default (p) => p",
            "export default () => { 'unterminated }",
            "export default () => `${`${`${1}`}`}` === '1'",
            "\u{0}\u{feff}export default () => true",
            "export default () => true; export default () => false;",
            "export default () => { const o = { get x() { return this.x } }; return o.x }",
            "export default () => { const o = {}; o.toString = () => String(o); return String(o) === '' }",
            "export default () => { let o = {}; for (let i = 0; i < 90000; i++) o = { o }; return JSON.stringify(o).length > 0 }",
            "export default () => { let a = []; for (let i = 0; i < 90000; i++) a = [a]; return String(a) === '' }",
            "export default () => JSON.parse('['.repeat(100000)) && true",
            "export default () => new RegExp('('.repeat(900) + ')'.repeat(900)).test('')",
            "export default () => { const p = new Proxy({}, { get: (t, k, r) => r[k] }); return p.x }",
            "export default () => { throw { toString() { while (true) {} } } }",
            "export default () => { throw Symbol('thrown') }",
            "export default () => { throw null }",
            "export default () => Array(2 ** 32 - 1).length > 0",
            "export default () => { 'use strict'; undeclared = 1; return true }",
            "export default () => { with ({}) {} }",
            "export default () => await 1",
            "await new Promise(() => {});\nexport default () => true",
            "export default () => { Promise.resolve().then(function f() { Promise.resolve().then(f) }); return true }",
            "export default () => import.meta.url === undefined",
            "export { nothing as default }",
            "import x from './x.js'; export default x",
        ];
        let limits = CodeLimits {
            wall: Duration::from_secs(10),
            ..CodeLimits::default()
        };
        for code in snippets {
            let (result, took) = timed(code, &limits);
            assert!(
                !matches!(
                    result,
                    Err(CodeError::Engine(_)) | Err(CodeError::TimeLimit(_))
                ),
                "{code}: {result:?}"
            );
            assert!(took < Duration::from_secs(3), "{code}: {took:?}");
        }
    }
}
