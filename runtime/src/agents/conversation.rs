//! A role's conversation: the exchanges of prompt and reply a role has had on the run's
//! current branch, which each `prompt` to the role sees and extends (LANGUAGE.md §8).
//!
//! The conversation is part of the run's state (the workflow entity keeps it), so
//! rewinding or forking a run rewinds it exactly. How an agent is given it depends on its
//! kind: HTTP kinds get it as chat messages; `claude-code` continues the tool's own session
//! — as a fork of the session that holds exactly this conversation, so the session an
//! abandoned branch extended is never seen — and `codex`, whose `exec` mode cannot fork a
//! session, gets a fresh session with the conversation as context. Either command-line
//! kind falls back to the conversation as context when there is no session to fork (the
//! role was played by another kind, or older exchanges were dropped).
//!
//! Conversations are bounded: past [`MAX_EXCHANGES`] exchanges or [`MAX_BYTES`] bytes of text,
//! the oldest exchanges are dropped from what agents are sent and what `(conversation R)`
//! returns (the newest one is always kept). A command-line tool's own session still holds
//! what it was told.

use duet_sam::Term;
use serde::{Deserialize, Serialize};

/// The most exchanges a conversation keeps.
pub const MAX_EXCHANGES: usize = 200;
/// The most bytes of text (prompts and replies together, UTF-8) a conversation keeps.
pub const MAX_BYTES: usize = 512 * 1024;

/// A command-line tool's session, as its tool names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The agent kind whose tool made it (`claude-code`, `codex`).
    pub kind: String,
    /// The tool's id for it.
    pub id: String,
}

/// One prompt to a role and the reply to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the role was asked.
    pub prompt: String,
    /// What its agent answered.
    pub reply: String,
    /// The tool's session that holds the conversation up to and including this exchange,
    /// for command-line kinds that keep one.
    pub session: Option<Session>,
}

/// A role's conversation: its exchanges, oldest first, within the bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    exchanges: Vec<Exchange>,
    /// How many of the oldest exchanges were dropped to keep within the bounds.
    dropped: u64,
}

impl Conversation {
    /// Its exchanges, oldest first.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// How many of its oldest exchanges were dropped to keep it within the bounds.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Adds `exchange`, dropping the oldest exchanges while it is over the bounds.
    pub fn push(&mut self, exchange: Exchange) {
        self.exchanges.push(exchange);
        let mut bytes: usize = self.exchanges.iter().map(Exchange::bytes).sum();
        while self.exchanges.len() > 1
            && (self.exchanges.len() > MAX_EXCHANGES || bytes > MAX_BYTES)
        {
            let oldest = self.exchanges.remove(0);
            bytes -= oldest.bytes();
            self.dropped += 1;
        }
    }
}

impl Exchange {
    fn bytes(&self) -> usize {
        self.prompt.len() + self.reply.len()
    }
}

/// `exchanges` as a term (`[[PROMPT REPLY SESSION] …]`, SESSION `nil` or `[KIND ID]`), as an
/// agent request carries them to the agent service.
pub fn to_term(exchanges: &[Exchange]) -> Term {
    let text = |s: &str| Term::Str(s.into());
    Term::vector(
        exchanges
            .iter()
            .map(|e| {
                let session = match &e.session {
                    Some(s) => Term::vector(vec![text(&s.kind), text(&s.id)]),
                    None => Term::Nil,
                };
                Term::vector(vec![text(&e.prompt), text(&e.reply), session])
            })
            .collect(),
    )
}

/// The exchanges [`to_term`] made `term` from; what is not one is left out.
pub fn from_term(term: &Term) -> Vec<Exchange> {
    let Some(items) = term.as_seq() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item.as_seq()? {
            [Term::Str(prompt), Term::Str(reply), session] => Some(Exchange {
                prompt: prompt.to_string(),
                reply: reply.to_string(),
                session: session_from_term(session),
            }),
            _ => None,
        })
        .collect()
}

/// A session as a reply carries it to the workflow (`[KIND ID]`).
pub fn session_to_term(session: &Session) -> Term {
    Term::vector(vec![
        Term::Str(session.kind.as_str().into()),
        Term::Str(session.id.as_str().into()),
    ])
}

/// The session [`session_to_term`] made `term` from.
pub fn session_from_term(term: &Term) -> Option<Session> {
    match term.as_seq()? {
        [Term::Str(kind), Term::Str(id)] => Some(Session {
            kind: kind.to_string(),
            id: id.to_string(),
        }),
        _ => None,
    }
}

/// `text` after the conversation so far, for an agent that cannot be given it any other
/// way (a command-line tool in a fresh session).
pub fn with_context(exchanges: &[Exchange], text: &str) -> String {
    if exchanges.is_empty() {
        return text.to_string();
    }
    let mut out =
        String::from("This conversation continues. What was said so far, oldest first:\n\n");
    for exchange in exchanges {
        out.push_str("<user>\n");
        out.push_str(&exchange.prompt);
        out.push_str("\n</user>\n<you>\n");
        out.push_str(&exchange.reply);
        out.push_str("\n</you>\n\n");
    }
    out.push_str("Now the user says:\n\n");
    out.push_str(text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(n: usize, size: usize) -> Exchange {
        Exchange {
            prompt: format!("{n}"),
            reply: "x".repeat(size),
            session: None,
        }
    }

    #[test]
    fn the_oldest_exchanges_are_dropped_past_the_bounds() {
        let mut conversation = Conversation::default();
        for n in 0..MAX_EXCHANGES + 3 {
            conversation.push(exchange(n, 1));
        }
        assert_eq!(conversation.exchanges().len(), MAX_EXCHANGES);
        assert_eq!(conversation.dropped(), 3);
        assert_eq!(conversation.exchanges()[0].prompt, "3");
        // By size: a huge exchange pushes out all but itself.
        conversation.push(exchange(999, MAX_BYTES + 10));
        assert_eq!(conversation.exchanges().len(), 1);
        assert_eq!(conversation.exchanges()[0].prompt, "999");
        assert_eq!(conversation.dropped(), 3 + MAX_EXCHANGES as u64);
    }

    #[test]
    fn exchanges_and_sessions_read_back_from_their_terms() {
        let exchanges = vec![
            exchange(1, 3),
            Exchange {
                prompt: "p".into(),
                reply: "r".into(),
                session: Some(Session {
                    kind: "claude-code".into(),
                    id: "abc".into(),
                }),
            },
        ];
        assert_eq!(from_term(&to_term(&exchanges)), exchanges);
        assert_eq!(from_term(&Term::Nil), []);
    }

    #[test]
    fn context_quotes_every_exchange_before_the_new_text() {
        assert_eq!(with_context(&[], "hi"), "hi");
        let text = with_context(&[exchange(1, 2)], "next");
        assert!(
            text.contains("<user>\n1\n</user>\n<you>\nxx\n</you>"),
            "{text}"
        );
        assert!(text.ends_with("Now the user says:\n\nnext"), "{text}");
    }
}
