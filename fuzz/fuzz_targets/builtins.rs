//! The VM and its builtins on any program that checks, under small limits (steps, frames,
//! memory), as `duet run` runs a script: no panic, no abort, no hang — every limit ends the
//! run with an error. Effects are answered with nil, so programs go on past them.
#![no_main]

use duet_lang::compile::Compiler;
use duet_lang::frontend::{NoLoader, check_source};
use duet_lang::stdlib::{PRELUDE, PRELUDE_NAME};
use duet_vm::value::Value;
use duet_vm::{Step, Vm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let checked = check_source("fuzz.lisp", text, &mut NoLoader, None);
    if checked.has_errors() {
        return;
    }
    let mut compiler = Compiler::new();
    let prelude = check_source(PRELUDE_NAME, PRELUDE, &mut NoLoader, None);
    let prelude = compiler.compile_chunk(&prelude.module, &prelude.sources);
    let program = compiler.compile_chunk(&checked.module, &checked.sources);
    let Ok(mut vm) = Vm::new(compiler.program().clone(), 200_000, 256) else {
        return;
    };
    vm.set_max_memory(64 << 20);
    for chunk in [prelude, program] {
        vm.start(0, chunk);
        // Every step either ends the chunk or asks for something; a request is answered
        // with nil. The step budget bounds how often.
        for _ in 0..10_000 {
            match vm.run(0, u64::MAX) {
                Step::Paused => {}
                Step::Request(_) => vm.resume(0, Value::Nil),
                Step::Done(_) | Step::Error(_) => break,
            }
        }
    }
});
