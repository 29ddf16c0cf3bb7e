//! The sandbox's tests: Wix's example, hydration, each error, the limits, fresh contexts.

use super::*;
use chrono::TimeZone;
use serde_json::json;
use std::time::Instant;

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
