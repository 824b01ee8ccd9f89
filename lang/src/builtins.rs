//! The builtin functions of the prelude as the checker sees them: name, parameters, arity,
//! keyword options and documentation. The VM implements them; the checker, the REPL's
//! completion and the language server's hover read this table.

/// One builtin function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// Its name in the prelude.
    pub name: &'static str,
    /// The parameter list as shown to people, e.g. `[coll]` or `[f init? coll]`.
    pub params: &'static str,
    /// Fewest positional arguments.
    pub min: usize,
    /// Most positional arguments; `None` for any number.
    pub max: Option<usize>,
    /// Keyword options accepted after the positional arguments (without the colon).
    pub options: &'static [&'static str],
    /// One or two sentences of documentation.
    pub doc: &'static str,
}

const fn f(
    name: &'static str,
    params: &'static str,
    min: usize,
    max: Option<usize>,
    doc: &'static str,
) -> Builtin {
    Builtin {
        name,
        params,
        min,
        max,
        options: &[],
        doc,
    }
}

const fn opts(b: Builtin, options: &'static [&'static str]) -> Builtin {
    Builtin { options, ..b }
}

const ANY: Option<usize> = None;
const fn n(k: usize) -> Option<usize> {
    Some(k)
}

/// Every builtin function, sorted by name.
pub const BUILTINS: &[Builtin] = &[
    f(
        "%duration-ms",
        "[duration]",
        1,
        n(1),
        "Internal: a duration (\"30s\", \"5m\" or milliseconds) in milliseconds.",
    ),
    f(
        "%isolated",
        "[thunk]",
        1,
        n(1),
        "Internal: `(isolated body…)` calls it with `(fn [] body…)`.",
    ),
    f(
        "%iterate",
        "[kind f list acc waiting result]",
        6,
        n(6),
        "Internal: `map`, `filter` or `reduce` (kind `:map`, `:filter`, `:fold`) of `f` over a list, run by the VM.",
    ),
    f(
        "%sort-by-key",
        "[pairs]",
        1,
        n(1),
        "Internal: the values of `[key value]` pairs, stably sorted by key.",
    ),
    f(
        "%to-list",
        "[coll who?]",
        1,
        n(2),
        "Internal: the elements of a collection or the characters of a string, as a list; `who` names the function asking, for the error when `coll` is none.",
    ),
    f(
        "*",
        "[x & more]",
        0,
        ANY,
        "Multiplies numbers; `(*)` is 1. Integer overflow is an error.",
    ),
    f(
        "+",
        "[x & more]",
        0,
        ANY,
        "Adds numbers; `(+)` is 0. Integer overflow is an error.",
    ),
    f(
        "-",
        "[x & more]",
        1,
        ANY,
        "Subtracts the rest from the first number, or negates a single one.",
    ),
    f(
        "/",
        "[x & more]",
        1,
        ANY,
        "Divides the first number by the rest. Two integers that divide exactly give an integer, otherwise a float; dividing an integer by zero is an error.",
    ),
    f(
        "<",
        "[x y & more]",
        1,
        ANY,
        "True when the numbers are strictly increasing.",
    ),
    f(
        "<=",
        "[x y & more]",
        1,
        ANY,
        "True when the numbers are non-decreasing.",
    ),
    f(
        "=",
        "[x y & more]",
        1,
        ANY,
        "Structural equality: `(= [1 2] '(1 2))` is true, `(= 1 1.0)` is false.",
    ),
    f(
        "==",
        "[x y & more]",
        1,
        ANY,
        "Numeric equality: `(== 1 1.0)` is true.",
    ),
    f(
        ">",
        "[x y & more]",
        1,
        ANY,
        "True when the numbers are strictly decreasing.",
    ),
    f(
        ">=",
        "[x y & more]",
        1,
        ANY,
        "True when the numbers are non-increasing.",
    ),
    f("abs", "[x]", 1, n(1), "The absolute value of a number."),
    f(
        "adopt",
        "[attempt]",
        1,
        n(1),
        "Applies the changes of an attempt (the value of `isolated`) to the run's workspace, as a checkpointed turn; a file changed there since the attempt began is a conflict, an error that names it. Returns the files changed.",
    ),
    f(
        "apply",
        "[f & args coll]",
        2,
        ANY,
        "Calls `f` with `args` followed by the elements of `coll`.",
    ),
    opts(
        f(
            "ask-user",
            "[question & options]",
            1,
            n(1),
            "Asks the person running the workflow and returns the answer text. The run waits for a person until it is answered. `:options [..]` takes only those answers; with `:multi true` the person chooses one or more of them (separated by commas) and the result is a vector of the options chosen, in the order offered.",
        ),
        &["options", "multi"],
    ),
    f(
        "assert",
        "[value]",
        1,
        n(1),
        "Publishes `value` in the dataspace and returns its handle. It stays until retracted, or until the facet that made it stops.",
    ),
    f(
        "assoc",
        "[map key value & kvs]",
        3,
        ANY,
        "A map (or vector, by index) with the keys set to the values.",
    ),
    f(
        "attempt-diff",
        "[attempt]",
        1,
        n(1),
        "The changes of an attempt (the value of `isolated`) as a unified diff against the files it started from.",
    ),
    f(
        "attempt-files",
        "[attempt]",
        1,
        n(1),
        "The paths an attempt (the value of `isolated`) changed, sorted: created, modified or deleted.",
    ),
    f(
        "attempt-value",
        "[attempt]",
        1,
        n(1),
        "The value the body of an attempt (the value of `isolated`) returned.",
    ),
    f("boolean?", "[x]", 1, n(1), "True for `true` and `false`."),
    f(
        "concat",
        "[& colls]",
        0,
        ANY,
        "A list of the elements of every collection, in order.",
    ),
    f(
        "conj",
        "[coll & xs]",
        1,
        ANY,
        "Adds elements to a collection: at the end of a vector, at the front of a list, as `[k v]` pairs to a map.",
    ),
    f(
        "cons",
        "[x coll]",
        2,
        n(2),
        "A list with `x` in front of the elements of `coll`.",
    ),
    f(
        "contains?",
        "[coll key]",
        2,
        n(2),
        "True when a map has `key`, or a vector has index `key`.",
    ),
    f(
        "conversation",
        "[role]",
        1,
        n(1),
        "The conversation of `role` on the run's current branch, oldest first: a vector of `{:from :user|:agent :text S}`. Each `prompt` to the role sees it and extends it.",
    ),
    f(
        "count",
        "[coll]",
        1,
        n(1),
        "The number of elements in a collection, or of characters in a string; `(count nil)` is 0.",
    ),
    f("dec", "[x]", 1, n(1), "`x` minus one."),
    f(
        "dissoc",
        "[map & keys]",
        1,
        ANY,
        "A map without the given keys.",
    ),
    f(
        "empty?",
        "[coll]",
        1,
        n(1),
        "True for an empty collection or string, and for nil.",
    ),
    f(
        "ends-with?",
        "[s suffix]",
        2,
        n(2),
        "True when string `s` ends with `suffix`.",
    ),
    f(
        "error",
        "[message data?]",
        1,
        n(2),
        "Makes the error record `<error :user message data>`; `(throw (error …))` raises it.",
    ),
    f("even?", "[n]", 1, n(1), "True for an even integer."),
    f(
        "field",
        "[record index]",
        2,
        n(2),
        "Field `index` (from 0) of a record.",
    ),
    f(
        "fields",
        "[record]",
        1,
        n(1),
        "The fields of a record, as a vector.",
    ),
    f(
        "filter",
        "[pred coll]",
        2,
        n(2),
        "A list of the elements of `coll` for which `pred` is truthy.",
    ),
    f(
        "first",
        "[coll]",
        1,
        n(1),
        "The first element, or nil when there is none.",
    ),
    f("float?", "[x]", 1, n(1), "True for a float."),
    f("fn?", "[x]", 1, n(1), "True for a function."),
    f(
        "forget",
        "[role]",
        1,
        n(1),
        "Empties the conversation of `role`: its next `prompt` starts afresh (a command-line agent in a new session).",
    ),
    f(
        "format",
        "[template & args]",
        1,
        ANY,
        "Fills each `{}` in `template` with the display form of the next argument: `(format \"{} and {}\" a b)`.",
    ),
    f(
        "gensym",
        "[prefix?]",
        0,
        n(1),
        "A fresh symbol that no program text can write, for use in macros.",
    ),
    f(
        "get",
        "[coll key default?]",
        2,
        n(3),
        "The value at `key` in a map, or index in a vector or string; `default` (or nil) when absent.",
    ),
    f(
        "hash-map",
        "[& kvs]",
        0,
        ANY,
        "A map of the given keys and values, in order.",
    ),
    f("inc", "[x]", 1, n(1), "`x` plus one."),
    f(
        "includes?",
        "[s part]",
        2,
        n(2),
        "True when string `s` contains `part`.",
    ),
    f("int?", "[x]", 1, n(1), "True for an integer."),
    f(
        "join",
        "[separator? coll]",
        1,
        n(2),
        "The display forms of the elements joined into one string, with `separator` between them.",
    ),
    f(
        "json-decode",
        "[text]",
        1,
        n(1),
        "Reads JSON text: objects become maps with string keys, arrays vectors, null nil.",
    ),
    f(
        "json-encode",
        "[value]",
        1,
        n(1),
        "Writes a value as JSON text. Maps need string or keyword keys.",
    ),
    f(
        "keys",
        "[map]",
        1,
        n(1),
        "The keys of a map, in insertion order.",
    ),
    f("keyword?", "[x]", 1, n(1), "True for a keyword."),
    f(
        "label",
        "[record]",
        1,
        n(1),
        "The label of a record, a symbol.",
    ),
    f("list", "[& xs]", 0, ANY, "A list of the arguments."),
    f(
        "list-files",
        "[dir]",
        1,
        n(1),
        "The names in a workspace directory, sorted. Needs the `workspace/read` capability.",
    ),
    f("list?", "[x]", 1, n(1), "True for a list."),
    f(
        "log",
        "[& xs]",
        0,
        ANY,
        "Writes the display forms of the arguments to the run's log (standard error, and the journal).",
    ),
    f("lower", "[s]", 1, n(1), "The string in lower case."),
    f(
        "map",
        "[f coll & colls]",
        2,
        ANY,
        "A list of `(f x)` for each element; with several collections, `f` takes one element of each and the shortest ends it.",
    ),
    f("map?", "[x]", 1, n(1), "True for a map."),
    f("max", "[x & more]", 1, ANY, "The largest of the numbers."),
    f("min", "[x & more]", 1, ANY, "The smallest of the numbers."),
    f(
        "mod",
        "[n d]",
        2,
        n(2),
        "The remainder of `n` divided by `d`, with the sign of `d` (Clojure's `mod`).",
    ),
    f("neg?", "[x]", 1, n(1), "True for a number below zero."),
    f("nil?", "[x]", 1, n(1), "True for nil."),
    f(
        "not",
        "[x]",
        1,
        n(1),
        "True for nil and false, false for everything else.",
    ),
    f(
        "now",
        "[]",
        0,
        n(0),
        "The current time in milliseconds since the Unix epoch. Recorded in the journal, so replay sees the same value.",
    ),
    f(
        "nth",
        "[coll index default?]",
        2,
        n(3),
        "The element at `index` (from 0); an error when out of range unless `default` is given.",
    ),
    f("number?", "[x]", 1, n(1), "True for an integer or a float."),
    f("odd?", "[n]", 1, n(1), "True for an odd integer."),
    f("pos?", "[x]", 1, n(1), "True for a number above zero."),
    f(
        "print",
        "[& xs]",
        0,
        ANY,
        "Writes the display forms of the arguments, separated by spaces, to standard output.",
    ),
    f("println", "[& xs]", 0, ANY, "Like `print`, then a newline."),
    opts(
        f(
            "prompt",
            "[role text & options]",
            2,
            n(2),
            "Sends `text` to the agent playing `role` and returns its reply. The agent sees the role's conversation so far, which the prompt extends; `:fresh true` asks outside it. With `:schema`, the reply is parsed as JSON and checked against the JSON Schema. Sugar for asserting `<agent-request role id text>` and awaiting `<agent-response id reply role …>`.",
        ),
        &["fresh", "schema", "timeout"],
    ),
    f(
        "quot",
        "[n d]",
        2,
        n(2),
        "Integer division truncated toward zero.",
    ),
    f(
        "random-int",
        "[n]",
        1,
        n(1),
        "A random integer from 0 below `n`. Recorded in the journal, so replay sees the same value.",
    ),
    f(
        "range",
        "[end | start end step?]",
        1,
        n(3),
        "A list of integers from `start` (default 0) up to but not including `end`, by `step` (default 1).",
    ),
    f(
        "read-file",
        "[path]",
        1,
        n(1),
        "The text of a file in the workspace. Needs the `workspace/read` capability.",
    ),
    f("record?", "[x]", 1, n(1), "True for a record."),
    f(
        "reduce",
        "[f init? coll]",
        2,
        n(3),
        "Combines the elements with `f` from the left, starting from `init` (or the first element).",
    ),
    f(
        "replace",
        "[s from to]",
        3,
        n(3),
        "String `s` with every occurrence of `from` replaced by `to`.",
    ),
    f(
        "rest",
        "[coll]",
        1,
        n(1),
        "A list of every element but the first; empty when there are none.",
    ),
    f(
        "retract",
        "[handle]",
        1,
        n(1),
        "Withdraws an assertion made with `assert`. An assertion made twice needs two retractions.",
    ),
    f(
        "reverse",
        "[coll]",
        1,
        n(1),
        "A list of the elements in reverse order.",
    ),
    f(
        "send!",
        "[value]",
        1,
        n(1),
        "Sends `value` as a message to the current observers of the dataspace; it is never stored.",
    ),
    opts(
        f(
            "shell",
            "[command & options]",
            1,
            n(1),
            "Runs a shell command and returns `{:exit N :stdout S :stderr S}`. Needs the `shell` capability.",
        ),
        &["cwd", "timeout", "env"],
    ),
    f(
        "sleep",
        "[duration]",
        1,
        n(1),
        "Waits durably: the timer survives a restart of the process. Durations look like \"500ms\", \"30s\", \"5m\", \"6h\", \"14d\" or integer milliseconds.",
    ),
    f(
        "sleep-until",
        "[time]",
        1,
        n(1),
        "Waits durably until `time` (milliseconds since the Unix epoch).",
    ),
    f(
        "sort",
        "[coll]",
        1,
        n(1),
        "A list of the elements in ascending order (numbers by value, strings by code point).",
    ),
    f(
        "sort-by",
        "[keyfn coll]",
        2,
        n(2),
        "A list of the elements in ascending order of `(keyfn x)`; equal keys keep their order.",
    ),
    f(
        "split",
        "[s separator]",
        2,
        n(2),
        "A vector of the parts of string `s` between occurrences of `separator`.",
    ),
    f(
        "starts-with?",
        "[s prefix]",
        2,
        n(2),
        "True when string `s` starts with `prefix`.",
    ),
    f(
        "stop",
        "[facet]",
        1,
        n(1),
        "Stops a facet made by `spawn`, retracting everything it asserted.",
    ),
    f(
        "str",
        "[& xs]",
        0,
        ANY,
        "Concatenates the display forms of the arguments; nil displays as nothing.",
    ),
    f("string?", "[x]", 1, n(1), "True for a string."),
    f(
        "subs",
        "[s start end?]",
        2,
        n(3),
        "The characters of `s` from `start` up to `end` (default: the end).",
    ),
    f("symbol?", "[x]", 1, n(1), "True for a symbol."),
    f(
        "throw",
        "[value]",
        1,
        n(1),
        "Raises `value` as an error; `catch` receives it as it was thrown.",
    ),
    f(
        "trim",
        "[s]",
        1,
        n(1),
        "The string without leading and trailing whitespace.",
    ),
    f(
        "type-of",
        "[x]",
        1,
        n(1),
        "The type of a value as a keyword: `:nil :bool :int :float :string :symbol :keyword :list :vector :map :record :handle :fn`.",
    ),
    f("upper", "[s]", 1, n(1), "The string in upper case."),
    f(
        "uuid",
        "[]",
        0,
        n(0),
        "A random UUID string. Recorded in the journal, so replay sees the same value.",
    ),
    f(
        "vals",
        "[map]",
        1,
        n(1),
        "The values of a map, in insertion order.",
    ),
    f("vector", "[& xs]", 0, ANY, "A vector of the arguments."),
    f("vector?", "[x]", 1, n(1), "True for a vector."),
    f(
        "write-file",
        "[path text]",
        2,
        n(2),
        "Writes `text` to a file in the workspace. Needs the `workspace/write` capability.",
    ),
    f("zero?", "[x]", 1, n(1), "True for zero."),
];

