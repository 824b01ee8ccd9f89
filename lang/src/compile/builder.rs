//! Building one function: emitting instructions with their spans, slots for locals, the
//! captures it takes from its creator, and forward jumps patched once their target is known.

use std::collections::{BTreeMap, BTreeSet};

use crate::core::LocalId;
use crate::ir::{CaptureFrom, Function, Instr, SourceSpan};

/// A function under construction.
pub struct FnBuilder {
    pub function: Function,
    /// Slot of each local this function owns.
    pub slots: BTreeMap<LocalId, u16>,
    /// Locals captured from enclosing functions, by capture index.
    pub captured: Vec<LocalId>,
    /// The span given to instructions emitted now.
    pub span: SourceSpan,
    /// Instructions that jumps land on; fusing must not remove them.
    labels: BTreeSet<u32>,
    /// Why this function cannot be compiled (more slots, captures or operands than the
    /// instruction set addresses); it then compiles to code that raises this instead. The
    /// checker reports the common cases first (`too-many-locals`).
    pub too_large: Option<String>,
}

/// A forward jump waiting for its target.
#[derive(Debug, Clone, Copy)]
pub struct Patch(usize);

impl FnBuilder {
    pub fn new(name: String) -> Self {
        FnBuilder {
            function: Function {
                name,
                params: 0,
                rest: false,
                slots: 0,
                captures: Vec::new(),
                code: Vec::new(),
                spans: Vec::new(),
            },
            slots: BTreeMap::new(),
            captured: Vec::new(),
            span: SourceSpan::default(),
            labels: BTreeSet::new(),
            too_large: None,
        }
    }

    /// `n` as the 16-bit count of `what` an instruction takes, or (when it does not fit)
    /// 0, with the function marked as too large.
    pub fn count16(&mut self, n: usize, what: &str) -> u16 {
        match u16::try_from(n) {
            Ok(n) => n,
            Err(_) => {
                self.too_large
                    .get_or_insert_with(|| format!("more than {} {what}", u16::MAX));
                0
            }
        }
    }

    /// Appends an instruction at the current span, fusing operations on locals into one
    /// instruction when no jump lands inside them: `Local, Int, op` and `Local, Local, op`
    /// for arithmetic and comparisons, `Local, inc`, `Local, dec` and `Local, Return`; and
    /// dropping the `Dup` and `Pop` around an assignment whose value is not used.
    pub fn emit(&mut self, instr: Instr) {
        if let Some((fused, replaced, span)) = self.fuse(instr) {
            let n = self.function.code.len();
            self.function.code.truncate(n - replaced);
            self.function.spans.truncate(n - replaced);
            self.function.code.push(fused);
            self.function.spans.push(span);
            return;
        }
        self.function.code.push(instr);
        self.function.spans.push(self.span);
    }

