//! Text from agents, commands and programs shown to people, made harmless for a terminal.
//! A reply or a log line is data, not instructions to the terminal: control characters
//! (ESC and the rest of C0 but tab and newline, DEL, the C1 controls such as the one-byte
//! CSI) and the bidirectional overrides that reorder what is displayed are written out as
//! Duet string escapes (`\u{1b}`, `\r`), so a reply cannot clear the screen, move the
//! cursor, recolour the terminal or hide text. A text of several lines is shown with each
//! line after the first behind a gutter (`  | `), so it cannot fake a line of duet's own
//! (`run: r1 completed`). The program's own output to standard output is never touched.

use std::io::Write;

/// Continuation lines of a multi-line text start with this.
pub const GUTTER: &str = "  | ";

/// Whether `c` is shown as an escape rather than as itself.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character but tab and newline written as an escape.
pub fn escaped(text: &str) -> String {
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `text` on one line: escaped, and its newlines written as `\n`.
pub fn one_line(text: &str) -> String {
    escaped(text).replace('\n', "\\n")
}

/// `text` escaped, its lines after the first behind the [`GUTTER`]; a trailing newline is
/// dropped.
pub fn block(text: &str) -> String {
    let text = escaped(text);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.replace('\n', &format!("\n{GUTTER}"))
}

/// A writer passing text on with control characters escaped (as [`escaped`]): for streams
/// of lines for people that a program's text flows into, such as a script's log.
pub struct Visible<W: Write> {
    inner: W,
    /// The start of a UTF-8 character cut by the end of the last write.
    pending: Vec<u8>,
}

impl<W: Write> Visible<W> {
    /// Escapes what is written before passing it to `inner`.
    pub fn new(inner: W) -> Self {
        Visible {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<W: Write> Write for Visible<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // A character cut at the end waits for the rest; bad bytes pass as they are.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let chunk: Vec<u8> = self.pending.drain(..valid).collect();
        let text = String::from_utf8_lossy(&chunk);
        self.inner.write_all(escaped(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.inner
                .write_all(escaped(&String::from_utf8_lossy(&rest)).as_bytes())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Visible<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(escaped("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(escaped("\x1b[2J\x1b[Hdone"), "\\u{1b}[2J\\u{1b}[Hdone");
        assert_eq!(escaped("50%\rrun: r1 completed"), "50%\\rrun: r1 completed");
        assert_eq!(escaped("\u{9b}31m\u{7}\u{7f}"), "\\u{9b}31m\\u{7}\\u{7f}");
        assert_eq!(escaped("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escaped("héllo ✓"), "héllo ✓");
        assert_eq!(one_line("a\nb\x1b"), "a\\nb\\u{1b}");
        assert_eq!(
            block("first\nrun: r1 completed\n"),
            "first\n  | run: r1 completed"
        );
    }

    #[test]
    fn the_writer_escapes_across_writes() {
        let mut out = Vec::new();
        {
            let mut visible = Visible::new(&mut out);
            let bytes = "é\x1b[31m\u{9b}".as_bytes();
            for b in bytes {
                visible.write_all(&[*b]).unwrap();
            }
        }
        assert_eq!(String::from_utf8(out).unwrap(), "é\\u{1b}[31m\\u{9b}");
    }
}
