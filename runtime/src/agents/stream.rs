//! Reading replies as they stream: lines out of chunks of bytes ([`Lines`]), and Server-Sent
//! Events out of lines ([`Sse`]). OpenAI-compatible servers and Anthropic stream SSE,
//! Ollama streams one JSON object a line (NDJSON), and the command-line agents print one
//! JSON object a line on standard output.
//!
//! Chunks may end anywhere — inside a line, inside a UTF-8 character, between the `\r` and
//! the `\n` of a CRLF — so bytes wait in [`Lines`] until their line is complete. The SSE
//! parser follows the WHATWG rules that servers use: `event:` names the event, `data:`
//! lines (one space after the colon dropped) join with `\n`, a line starting with `:` is a
//! comment (a keep-alive), `id:` and `retry:` are read and ignored, and an empty line ends
//! the event. Lines end with `\n` or `\r\n` (a lone `\r` is not taken as a line end).

/// Splits bytes into lines as they arrive.
#[derive(Debug, Default)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// The lines `bytes` completes, without their line ends (`\n` or `\r\n`). Bytes that are
    /// not UTF-8 are replaced (U+FFFD).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let Some(last) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        complete[..complete.len() - 1]
            .split(|&b| b == b'\n')
            .map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                String::from_utf8_lossy(line).into_owned()
            })
            .collect()
    }

    /// The last line, when the bytes ended without a line end.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        let rest = rest.strip_suffix(b"\r").unwrap_or(&rest);
        (!rest.is_empty()).then(|| String::from_utf8_lossy(rest).into_owned())
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its `event:` name, empty when it has none (the default type, `message`).
    pub name: String,
    /// Its `data:` lines joined with `\n`.
    pub data: String,
}

/// Reads Server-Sent Events out of bytes as they arrive.
#[derive(Debug, Default)]
pub struct Sse {
    lines: Lines,
    name: String,
    data: String,
    has_data: bool,
}

impl Sse {
    /// The events `bytes` completes.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let lines = self.lines.feed(bytes);
        lines.iter().filter_map(|line| self.line(line)).collect()
    }

    /// The event the stream's end completes: the last one, when the server closed the
    /// stream without the empty line that ends it.
    pub fn finish(&mut self) -> Option<Event> {
        if let Some(line) = self.lines.finish()
            && let Some(event) = self.line(&line)
        {
            return Some(event);
        }
        self.line("")
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let name = std::mem::take(&mut self.name);
            let data = std::mem::take(&mut self.data);
            // An event without data is no event (its name is forgotten).
            return std::mem::take(&mut self.has_data).then_some(Event { name, data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.name = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, data: &str) -> Event {
        Event {
            name: name.into(),
            data: data.into(),
        }
    }

    #[test]
    fn lines_wait_for_their_end_across_chunks() {
        let mut lines = Lines::default();
        assert!(lines.feed(b"{\"a\":").is_empty());
        assert_eq!(lines.feed(b"1}\r\n{\"b\""), ["{\"a\":1}"]);
        assert_eq!(lines.feed(b":2}\n\n"), ["{\"b\":2}", ""]);
        assert_eq!(lines.feed(b"tail"), Vec::<String>::new());
        assert_eq!(lines.finish().as_deref(), Some("tail"));
        assert_eq!(lines.finish(), None);
    }

    #[test]
    fn a_character_split_between_chunks_is_whole() {
        let bytes = "data: héllo ✓\n\n".as_bytes();
        for cut in 0..bytes.len() {
            let mut sse = Sse::default();
            let mut events = sse.feed(&bytes[..cut]);
            events.extend(sse.feed(&bytes[cut..]));
            assert_eq!(events, [event("", "héllo ✓")], "cut at {cut}");
        }
    }

    #[test]
    fn events_have_names_joined_data_and_skip_comments() {
        let mut sse = Sse::default();
        let events = sse.feed(
            b": keep-alive\r\n\r\nevent: ping\r\ndata: {}\r\n\r\nid: 7\nretry: 10\ndata:a\ndata:  b\ndata\n\nevent: lonely\n\n",
        );
        assert_eq!(events, [event("ping", "{}"), event("", "a\n b\n")]);
        // A last event the server did not end with an empty line still counts.
        assert!(sse.feed(b"data: [DONE]").is_empty());
        assert_eq!(sse.finish(), Some(event("", "[DONE]")));
        assert_eq!(sse.finish(), None);
    }
}
