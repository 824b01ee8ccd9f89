//! The `duet` command: check, and (as the toolchain grows) run, format, REPL and language
//! server. Each subcommand lives in its own module under `commands/`.

mod commands;
mod daemon;
mod lsp;
mod output;
mod repl;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The exit codes every command uses (README "Exit status"; tests/exit_codes.rs).
const EXIT_STATUS: &str = "\
Exit status, for every command:
  0  it worked: the run completed, the check passed, the report was printed
  1  it ran and failed: the run failed, a replay differs, a store is damaged,
     `fmt --check` found a file to change, the machine refused (I/O)
  2  the command or the program is wrong: usage, an unknown run or branch, a
     program that does not read or check, an answer not offered; nothing was done
  3  something waits: a run suspended for a person or a deadline, a detached run,
     `daemon status` with no daemon running";

/// Duet: a Lisp workflow language for orchestrating LLM agents.
#[derive(Parser)]
#[command(
    name = "duet",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = EXIT_STATUS
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read, expand, resolve and lint files without running them.
    Check(commands::check::CheckArgs),
    /// Format files in place; `--check` lists the ones that would change.
    Fmt(commands::fmt::FmtArgs),
    /// Run a program: a script's top-level forms in order.
    Run(commands::run::RunArgs),
    /// An interactive session: multi-line input, history, completion.
    Repl(repl::ReplArgs),
    /// List the runs in the store, one a line starting with its id.
    Runs(commands::runs::ListArgs),
    /// Show one run's state.
    Status(commands::runs::RunIdArgs),
    /// Continue a suspended or interrupted run from its journal.
    Resume(commands::runs::ResumeArgs),
    /// Answer the question a run waits on, and continue it.
    Answer(commands::runs::AnswerArgs),
    /// A run's turns, oldest first: number, time, what came in.
    History(commands::runs::HistoryArgs),
    /// Re-execute a run from its journal and check that every turn reproduces.
    Replay(commands::runs::ReplayArgs),
    /// Move a run's branch back N turns; the abandoned turns stay on a branch of their own.
    Back(commands::runs::BackArgs),
    /// Start a new branch of a run from any turn, and make it the run's current branch.
    Fork(commands::runs::ForkArgs),
    /// A run's branches, the current one marked, each with its head and fork point.
    Branches(commands::files::BranchesArgs),
    /// Make another branch of a run current, with its workspace files and state.
    Switch(commands::files::SwitchArgs),
    /// The workspace changes of one turn of a run, or of the whole run (a unified diff).
    Diff(commands::files::DiffArgs),
    /// Per line of a workspace file: the run, turn and role or effect that last changed it.
    Blame(commands::files::BlameArgs),
    /// Run the language server on standard input and output.
    Lsp(commands::lsp::LspArgs),
    /// Remove a run and all its branches (its blobs go at the next `duet gc`).
    Rm(commands::runs::RmArgs),
    /// Remove the blobs no run refers to any more.
    Gc(commands::runs::StoreArgs),
    /// Look after the store: `check` every record, `salvage` what can be read into a new one.
    Store(commands::store::StoreCommand),
    /// The long-running service that holds the store: `start`, `stop`, `status`.
    Daemon(commands::daemon::DaemonCommand),
    /// Follow a run the daemon runs, from where it is, until it ends or waits.
    Attach(commands::attach::AttachArgs),
    /// End a run as cancelled, stopping what it started.
    Stop(commands::attach::StopArgs),
    /// A durable chat with one agent: `chat TEXT` continues the conversation, `history`
    /// shows it.
    Agent(commands::agent::AgentCommand),
}

impl Command {
    /// Whether a daemon serving the store runs this command (every command that reads or
    /// changes runs in the store).
    fn served(&self) -> bool {
        match self {
            Command::Run(args) => commands::run::durable(args),
            Command::Runs(_)
            | Command::Status(_)
            | Command::Resume(_)
            | Command::Answer(_)
            | Command::History(_)
            | Command::Replay(_)
            | Command::Back(_)
            | Command::Fork(_)
            | Command::Branches(_)
            | Command::Switch(_)
            | Command::Diff(_)
            | Command::Rm(_)
            | Command::Gc(_)
            | Command::Attach(_)
            | Command::Blame(_)
            | Command::Stop(_)
            | Command::Agent(_) => true,
            // Checking reads the store the daemon holds; salvage copies a damaged one.
            Command::Store(args) => args.checks(),
            Command::Check(_)
            | Command::Fmt(_)
            | Command::Repl(_)
            | Command::Lsp(_)
            | Command::Daemon(_) => false,
        }
    }
}

