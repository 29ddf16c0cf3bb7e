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

use std::fmt;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use boa_engine::builtins::promise::PromiseState;
use boa_engine::context::ContextBuilder;
use boa_engine::vm::RuntimeLimits;
use boa_engine::{
    Context, EngineError, JsError, JsNativeError, JsObject, JsValue, Module, RuntimeLimitError,
    Source, js_string,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

mod guards;
mod sandbox;

use guards::install_guards;
use sandbox::{NoImports, SandboxHooks, SimulatedClock};

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

#[cfg(test)]
mod tests;
