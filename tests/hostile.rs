//! Hostile inputs, as an attacker would write them, through the `duet` binary: none may make
//! it panic, abort, hang, or produce output or use memory out of proportion. Each test names
//! the input and what used to happen.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How a run of `duet` ended.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `duet ARGS` in `dir`, killing it (and failing) if it takes longer than `limit`.
fn duet_in(dir: &Path, args: &[&str], limit: Duration) -> Ran {
    let child = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // Standard input stays open and empty, as in a terminal nobody types into.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("duet starts");
    wait(child, args, limit)
}

fn wait(mut child: Child, args: &[&str], limit: Duration) -> Ran {
    let start = Instant::now();
    // Drain the pipes on threads, so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for duet") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`duet {}` took more than {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = start.elapsed();
    let ran = Ran {
        status,
        stdout: out.join().expect("stdout read"),
        stderr: err.join().expect("stderr read"),
        took,
    };
    assert!(
        ran.status.code().is_some(),
        "`duet {}` was killed by a signal ({:?}); stderr:\n{}",
        args.join(" "),
        ran.status,
        tail(&ran.stderr)
    );
    assert!(
        !ran.stderr.contains("panicked") && !ran.stderr.contains("overflowed its stack"),
        "`duet {}` crashed:\n{}",
        args.join(" "),
        tail(&ran.stderr)
    );
    ran
}

fn tail(text: &str) -> &str {
    let cut = text.len().saturating_sub(2_000);
    let cut = (cut..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[cut..]
}

/// A directory with the file `name` holding `text`.
fn file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the program");
    (dir, path)
}

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn a_macro_that_expands_into_itself_is_an_error_in_check_and_run() {
    // Used to overflow the Rust stack (SIGABRT) in both.
    let (dir, _) = file("m.lisp", "(defmacro m [] '(m))\n(m)\n");
    for command in ["check", "run"] {
        let ran = duet_in(dir.path(), &[command, "m.lisp"], MINUTE);
        assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
        assert!(
            ran.stderr
                .contains("[E0209] Error: macro `m` expanded more than 256 levels deep"),
            "{}",
            ran.stderr
        );
        assert!(ran.stderr.contains("m.lisp:2:1"), "{}", ran.stderr);
    }
}