/// The builtin named `name`.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .map(|i| &BUILTINS[i])
}

impl Builtin {
    /// Whether `count` positional arguments are acceptable.
    pub fn accepts(&self, count: usize) -> bool {
        count >= self.min && self.max.is_none_or(|max| count <= max)
    }

    /// "1 argument", "2 or 3 arguments", "at least 1 argument", …
    pub fn expected(&self) -> String {
        arity_text(self.min, self.max)
    }
}

/// Describes an arity range for messages.
pub fn arity_text(min: usize, max: Option<usize>) -> String {
    let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
    match max {
        Some(max) if max == min => format!("{min} {}", plural(min)),
        Some(max) if max == min + 1 => format!("{min} or {max} {}", plural(max)),
        Some(max) => format!("{min} to {max} {}", plural(max)),
        None => format!("at least {min} {}", plural(min)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in BUILTINS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn lookup_and_arity() {
        let count = lookup("count").unwrap();
        assert!(count.accepts(1) && !count.accepts(2));
        assert_eq!(count.expected(), "1 argument");
        assert_eq!(lookup("get").unwrap().expected(), "2 or 3 arguments");
        assert_eq!(lookup("+").unwrap().expected(), "at least 0 arguments");
        assert!(lookup("nope").is_none());
    }
}
