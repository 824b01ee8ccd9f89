//! Whether a rename keeps the program's meaning. The renamed program is analysed again, as
//! it would be after the edits: every name must still refer to what it referred to (the
//! renamed symbol to itself under its new name), no name may start or stop resolving, and no
//! new diagnostic may appear (a name that now shadows a builtin, a role or a global, a second
//! state of the same name, …). Anything else is refused with the first difference found.

use std::collections::{BTreeMap, HashMap};

use duet_lang::span::{FileId, Span, TextRange};

use super::analysis::{Analysis, MAIN, Symbol};
use super::rename::Refusal;

/// Refuses the rename of `old` to `new`, which replaces the byte ranges `edits` (in any
/// file of the analysis) with `new`, when it would change what the program means.
pub fn check(a: &Analysis, edits: &[Span], old: &str, new: &str) -> Result<(), Refusal> {
    let mut by_file: BTreeMap<FileId, Vec<TextRange>> = BTreeMap::new();
    for span in edits {
        by_file.entry(span.file).or_default().push(span.range);
    }
    for ranges in by_file.values_mut() {
        ranges.sort_by_key(|r| r.start);
        ranges.dedup();
    }
    let mut main = a.text().to_string();
    let mut overlay = BTreeMap::new();
    for (&file, ranges) in &by_file {
        let source = a.checked.sources.get(file);
        let edited = apply(&source.text, ranges, new);
        if file == MAIN {
            main = edited;
        } else {
            overlay.insert(source.name.clone(), edited);
        }
    }
    let after = Analysis::with_overlay(&a.uri, &main, &overlay);
    let refuse = |why: String| Err(format!("cannot rename `{old}` to `{new}`: {why}"));

    // Every occurrence before, at the place it moves to, and every occurrence after.
    let mut before: BTreeMap<(String, usize), (&Symbol, Span)> = BTreeMap::new();
    for o in &a.occurrences {
        let source = a.checked.sources.get(o.span.file);
        let ranges = by_file.get(&o.span.file).map_or(&[][..], Vec::as_slice);
        let at = shifted(ranges, new.len(), o.span.range.start as usize);
        before
            .entry((source.name.clone(), at))
            .or_insert((&o.symbol, o.span));
    }
    let mut now: BTreeMap<(String, usize), (&Symbol, Span)> = BTreeMap::new();
    for o in &after.occurrences {
        let source = after.checked.sources.get(o.span.file);
        now.entry((source.name.clone(), o.span.range.start as usize))
            .or_insert((&o.symbol, o.span));
    }
    let mut forward: HashMap<&Symbol, &Symbol> = HashMap::new();
    let mut backward: HashMap<&Symbol, &Symbol> = HashMap::new();
    let keys: std::collections::BTreeSet<&(String, usize)> =
        before.keys().chain(now.keys()).collect();
    for key in keys {
        match (before.get(key), now.get(key)) {
            (Some(&(was, span)), Some(&(is, _))) => {
                let consistent = *forward.entry(was).or_insert(is) == is
                    && *backward.entry(is).or_insert(was) == was;
                if !consistent {
                    let (written, renamed) = (a.slice(span), after.slice(now[key].1));
                    return refuse(if written == renamed {
                        format!(
                            "the `{written}` at {} names {} now, and would name {}",
                            place(a, span),
                            a.describe(was),
                            after.describe(is)
                        )
                    } else {
                        format!(
                            "the `{written}` at {}, renamed, would name {} instead of {}",
                            place(a, span),
                            after.describe(is),
                            a.describe(was)
                        )
                    });
                }
            }
            (Some(&(was, span)), None) => {
                return refuse(format!(
                    "the `{}` at {} names {} now, and would name nothing",
                    a.slice(span),
                    place(a, span),
                    a.describe(was)
                ));
            }
            (None, Some(&(is, span))) => {
                return refuse(format!(
                    "the `{}` at {} would name {}",
                    after.slice(span),
                    place(&after, span),
                    after.describe(is)
                ));
            }
            (None, None) => {}
        }
    }

    // A diagnostic the renamed program has more of.
    let mut counts: BTreeMap<&str, isize> = BTreeMap::new();
    for d in &a.checked.diagnostics {
        *counts.entry(d.code.id).or_default() -= 1;
    }
    for d in &after.checked.diagnostics {
        *counts.entry(d.code.id).or_default() += 1;
    }
    let messages: Vec<&str> = a
        .checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    let added = after
        .checked
        .diagnostics
        .iter()
        .filter(|d| counts.get(d.code.id).is_some_and(|&n| n > 0))
        .min_by_key(|d| messages.contains(&d.message.as_str()));
    match added {
        Some(d) => refuse(format!("{} ({})", d.message, d.code.id)),
        None => Ok(()),
    }
}

/// `text` with each of the sorted, disjoint `ranges` replaced by `new`.
fn apply(text: &str, ranges: &[TextRange], new: &str) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * new.len());
    let mut at = 0;
    for r in ranges {
        out.push_str(&text[at..r.start as usize]);
        out.push_str(new);
        at = r.end as usize;
    }
    out.push_str(&text[at..]);
    out
}

/// Where `offset` moves when the sorted `ranges` before it are replaced by `new_len` bytes.
fn shifted(ranges: &[TextRange], new_len: usize, offset: usize) -> usize {
    ranges
        .iter()
        .take_while(|r| r.end as usize <= offset)
        .fold(offset, |at, r| at + new_len - r.len())
}

/// "line 3", or "line 3 of lib.lisp" for another file.
fn place(a: &Analysis, span: Span) -> String {
    let source = a.checked.sources.get(span.file);
    let (line, _) = source.line_col(span.range.start as usize);
    if span.file == MAIN {
        format!("line {line}")
    } else {
        format!("line {line} of `{}`", source.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_shift_past_the_edits_before_them() {
        let ranges = [TextRange::new(2, 5), TextRange::new(10, 11)];
        assert_eq!(apply("0123456789ab", &ranges, "xy"), "01xy56789xyb");
        assert_eq!(shifted(&ranges, 2, 1), 1);
        assert_eq!(shifted(&ranges, 2, 2), 2);
        assert_eq!(shifted(&ranges, 2, 6), 5);
        assert_eq!(shifted(&ranges, 2, 11), 11);
    }
}
