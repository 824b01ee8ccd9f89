//! `duet-runtime`: runs the IR that `duet-lang` produces. It will hold the VM (explicit
//! frames, snapshot-able state), the dataspace and the Syndicated Actor kernel, effects
//! (agents, shell, files, timers, people) and the durable store on fjall. It depends on
//! `duet-lang` for the IR types only; see `ARCHITECTURE.md` for the layering.