    /// The fused form of the last `replaced` instructions followed by `op`, when there is
    /// one, with its span. A jump may land on the first of them (the fused instruction takes
    /// its place) but not on a later one, nor on `op`.
    fn fuse(&self, op: Instr) -> Option<(Instr, usize, SourceSpan)> {
        let code = &self.function.code;
        let n = code.len();
        let landed = |i: usize| self.labels.contains(&(i as u32));
        if n < 1 || landed(n) {
            return None;
        }
        if let Instr::Local(s) = code[n - 1] {
            let fused = match op {
                Instr::Inc => Some(Instr::AddLI(s, 1)),
                Instr::Dec => Some(Instr::SubLI(s, 1)),
                Instr::Return => Some(Instr::ReturnLocal(s)),
                _ => None,
            };
            if let Some(fused) = fused {
                return Some((fused, 1, self.span));
            }
        }
        if n < 2 || landed(n - 1) {
            return None;
        }
        let fused = match (code[n - 2], code[n - 1]) {
            (Instr::Local(s), Instr::Int(k)) => match op {
                Instr::Add => Instr::AddLI(s, k),
                Instr::Sub => Instr::SubLI(s, k),
                Instr::Mul => Instr::MulLI(s, k),
                Instr::Lt => Instr::LtLI(s, k),
                Instr::Le => Instr::LeLI(s, k),
                Instr::Gt => Instr::GtLI(s, k),
                Instr::Ge => Instr::GeLI(s, k),
                Instr::NumEq => Instr::NumEqLI(s, k),
                _ => return None,
            },
            (Instr::Local(a), Instr::Local(b)) => match op {
                Instr::Add => Instr::AddLL(a, b),
                Instr::Sub => Instr::SubLL(a, b),
                Instr::Mul => Instr::MulLL(a, b),
                Instr::Lt => Instr::LtLL(a, b),
                Instr::Le => Instr::LeLL(a, b),
                Instr::Gt => Instr::GtLL(a, b),
                Instr::Ge => Instr::GeLL(a, b),
                Instr::NumEq => Instr::NumEqLL(a, b),
                _ => return None,
            },
            // `(set! x v)` whose value is dropped: the assignment alone, where it was.
            (
                Instr::Dup,
                set @ (Instr::SetLocal(_)
                | Instr::SetCellLocal(_)
                | Instr::SetCellCapture(_)
                | Instr::SetGlobal(_)
                | Instr::DefGlobal(_)),
            ) if op == Instr::Pop => return Some((set, 2, self.function.spans[n - 1])),
            _ => return None,
        };
        Some((fused, 2, self.span))
    }

    /// The index the next instruction will have, marked as a jump target.
    pub fn label(&mut self) -> u32 {
        let here = self.here();
        self.labels.insert(here);
        here
    }

    /// The index the next instruction will have.
    pub fn here(&self) -> u32 {
        self.function.code.len() as u32
    }

    /// Emits a jump whose target is filled in by [`FnBuilder::patch`].
    pub fn emit_forward(&mut self, make: fn(u32) -> Instr) -> Patch {
        let at = self.function.code.len();
        self.emit(make(u32::MAX));
        Patch(at)
    }

    /// Points a forward jump at the next instruction.
    pub fn patch(&mut self, patch: Patch) {
        let target = self.label();
        let instr = &mut self.function.code[patch.0];
        *instr = match *instr {
            Instr::Jump(_) => Instr::Jump(target),
            Instr::JumpIfFalse(_) => Instr::JumpIfFalse(target),
            Instr::JumpIfFalseKeep(_) => Instr::JumpIfFalseKeep(target),
            Instr::JumpIfTrueKeep(_) => Instr::JumpIfTrueKeep(target),
            Instr::PushHandler(_) => Instr::PushHandler(target),
            other => other,
        };
    }

    /// A new slot for `local`.
    pub fn slot(&mut self, local: LocalId) -> u16 {
        if let Some(&slot) = self.slots.get(&local) {
            return slot;
        }
        let slot = self.fresh_slot();
        self.slots.insert(local, slot);
        slot
    }

    /// A slot no local names, for temporaries.
    pub fn fresh_slot(&mut self) -> u16 {
        let slot = self.function.slots;
        match slot.checked_add(1) {
            Some(next) => self.function.slots = next,
            None => {
                self.too_large
                    .get_or_insert_with(|| "more local variables than a frame holds".into());
            }
        }
        slot
    }

    /// The capture index of `local`, registering it on first use.
    pub fn capture(&mut self, local: LocalId) -> u16 {
        match self.captured.iter().position(|&l| l == local) {
            Some(i) => self.count16(i, "captured variables"),
            None => {
                self.captured.push(local);
                self.count16(self.captured.len() - 1, "captured variables")
            }
        }
    }

    /// Where this function finds `local`: its own slot or a capture.
    pub fn locate(&mut self, local: LocalId) -> CaptureFrom {
        match self.slots.get(&local) {
            Some(&slot) => CaptureFrom::Local(slot),
            None => CaptureFrom::Capture(self.capture(local)),
        }
    }
}
