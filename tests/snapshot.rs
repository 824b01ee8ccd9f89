//! Snapshots: for every program of the corpus, snapshot the VM at about 200 instruction
//! boundaries (every boundary for short programs), restore each snapshot into a fresh VM
//! that carries on to the next boundary, and require exactly the output and ending of an
//! uninterrupted run. Damaged snapshots are rejected with a clear error, never a panic.

#[path = "support/corpus.rs"]
mod run_corpus_support;

use duet::driver::Session;
use duet_lang::frontend::FsLoader;
use duet_lang::ir::Program;
use duet_vm::snapshot::SnapshotError;
use duet_vm::value::{ListTail, Object, Value};
use duet_vm::{Request, Step, Vm};
use proptest::prelude::*;

/// How a run went: what it printed, how it ended and how many steps it took.
#[derive(Debug, PartialEq)]
struct Transcript {
    out: String,
    end: String,
    steps: u64,
}

/// Runs fiber 0 to its end, `chunk` instructions at a time; with `restore`, after each
/// chunk the VM is snapshotted and replaced by a VM restored from the snapshot. Returns the
/// transcript and the number of chunks.
fn drive(mut vm: Vm, program: &Program, chunk: u64, restore: bool) -> (Transcript, usize) {
    let mut out = String::new();
    let mut snapshots = 0;
    let end = loop {
        match vm.run(0, chunk) {
            Step::Paused if !restore => snapshots += 1,
            Step::Paused => {
                let bytes = vm.snapshot();
                // The memory limit is the host's setting, not part of the snapshot.
                let max_memory = vm.machine.ctx.heap.max_bytes();
                vm = Vm::restore(program.clone(), &bytes).unwrap_or_else(|e| {
                    panic!(
                        "a fresh snapshot does not restore: {e}\n{:?}",
                        vm.machine.fibers[0].handlers
                    )
                });
                vm.set_max_memory(max_memory);
                snapshots += 1;
            }
            Step::Request(Request::Print(text)) => {
                out.push_str(&text);
                vm.resume(0, Value::Nil);
            }
            Step::Request(Request::Log(_)) => vm.resume(0, Value::Nil),
            Step::Request(_) => {
                let error = vm
                    .machine
                    .ctx
                    .error_value("effect", "no effects here", Value::Nil);
                vm.resume_with_error(0, error);
            }
            Step::Done(_) => break "done".to_string(),
            Step::Error(e) => break format!("error [{}] {}", e.kind, e.message),
        }
    };
    let steps = vm.machine.ctx.steps;
    (Transcript { out, end, steps }, snapshots)
}

/// A VM ready to run a corpus program, with its program; `None` for programs that do not
/// check or are not scripts.
fn prepare(path: &std::path::Path) -> Option<(Vm, Program)> {
    let name = path.to_string_lossy().replace('\\', "/");
    let bytes = std::fs::read(path).expect("readable");
    let limits = run_corpus_support::limits(&String::from_utf8_lossy(&bytes));
    let mut session = Session::new(limits);
    let checked = session.check(&name, &bytes, &mut FsLoader);
    if checked.has_errors() || !checked.module.workflows.is_empty() {
        return None;
    }
    let fid = session.load(&checked);
    let mut vm = session.into_vm();
    vm.machine.ctx.steps = 0;
    vm.start(0, fid);
    let program = vm.program().clone();
    Some((vm, program))
}

#[test]
fn every_program_continues_exactly_after_restoring_a_snapshot() {
    let mut checked_programs = 0;
    for path in run_corpus_support::corpus() {
        let Some((vm, program)) = prepare(&path) else {
            continue;
        };
        let (reference, _) = drive(vm, &program, u64::MAX, false);
        // Every instruction on the general path: the fast loop must not change a step.
        let (mut vm, _) = prepare(&path).expect("prepared before");
        vm.set_fast_loop(false);
        let (general, _) = drive(vm, &program, u64::MAX, false);
        assert_eq!(
            general,
            reference,
            "{}: the run differs without the fast loop",
            path.display()
        );
        // The same run in chunks of 1,000 instructions measures its length.
        let (vm, _) = prepare(&path).expect("prepared before");
        let (counted, thousands) = drive(vm, &program, 1_000, false);
        assert_eq!(
            counted,
            reference,
            "{}: pausing every 1,000 instructions changed the run",
            path.display()
        );
        let chunk = if thousands == 0 {
            1
        } else {
            (thousands as u64 * 1_000 / 200).max(1)
        };
        let (vm, _) = prepare(&path).expect("prepared before");
        let (restored, snapshots) = drive(vm, &program, chunk, true);
        assert_eq!(
            restored,
            reference,
            "{}: restoring every {chunk} instructions changed the run",
            path.display()
        );
        assert!(
            snapshots >= 150 || chunk == 1,
            "{}: only {snapshots} snapshots",
            path.display()
        );
        checked_programs += 1;
    }
    assert!(
        checked_programs >= 50,
        "only {checked_programs} programs ran"
    );
}