#[test]
fn exponential_macro_expansion_stops_at_the_size_limit() {
    // 2^22 expansions: used to take 44 s and 3.8 GB in `duet check`.
    let (dir, _) = file(
        "e.lisp",
        "(defmacro e [n] (if (= n 0) 1 `(+ (e ,(- n 1)) (e ,(- n 1)))))\n(println (e 22))\n",
    );
    let ran = duet_in(dir.path(), &["check", "e.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("the macros of this program produce more than 1000000 forms"),
        "{}",
        ran.stderr
    );
    assert!(ran.took < Duration::from_secs(20), "took {:?}", ran.took);
}

#[test]
fn diagnostics_for_one_long_line_stay_small() {
    // 20,000 `)` on one line used to print 800 MB in 37 s; 10^6 unclosed `(` 1.7 GB.
    for (name, text, errors) in [
        ("closers.lisp", ")".repeat(20_000), 20_000),
        ("openers.lisp", "(".repeat(1_000_000), 257),
    ] {
        let (dir, _) = file(name, &text);
        let ran = duet_in(dir.path(), &["check", name], MINUTE);
        assert_eq!(ran.status.code(), Some(2));
        assert!(
            ran.stderr.len() < 50_000,
            "{name}: {} bytes of diagnostics",
            ran.stderr.len()
        );
        assert!(
            ran.stderr
                .ends_with(&format!("checked 1 file: {errors} errors, 0 warnings\n")),
            "{name}: {}",
            tail(&ran.stderr)
        );
        assert!(
            ran.stderr.contains("more diagnostics not shown"),
            "{}",
            tail(&ran.stderr)
        );
        assert!(
            ran.took < Duration::from_secs(20),
            "{name} took {:?}",
            ran.took
        );
    }
}

#[test]
fn many_warnings_on_a_long_line_stay_small() {
    // 3,000 unused bindings in one 30 KB line: used to print 90 MB.
    let bindings: Vec<String> = (0..3_000).map(|i| format!("a{i} {i}")).collect();
    let (dir, _) = file(
        "let.lisp",
        &format!("(println (let [{}] 1))\n", bindings.join(" ")),
    );
    let ran = duet_in(dir.path(), &["check", "let.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(0));
    assert!(ran.stderr.len() < 20_000, "{} bytes", ran.stderr.len());
    assert!(
        ran.stderr
            .contains("note: 2990 more diagnostics not shown (2990 × W0001 unused-binding)"),
        "{}",
        tail(&ran.stderr)
    );
    assert!(
        ran.stderr
            .ends_with("checked 1 file: 0 errors, 3000 warnings\n")
    );
}

#[test]
fn importing_something_that_is_not_a_regular_file_is_an_error_not_a_hang() {
    // `(import "/dev/stdin")` or a FIFO used to block forever; /dev/zero to eat memory.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let mut targets = vec!["/dev/stdin", "/dev/zero", "."];
    if made {
        targets.push("fifo");
    }
    for target in targets {
        std::fs::write(
            dir.path().join("i.lisp"),
            format!("(import \"{target}\")\n(println 1)\n"),
        )
        .expect("write");
        let ran = duet_in(dir.path(), &["check", "i.lisp"], MINUTE);
        assert_eq!(ran.status.code(), Some(2), "{target}: {}", ran.stderr);
        assert!(ran.stderr.contains("[E0205]"), "{target}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("source files are regular files"),
            "{target}: {}",
            ran.stderr
        );
    }
    let ran = duet_in(dir.path(), &["run", "/dev/zero"], MINUTE);
    assert_eq!(ran.status.code(), Some(2));
    assert!(ran.stderr.contains("not a regular file"), "{}", ran.stderr);
}

#[test]
fn running_out_of_memory_is_a_catchable_error() {
    // Used to abort with "memory allocation of N bytes failed".
    let ran = duet_in(
        Path::new("."),
        &[
            "run",
            "--max-memory",
            "64M",
            "tests/hostile/memory-limit.lisp",
        ],
        MINUTE,
    );
    assert_eq!(
        ran.stdout,
        ":memory\n:memory\n:memory\n:memory\nstill running 1000\n"
    );
    assert_eq!(ran.status.code(), Some(1));
    assert!(
        ran.stderr.starts_with(
            "Error: out of memory: the program's data takes about 65 MiB, past the limit of 64 MiB"
        ),
        "{}",
        ran.stderr
    );
    let ran = duet_in(
        Path::new("."),
        &[
            "run",
            "--max-memory",
            "lots",
            "tests/hostile/memory-limit.lisp",
        ],
        MINUTE,
    );
    assert_eq!(ran.status.code(), Some(2));
    assert!(
        ran.stderr.contains("`lots` is not a size"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_call_with_100000_arguments_takes_memory_in_proportion() {
    // Used to take 810 MB (one copy of the argument list per 255 arguments); a vector
    // literal of as many computed elements the same.
    let args: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    let xs: Vec<&str> = vec!["x"; 100_000];
    let (dir, _) = file(
        "args.lisp",
        &format!(
            "(def x 1)\n(println (+ {}))\n(println (count [{}]))\n",
            args.join(" "),
            xs.join(" ")
        ),
    );
    let ran = duet_in(
        dir.path(),
        &["run", "--max-memory", "64M", "args.lisp"],
        MINUTE,
    );
    assert_eq!(ran.stdout, "4999950000\n100000\n", "{}", ran.stderr);
    assert_eq!(ran.status.code(), Some(0));
}

#[test]
fn a_cond_with_a_hundred_thousand_clauses_is_an_error_not_a_crash() {
    // Compiling it used to overflow the Rust stack (SIGABRT).
    let clauses = |n: usize| -> String {
        (0..n)
            .map(|i| format!("(= x {i}) {i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (dir, _) = file(
        "cond.lisp",
        &format!(
            "(def x 3)\n(println (cond {} :else :none))\n",
            clauses(100_000)
        ),
    );
    let ran = duet_in(dir.path(), &["run", "cond.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2));
    assert!(
        ran.stderr
            .contains("[E0112] Error: this code is nested more than 100000 levels deep"),
        "{}",
        tail(&ran.stderr)
    );
    // Just under the limit it compiles and runs.
    std::fs::write(
        dir.path().join("cond.lisp"),
        format!(
            "(def x 3)\n(println (cond {} :else :none))\n",
            clauses(99_000)
        ),
    )
    .expect("write");
    let ran = duet_in(dir.path(), &["run", "cond.lisp"], MINUTE);
    assert_eq!(ran.stdout, "3\n", "{}", tail(&ran.stderr));
}

#[test]
fn a_function_with_too_many_locals_is_an_error_not_a_panic() {
    // 70,000 bindings used to overflow the VM's 16-bit slot numbers and panic.
    let bindings: Vec<String> = (0..70_000).map(|i| format!("a{i} {i}")).collect();
    let (dir, _) = file(
        "let.lisp",
        &format!("(println (let [{}] a69999))\n", bindings.join(" ")),
    );
    let ran = duet_in(dir.path(), &["run", "let.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2));
    assert!(
        ran.stderr
            .contains("[E0210] Error: this function binds more than 60000 local variables"),
        "{}",
        tail(&ran.stderr)
    );
    // A record of more fields than an instruction counts is a runtime error.
    let fields: Vec<String> = (0..70_000).map(|i| i.to_string()).collect();
    std::fs::write(
        dir.path().join("let.lisp"),
        format!(
            "(println (count (fields (record r {}))))\n",
            fields.join(" ")
        ),
    )
    .expect("write");
    let ran = duet_in(dir.path(), &["run", "let.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(1));
    assert!(
        ran.stderr
            .contains("is too large to run: it has more than 65535 record fields"),
        "{}",
        tail(&ran.stderr)
    );
}

#[test]
fn a_missing_paren_is_reported_where_it_is_missing_without_a_cascade() {
    // Used to point only at the `(defn` far above, then add "`defn` can only appear at the
    // top level" for every form after it.
    let (dir, _) = file(
        "p.lisp",
        "(defn helper [x]\n  (let [y (* x 2)]\n    (+ y 1))\n\n(defn main []\n  (println (helper 2)))\n\n(defn later [z]\n  (+ z undefined-name))\n",
    );
    let ran = duet_in(dir.path(), &["check", "p.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr
            .starts_with("[E0101] Error: `)` is probably missing here\n   ╭─[ p.lisp:3:13 ]"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("top level"), "{}", ran.stderr);
    // The forms after it read as written: the real error in the last one is still found.
    assert!(
        ran.stderr.contains("unknown identifier `undefined-name`"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .ends_with("checked 1 file: 2 errors, 0 warnings\n"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_unterminated_string_is_one_error_at_its_opening_quote() {
    // Used to give six errors, the real one last and on the wrong line.
    let (dir, _) = file(
        "s.lisp",
        "(defn greet [name]\n  \"Greets someone.\"\n  (println \"hello, name))\n\n(defn part [x]\n  (str \"a\" x \"b\"))\n\n(greet \"world\")\n(println (part 1))\n",
    );
    let ran = duet_in(dir.path(), &["check", "s.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.starts_with(
            "[E0104] Error: this string is probably never closed\n   ╭─[ s.lisp:3:12 ]"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .ends_with("checked 1 file: 1 error, 0 warnings\n"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_error_inside_map_or_reduce_keeps_the_frame_that_called_it() {
    // The call of `map` in tail position used to leave the caller's frame: the backtrace went
    // from `std/prelude` straight to the top level, and the user's call was nowhere.
    let (dir, _) = file(
        "m.lisp",
        "(defn half [x]\n  (/ 10 x))\n\n(defn run-all [xs]\n  (map half xs))\n\n(println (run-all [1 2 0]))\n",
    );
    let ran = duet_in(dir.path(), &["run", "m.lisp"], MINUTE);
    assert_ne!(ran.status.code(), Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "  half at m.lisp:2:3\n  %map-1 at std/prelude:15:3\n  run-all at m.lisp:5:3\n  <top level> at m.lisp:7:10\n"
        ),
        "{}",
        ran.stderr
    );
    std::fs::write(
        dir.path().join("r.lisp"),
        "(defn total [xs]\n  (reduce + 0 xs))\n\n(println (total 5))\n",
    )
    .expect("write the program");
    let ran = duet_in(dir.path(), &["run", "r.lisp"], MINUTE);
    assert!(
        ran.stderr
            .contains("  total at r.lisp:2:3\n  <top level> at r.lisp:4:10\n"),
        "{}",
        ran.stderr
    );
    // The source line shown is the program's call, not the prelude's, and the message names
    // the function the program called.
    assert!(
        ran.stderr.starts_with(
            "Error: `reduce` expects a collection, got int 5 [type]\n   ╭─[ r.lisp:2:3 ]"
        ) && ran.stderr.contains("raised in `%reduce`, called here"),
        "{}",
        ran.stderr
    );
}

#[test]
fn bare_names_in_a_pattern_and_waits_for_labels_nothing_makes_are_explained() {
    // `id` and `reply` used to be four "unknown identifier" errors (here and where they are
    // used) without a word about `?`; a misspelt label waited forever without a warning.
    let (dir, _) = file(
        "p.lisp",
        "(workflow w\n  (roles (planner :agent-kind \"echo\"))\n  (state start\n    (assert (record agent-request \"r1\" \"Draft a plan\"))\n    (await (record agent-response id reply))\n    (log id reply)\n    (terminal)))\n",
    );
    let ran = duet_in(dir.path(), &["check", "p.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    for name in ["id", "reply"] {
        assert!(
            ran.stderr
                .contains(&format!("unknown identifier `{name}` in a pattern"))
                && ran.stderr.contains(&format!(
                    "Help: write `?{name}` to bind the value to `{name}`"
                )),
            "{}",
            ran.stderr
        );
    }
    assert!(
        ran.stderr
            .ends_with("checked 1 file: 2 errors, 0 warnings\n"),
        "{}",
        ran.stderr
    );

    std::fs::write(
        dir.path().join("l.lisp"),
        "(workflow w\n  (roles (planner :agent-kind \"echo\"))\n  (state start\n    (assert (record agent-request \"r1\" \"Draft a plan\"))\n    (await (record agent-respnse ?id ?reply))\n    (log id reply)\n    (terminal)))\n",
    )
    .expect("write the program");
    let ran = duet_in(dir.path(), &["check", "l.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.starts_with(
            "[W0007] Warning: nothing makes a record labelled `agent-respnse`\n   ╭─[ l.lisp:5:12 ]"
        ) && ran
            .stderr
            .contains("Help: did you mean one of `agent-response`, `agent-request`?"),
        "{}",
        ran.stderr
    );
    // Spelt right, it is answered by the agent: no warning.
    std::fs::write(
        dir.path().join("l.lisp"),
        "(workflow w\n  (roles (planner :agent-kind \"echo\"))\n  (state start\n    (assert (record agent-request \"r1\" \"Draft a plan\"))\n    (await (record agent-response ?id ?reply))\n    (log id reply)\n    (terminal)))\n",
    )
    .expect("write the program");
    let ran = duet_in(dir.path(), &["check", "l.lisp"], MINUTE);
    assert_eq!(ran.stderr, "checked 1 file: no problems\n");
}

#[test]
fn internal_builtins_cannot_be_called_by_programs() {
    // `%to-list` and the prelude's `%map` used to be callable, and offered by completion.
    let (dir, _) = file(
        "i.lisp",
        "(println (%to-list \"ab\"))\n(println (%sort-by-key [[2 :b] [1 :a]]))\n(defn %mine [] 1)\n(println (%mine))\n",
    );
    for command in ["check", "run"] {
        let ran = duet_in(dir.path(), &[command, "i.lisp"], MINUTE);
        assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
        assert!(
            ran.stderr.contains("unknown identifier `%to-list`")
                && ran.stderr.contains("Help: `%to-list` is internal to the standard library: names starting with `%` cannot be used by programs")
                && ran.stderr.contains("unknown identifier `%sort-by-key`"),
            "{}",
            ran.stderr
        );
        // A program's own `%` name is its own.
        assert!(!ran.stderr.contains("`%mine`"), "{}", ran.stderr);
        assert!(
            ran.stderr
                .ends_with("checked 1 file: 2 errors, 0 warnings\n")
                || command == "run",
            "{}",
            ran.stderr
        );
    }
}

#[test]
fn checking_is_linear_in_states_and_gotos() {
    // Each `goto` copied the list of states and each state was looked for among the earlier
    // ones: 4,000 states took 4.8 s, so 40,000 would take minutes. Linear, they take about
    // a second here; the watchdog of one minute only catches the quadratic version.
    let n = 40_000;
    let mut text = String::from("(workflow big\n");
    for i in 0..n {
        let next = if i + 1 < n {
            format!("(goto s{})", i + 1)
        } else {
            "(terminal)".to_string()
        };
        text.push_str(&format!(
            "  (state s{i}\n    (if (= 1 2) (goto s{}) {next}))\n",
            (i * 7) % n
        ));
    }
    text.push_str(")\n");
    let (dir, _) = file("big.lisp", &text);
    let ran = duet_in(dir.path(), &["check", "big.lisp"], MINUTE);
    assert_eq!(ran.stderr, "checked 1 file: no problems\n");
}

#[test]
fn a_missing_paren_inside_a_workflow_is_found_from_the_indentation() {
    // The `(action` left open used to swallow the rest of the workflow: the error pointed at
    // the end of the file, with `goto` reported inside `action` and state `b` lost.
    let (dir, _) = file(
        "w.lisp",
        "(workflow w\n  (roles (planner :agent-kind \"echo\"))\n  (state a\n    (action (log \"x\")\n    (goto b))\n  (state b\n    (log planner)\n    (terminal)))\n",
    );
    let ran = duet_in(dir.path(), &["check", "w.lisp"], MINUTE);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr
            .starts_with("[E0101] Error: `)` is probably missing here\n   ╭─[ w.lisp:4:22 ]"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .ends_with("checked 1 file: 1 error, 0 warnings\n"),
        "{}",
        ran.stderr
    );
}
