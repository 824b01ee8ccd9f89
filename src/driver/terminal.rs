//! Asking the person at the terminal: the answer to a run's question, and whether to grant
//! the capabilities a workflow declares. Without a terminal nothing is asked.

use std::io::IsTerminal;

use duet_runtime::durable::Answers;

use super::visible::{block, one_line};

/// Answers questions by asking the person at the terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal;

impl Answers for Terminal {
    /// `None` when there is no terminal to ask at, or the person ends the input (Ctrl-D)
    /// instead of answering: the run then waits for `duet answer`.
    fn ask(&mut self, question: &str, options: &[String]) -> Option<String> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        // The question may quote an agent: shown, never obeyed by the terminal.
        eprintln!("question: {}", block(question));
        if !options.is_empty() {
            let options: Vec<String> = options.iter().map(|o| one_line(o)).collect();
            eprintln!("  (one of: {})", options.join(", "));
        }
        eprint!("answer> ");
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => {
                eprintln!();
                None
            }
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }
}

/// Whether the person at the terminal grants workflow `workflow` the capabilities `list`
/// (`false` without a terminal).
pub fn confirm_grant(workflow: &str, list: &str) -> bool {
    std::io::stdin().is_terminal() && {
        eprint!(
            "workflow `{}` asks for {}; grant for this run? [y/N] ",
            one_line(workflow),
            one_line(list)
        );
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).is_ok()
            && matches!(line.trim().to_lowercase().as_str(), "y" | "yes")
    }
}