/// The stack the command runs on. Code is compiled and checked by recursion over its tree,
/// which a `cond` of 100,000 clauses makes 100,000 levels deep (the checker refuses deeper
/// code); only the pages used are ever touched.
pub(crate) const STACK_BYTES: usize = 1 << 30;

fn main() -> ExitCode {
    // The main thread's stack is whatever the system gives (often 8 MiB); run on our own.
    match std::thread::Builder::new()
        .name("main".into())
        .stack_size(STACK_BYTES)
        .spawn(command)
    {
        Ok(thread) => thread.join().unwrap_or(ExitCode::from(101)),
        Err(_) => command(),
    }
}

fn command() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if only_reports(&cli.command) {
        // Like any Unix tool, a command that only reports ends quietly when the reader of
        // its standard output goes away (`duet runs | head`) instead of failing to print.
        // Commands that run agents and commands keep SIGPIPE ignored: a tool that exits
        // without reading its prompt must not end duet.
        // SAFETY: sets a signal's disposition; no other thread of ours handles signals.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    if cli.command.served() {
        let dir = daemon::client::store_of_command_line();
        if let Some(stream) = daemon::client::connect_patiently(&dir) {
            return daemon::client::command(stream, &dir, daemon::client::args());
        }
        // A process may take the store and serve it between that look and this command's
        // opening it; the command then goes there after all. Not `run`: it runs the
        // program's top-level forms and may ask for capabilities before it opens the store,
        // which the process handed the command would do again.
        let runs_first = matches!(cli.command, Command::Run(_));
        if !runs_first {
            duet::driver::store::hand_over_with(hand_over);
        }
    }
    // Without a daemon, a command that follows a run serves the others meanwhile.
    duet::driver::served::serve_alongside_with(daemon::alongside::serve);
    dispatch(cli.command)
}

/// Runs the command `args` (the words after `duet`) for a client of the daemon, on the
/// daemon's thread serving it; its exit status.
pub(crate) fn served_command(args: Vec<String>) -> u8 {
    let cli = match Cli::try_parse_from(std::iter::once("duet".to_string()).chain(args)) {
        Ok(cli) => cli,
        Err(e) => {
            output::write(true, &e.render().to_string());
            return 2;
        }
    };
    if !cli.command.served() {
        output::error("the daemon does not run this command; run it without the daemon");
        return 2;
    }
    code_number(dispatch(cli.command))
}

/// Sends this command to the process serving the store in `dir`, if one does, and exits
/// with its status ([`duet::driver::store::hand_over_with`]).
fn hand_over(dir: &std::path::Path) {
    if let Some(stream) = daemon::client::connect(dir) {
        let code = daemon::client::command(stream, dir, daemon::client::args());
        std::process::exit(code_number(code).into());
    }
}

/// The number an exit status stands for (`ExitCode` does not say it).
fn code_number(code: ExitCode) -> u8 {
    (0..=u8::MAX)
        .find(|n| ExitCode::from(*n) == code)
        .unwrap_or(1)
}

fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Check(args) => commands::check::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
        Command::Run(args) => commands::run::run(&args),
        Command::Repl(args) => repl::run(&args),
        Command::Runs(args) => commands::runs::list(&args),
        Command::Status(args) => commands::runs::status(&args),
        Command::Resume(args) => commands::runs::resume(&args),
        Command::Answer(args) => commands::runs::answer(&args),
        Command::History(args) => commands::runs::history(&args),
        Command::Replay(args) => commands::runs::replay(&args),
        Command::Back(args) => commands::runs::back(&args),
        Command::Fork(args) => commands::runs::fork(&args),
        Command::Branches(args) => commands::files::branches(&args),
        Command::Switch(args) => commands::files::switch(&args),
        Command::Diff(args) => commands::files::diff(&args),
        Command::Blame(args) => commands::files::blame(&args),
        Command::Lsp(args) => commands::lsp::run(&args),
        Command::Store(args) => commands::store::run(&args),
        Command::Rm(args) => commands::runs::rm(&args),
        Command::Gc(args) => commands::runs::gc(&args),
        Command::Daemon(args) => commands::daemon::run(&args),
        Command::Attach(args) => commands::attach::attach(&args),
        Command::Stop(args) => commands::attach::stop(&args),
        Command::Agent(args) => commands::agent::run(&args),
    }
}

/// Whether `command` only reads and reports: it starts no process and writes to no pipe but
/// its own output.
fn only_reports(command: &Command) -> bool {
    if let Command::Agent(agent) = command {
        return agent.only_reports();
    }
    matches!(
        command,
        Command::Check(_)
            | Command::Runs(_)
            | Command::Status(_)
            | Command::History(_)
            | Command::Replay(_)
            | Command::Branches(_)
            | Command::Diff(_)
            | Command::Blame(_)
    )
}
