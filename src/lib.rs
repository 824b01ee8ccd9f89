//! The `duet` library behind the command: the driver that wires the language front end
//! (`duet-lang`) to the VM (`duet-runtime`). The binary's commands, the REPL and the tests
//! all run programs through [`driver::Session`].

pub mod driver;
