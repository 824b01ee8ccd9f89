//! Asking the person at the terminal: the answer to a run's question, and whether to grant
//! the capabilities a workflow declares. Without a terminal nothing is asked.

use std::io::IsTerminal;

use std::sync::Arc;

use duet_runtime::durable::{Answer, Answers, Poser};
use duet_runtime::effects::PersonQuestion;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::visible::{block, one_line};

/// Answers questions by asking the person at the terminal. Once a question is posed, a
/// thread reads the terminal's lines for the rest of the process, and each line goes to the
/// question live when it was typed: a line typed while none was (the timer won a race) is
/// refused as stale, never given to a later question.
pub struct Terminal {
    lines: Option<Arc<Lines>>,
    /// Whether questions are posed at once (see [`Terminal::new`]).
    live: bool,
}

impl Terminal {
    /// With `live`, each question is posed as soon as the run asks it, racing whatever
    /// else the run waits for, and a thread reads the terminal for the rest of the process;
    /// without, a question is asked when the run has nothing else to do, and the terminal
    /// is read only then (the REPL owns it the rest of the time).
    pub fn new(live: bool) -> Terminal {
        Terminal { lines: None, live }
    }
}

impl Answers for Terminal {
    /// `None` when there is no terminal to ask at, or the person ends the input (Ctrl-D)
    /// instead of answering: the run then waits for `duet answer`.
    fn ask(&mut self, question: &PersonQuestion) -> Option<String> {
        // Once lines are read by the thread, the input has ended for this run's questions.
        if !std::io::stdin().is_terminal() || self.lines.is_some() {
            return None;
        }
        eprint!("{}", asked(question));
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => {
                eprintln!();
                None
            }
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }

    fn poser(&mut self) -> Option<Arc<dyn Poser>> {
        if !self.live || !std::io::stdin().is_terminal() {
            return None;
        }
        let lines = self.lines.get_or_insert_with(Lines::read);
        Some(lines.clone() as Arc<dyn Poser>)
    }
}

/// Answers questions by posing them to a person elsewhere (a daemon client's terminal,
/// through [`Lines::remote`]); with no one there any more, the run waits for `duet answer`.
pub struct Asking(pub Arc<dyn Poser>);

impl Answers for Asking {
    fn ask(&mut self, _question: &PersonQuestion) -> Option<String> {
        None
    }

    fn poser(&mut self) -> Option<Arc<dyn Poser>> {
        Some(self.0.clone())
    }
}

/// Where a person's side of a question is shown: the question with the prompt for its
/// answer (`true`), or a note (`false`).
pub type Show = Arc<dyn Fn(&str, bool) + Send + Sync>;

/// A terminal's lines as they are typed (`None` for Ctrl-D), read by a thread of their own:
/// this process's, or a daemon client's ([`Lines::remote`]).
pub struct Lines {
    typed: Arc<tokio::sync::Mutex<UnboundedReceiver<Option<String>>>>,
    show: Show,
}

impl Lines {
    /// The lines a person types at a terminal elsewhere, coming in on `typed`; questions and
    /// notes are shown there through `show`.
    pub fn remote(typed: UnboundedReceiver<Option<String>>, show: Show) -> Arc<Lines> {
        Arc::new(Lines {
            typed: Arc::new(tokio::sync::Mutex::new(typed)),
            show,
        })
    }

    /// Starts the thread that reads standard input for the rest of the process.
    fn read() -> Arc<Lines> {
        let (send, typed) = unbounded_channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            loop {
                let mut line = String::new();
                let typed = match stdin.read_line(&mut line) {
                    Ok(0) => None,
                    Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
                    Err(_) => return,
                };
                if send.send(typed).is_err() {
                    return;
                }
            }
        });
        Arc::new(Lines {
            typed: Arc::new(tokio::sync::Mutex::new(typed)),
            show: Arc::new(|text, _| eprint!("{text}")),
        })
    }
}

impl Poser for Lines {
    fn pose(&self, question: PersonQuestion) -> Answer {
        let typed = self.typed.clone();
        let show = self.show.clone();
        Box::pin(async move {
            let mut typed = typed.lock().await;
            // What was typed while no question was waiting is not an answer to this one.
            while let Ok(stale) = typed.try_recv() {
                if let Some(line) = stale {
                    show(
                        &format!(
                            "note: `{}` was not taken: no question was waiting when it was \
                             typed\n",
                            one_line(&line)
                        ),
                        false,
                    );
                }
            }
            show(&asked(&question), true);
            typed.recv().await.flatten()
        })
    }
}

/// `question` (with the answers it offers) and the prompt for its answer, as shown.
fn asked(question: &PersonQuestion) -> String {
    // The question may quote an agent: shown, never obeyed by the terminal.
    let mut text = format!("question: {}\n", block(&question.text));
    if let Some(offer) = question.offer(one_line) {
        text.push_str(&format!("  ({offer})\n"));
    }
    text.push_str("answer> ");
    text
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