/// Builtin calls from the fast loop that pass the memory limit: the full loop collects and
/// raises the catchable error as after its own builtin calls, at the same step. (Not a
/// corpus program: the point where a memory limit is reached is not kept exactly across a
/// snapshot, whose heap counts the bytes alive afresh, garbage included.)
#[test]
fn the_memory_limit_after_a_builtin_is_the_same_with_or_without_the_fast_loop() {
    let dir = std::env::temp_dir().join(format!("duet-fast-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("memory.lisp");
    std::fs::write(
        &path,
        ";; max-memory: 16M\n\
         (def kept (loop [i 0 v []] (if (< i 1000) (recur (inc i) (conj v (str \"kept-\" i))) v)))\n\
         (println (try (loop [i 0 v []] (recur (inc i) (conj v (list i i i i i i i i))))\n\
                       (catch e (field e 0))))\n\
         (println (count kept) (nth kept 999))\n",
    )
    .expect("the program written");
    let (vm, program) = prepare(&path).expect("the program checks");
    let (fast, _) = drive(vm, &program, u64::MAX, false);
    let (mut vm, _) = prepare(&path).expect("prepared before");
    vm.set_fast_loop(false);
    let (general, _) = drive(vm, &program, u64::MAX, false);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(fast.out, ":memory\n1000 kept-999\n");
    assert_eq!(fast, general);
}

fn mid_run_snapshot() -> (Vec<u8>, Program) {
    let path = std::path::Path::new("tests/run/loop-recur.lisp");
    let (mut vm, program) = prepare(path).expect("the program runs");
    loop {
        match vm.run(0, 100) {
            Step::Paused => break,
            Step::Request(_) => vm.resume(0, Value::Nil),
            other => panic!("the program ended before 100 instructions: {other:?}"),
        }
    }
    (vm.snapshot(), program)
}

#[test]
fn a_snapshot_of_another_program_is_refused() {
    let (bytes, mut program) = mid_run_snapshot();
    program.files.push("something else".into());
    let error = Vm::restore(program, &bytes).err().expect("refused");
    assert!(
        matches!(error, SnapshotError::WrongProgram { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("the snapshot belongs to program")
    );
}

#[test]
fn a_forged_snapshot_with_a_valid_checksum_is_refused() {
    use duet_lang::envelope;
    let (bytes, program) = mid_run_snapshot();
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Snapshot {
        program: String,
        machine: duet_vm::Machine,
    }
    let (_, mut snapshot): (u16, Snapshot) = envelope::open(*b"DUSN", 2, &bytes).expect("opens");
    let func = std::mem::replace(&mut snapshot.machine.fibers[0].frames[0].func, 9_999);
    let forged = envelope::seal(*b"DUSN", 2, &snapshot);
    let error = Vm::restore(program.clone(), &forged)
        .err()
        .expect("refused");
    assert_eq!(
        error.to_string(),
        "the snapshot is damaged: a frame runs function 9999 of ".to_string()
            + &program.functions.len().to_string()
    );
    // A list cell that goes on at an object other than a list cell (its tail is a heap slot,
    // so only the heap can say) is refused too.
    snapshot.machine.fibers[0].frames[0].func = func;
    let heap = &mut snapshot.machine.ctx.heap;
    let Value::Obj(text) = heap.alloc(Object::Str("not a list".into())) else {
        panic!("`alloc` gives a heap reference")
    };
    let Value::Obj(cell) = heap.alloc(Object::Pair {
        head: Value::Nil,
        tail: ListTail::cell(text),
        len: 2,
    }) else {
        panic!("`alloc` gives a heap reference")
    };
    let forged = envelope::seal(*b"DUSN", 2, &snapshot);
    let error = Vm::restore(program.clone(), &forged)
        .err()
        .expect("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "the snapshot is damaged: the list cell in heap slot {cell} goes on at slot {text}, \
             which is not a list cell"
        )
    );
    let newer = envelope::seal(*b"DUSN", 3, &snapshot);
    let error = Vm::restore(program.clone(), &newer).err().expect("refused");
    assert!(
        error.to_string().contains("written by a newer duet"),
        "{error}"
    );
    // Version 1 named effects by string: it is refused as an earlier format, not decoded.
    let older = envelope::seal(*b"DUSN", 1, &snapshot);
    let error = Vm::restore(program, &older).err().expect("refused");
    assert!(
        error.to_string().contains("written by an earlier duet"),
        "{error}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn damaged_snapshots_are_rejected(flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let (bytes, program) = mid_run_snapshot();
        let mut damaged = bytes.clone();
        for (at, mask) in flips {
            let i = at.index(damaged.len());
            damaged[i] ^= mask;
        }
        if truncate {
            damaged.truncate(cut.index(damaged.len()));
        }
        let result = Vm::restore(program, &damaged);
        prop_assert!(result.is_err());
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        prop_assert!(message.starts_with("the snapshot "), "{}", message);
    }
}
