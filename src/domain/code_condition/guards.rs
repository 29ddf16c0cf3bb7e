//! The caps described on [`super::CodeLimits`], put on the built-ins before the code runs.

use std::cell::RefCell;

use super::CodeLimits;
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction,
    js_string,
};

/// The string built-ins that can make a huge string in one call.
#[derive(Clone, Copy, Debug)]
pub(super) enum Builder {
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
pub(super) fn install_guards(context: &mut Context, limits: &CodeLimits) -> JsResult<()> {
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
pub(super) enum Guard {
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
pub(super) struct Nesting {
    joins: std::cell::Cell<usize>,
    json: RefCell<Vec<std::collections::HashMap<JsObject, usize>>>,
    binds: RefCell<std::collections::HashMap<JsObject, (usize, usize)>>,
}

/// A native function that checks `guard`, then calls `original` with the same `this` and
/// arguments, under the original's name and length.
pub(super) fn guarded(
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
pub(super) fn replace(
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
pub(super) fn check_length(value: &JsValue, max: u64, context: &mut Context) -> JsResult<()> {
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
pub(super) fn too_deep(max: usize) -> JsError {
    JsNativeError::range()
        .with_message(format!(
            "a code condition works on structures nested at most {max} deep"
        ))
        .into()
}

/// `join` with a count of the `join`s under way, refused past `max`.
pub(super) fn nested_join(
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
pub(super) fn guarded_bind(
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
pub(super) fn guarded_stringify(
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
pub(super) fn property_list(list: &JsObject, context: &mut Context) -> JsResult<Vec<JsValue>> {
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
pub(super) fn json_step(
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
pub(super) fn only_keys(
    object: &JsObject,
    keys: &JsObject,
    context: &mut Context,
) -> JsResult<JsObject> {
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
pub(super) fn cap_string_builders(context: &mut Context, max: usize) -> JsResult<()> {
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
pub(super) fn call_capped(
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
