//! The error a handler returns to fail its turn. It is data (a [`Term`]) so it can be
//! journaled as the reason an actor crashed.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::term::Term;

/// Why a turn failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    /// The reason, as data (a string for [`Error::msg`]).
    pub reason: Term,
}

impl Error {
    /// An error whose reason is the string `msg`.
    pub fn msg(msg: impl AsRef<str>) -> Error {
        Error {
            reason: Term::str(msg.as_ref()),
        }
    }

    /// An error whose reason is any term.
    pub fn term(reason: Term) -> Error {
        Error { reason }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Term::Str(s) => f.write_str(s),
            t => write!(f, "{t}"),
        }
    }
}

impl std::error::Error for Error {}

/// The result of a handler.
pub type Result<T = ()> = std::result::Result<T, Error>;
