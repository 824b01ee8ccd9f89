//! The printer: the lossless syntax tree to a [`Doc`].
//!
//! Each delimited form becomes one group. Between two items the printer puts a separator
//! chosen from the form's shape (from the rules table) and from what the user wrote:
//!
//! * a line break the user wrote (or a comment that ends a line) is kept as a hard break,
//!   and two or more become one blank line; breaks right after an opener and before a
//!   closer are dropped;
//! * elsewhere, a separator the rules keep on one line is a plain space (`(let [` …, a map
//!   key and its value), a pair separator in a broken `cond`/`case`/`match`/binding
//!   vector/map is a hard break, and any other separator is a soft break in a form that was
//!   on one line (the group breaks all of them or none) or a fill break in a form the user
//!   already broke (it breaks only if the next piece does not fit).
//!
//! Broken lines are indented by the rules: 2 from the open paren for special forms, under
//! the first argument for calls (or 1 from the paren when the first argument has its own
//! line), under the first element for data. The continuation lines of a call share one
//! column, which keeps the user's indentation when it is sensible; see [`Indent::Lenient`].

use std::borrow::Cow;

use crate::format::doc::{BreakKind, Doc, Indent, MarkId};
use crate::format::rules::{self, Header, Rule};
use crate::format::trivia::{self, Item, ItemKind, Items};
use crate::syntax::lexer::TokenKind;
use crate::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};

/// Builds documents for one source text.
pub struct Printer<'s> {
    text: &'s str,
    marks: MarkId,
}

/// What kind of position a form is in.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    /// Quoted data: lists are not calls.
    data: bool,
    /// The binding vector of `let`/`loop`.
    bindings: bool,
}

/// What broken lines of a form are indented relative to.
#[derive(Debug, Clone, Copy)]
enum Base {
    /// The open paren plus this many columns.
    Open(u32),
    /// The column of the form with this index (forms before it: the open paren plus 1).
    Align(usize),
    /// cljfmt's fallback for a `block N` form whose user put argument `probe` = N+1 on the
    /// head's line: a fill break before that argument (to the open paren plus 2), and later
    /// lines under the first argument if the argument stayed on the head's line, else at the
    /// open paren plus 2 ([`Indent::Hanging`]).
    Fallback {
        /// N+1.
        probe: usize,
    },
}

/// How one delimited form is laid out; forms are numbered from 0 (the head of a call).
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Forms `1..=hang` follow the previous form with a space rather than a break.
    hang: usize,
    /// Indentation of broken lines.
    base: Base,
    /// Forms from this index on come in pairs, one pair per line when broken.
    pairs_from: Option<usize>,
    /// Separators are fill breaks even when the form was on one line (lists of atoms).
    fill: bool,
    /// Continuation lines keep sensible user indentation ([`Indent::Lenient`]).
    lenient: bool,
    /// Arguments are data (`quote`).
    quote: bool,
    /// Form 1 is a binding vector.
    bindings: bool,
    /// A keyword argument and the value after it stay on one line (`:timeout "5m"`).
    glue: bool,
    /// The second form of a pair moves to its own line when it does not fit after the
    /// first ([`BreakKind::Pair`]): the pairs of `cond`, `case` and `match`.
    pair_break: bool,
}

impl Shape {
    fn pairs() -> Self {
        Shape {
            hang: 0,
            base: Base::Align(0),
            pairs_from: Some(0),
            fill: false,
            lenient: false,
            quote: false,
            bindings: false,
            glue: false,
            pair_break: false,
        }
    }

    fn data(fill: bool) -> Self {
        Shape {
            pairs_from: None,
            fill,
            ..Shape::pairs()
        }
    }

    /// Whether form `k` is the second of a pair.
    fn pair_second(&self, k: usize) -> bool {
        self.pairs_from.is_some_and(|p| k > p && (k - p) % 2 == 1)
    }
}

/// The marks of one delimited form, and where its continuation lines go.
#[derive(Debug, Clone, Copy)]
struct Marks {
    /// At the opener.
    open: MarkId,
    /// At the form that later lines align under, if any.
    align: MarkId,
    /// At argument N+1 of a [`Base::Fallback`] form.
    probe: MarkId,
    /// For a call whose first argument hangs: the one column all its continuation lines
    /// start at, from the first continuation line the user wrote ([`Indent::Lenient`]).
    continuation: Option<Indent>,
}

impl<'s> Printer<'s> {
    /// A printer for `text`.
    pub fn new(text: &'s str) -> Self {
        Printer { text, marks: 0 }
    }

    /// How many marks the documents built so far use.
    pub fn marks(&self) -> usize {
        self.marks as usize
    }

    fn mark(&mut self) -> MarkId {
        self.marks += 1;
        self.marks - 1
    }

    fn slice(&self, element: &SyntaxElement) -> &'s str {
        &self.text[element.range().as_range()]
    }

    /// The document for a whole file: top-level forms each on their own line, comments and
    /// up to one blank line between them kept.
    pub fn root(&mut self, root: &'s SyntaxNode) -> Doc<'s> {
        let Items { items, .. } = trivia::items(&root.children, self.text);
        let mut docs = Vec::with_capacity(items.len() * 2);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                let prev = &items[i - 1];
                let kind = if item.newlines >= 2 {
                    Some(BreakKind::Blank)
                } else if item.newlines == 1
                    || prev.is_line_comment()
                    || (item.is_form() && prev.is_form())
                {
                    Some(BreakKind::Hard)
                } else {
                    None
                };
                docs.push(match kind {
                    Some(kind) => Doc::brk(kind, Indent::Column(0)),
                    None => Doc::space(),
                });
            }
            docs.push(self.item(item, Ctx::default()));
        }
        Doc::Concat(docs)
    }

    fn item(&mut self, item: &Item<'s>, ctx: Ctx) -> Doc<'s> {
        match item.kind {
            ItemKind::Form(e) => self.element(e, ctx),
            ItemKind::LineComment(r) => Doc::Comment(Cow::Borrowed(trivia::line_comment(
                &self.text[r.as_range()],
            ))),
            ItemKind::BlockComment(r) => Doc::text(trivia::comment_lines(&self.text[r.as_range()])),
            ItemKind::DatumComment(n) => Doc::text(trivia::datum_comment(n, self.text)),
        }
    }

    fn element(&mut self, element: &'s SyntaxElement, ctx: Ctx) -> Doc<'s> {
        match element {
            SyntaxElement::Token(_) => Doc::text(self.slice(element)),
            SyntaxElement::Node(n) => match n.kind {
                NodeKind::List | NodeKind::Vector | NodeKind::Map => self.delimited(n, ctx),
                NodeKind::Quote
                | NodeKind::Quasiquote
                | NodeKind::Unquote
                | NodeKind::UnquoteSplicing => self.prefixed(n, ctx),
                NodeKind::DatumComment => Doc::text(trivia::datum_comment(n, self.text)),
                // Only in files with read errors, which are never formatted.
                NodeKind::Root | NodeKind::Error => Doc::text(self.slice(element)),
            },
        }
    }

    /// `'x`, `` `x ``, `,x`, `,@x`: the prefix joined to its form. A chain of prefixes with
    /// nothing but whitespace between them (`''x`, `` ` `x ``) is printed as one piece of
    /// text (joined, as it prints the next time), without recursion, as the reader does not
    /// limit how long such chains are.
    fn prefixed(&mut self, node: &'s SyntaxNode, ctx: Ctx) -> Doc<'s> {
        let start = node.range.start as usize;
        let mut ctx = ctx;
        let mut node = node;
        let mut joined: Option<String> = None;
        loop {
            if node.kind == NodeKind::Quote {
                ctx = Ctx {
                    data: true,
                    bindings: false,
                };
            }
            let (prefix, rest) = match node.children.split_first() {
                Some((SyntaxElement::Token(prefix), rest)) => (prefix, rest),
                _ => break,
            };
            let blank = |e: &SyntaxElement| matches!(e, SyntaxElement::Token(t) if t.kind == TokenKind::Whitespace);
            let inner = rest.iter().position(|e| !blank(e));
            match inner.map(|i| (i, &rest[i])) {
                Some((i, SyntaxElement::Node(inner)))
                    if inner.kind.is_prefix() && inner.kind != NodeKind::DatumComment =>
                {
                    if i > 0 || joined.is_some() {
                        // Whitespace inside the chain: collect the prefixes one by one.
                        let text = joined.get_or_insert_with(|| {
                            self.text[start..prefix.range.start as usize]
                                .chars()
                                .filter(|c| !c.is_whitespace())
                                .collect()
                        });
                        text.push_str(&self.text[prefix.range.as_range()]);
                    }
                    node = inner;
                }
                _ => break,
            }
        }
        let Some((prefix, rest)) = node.children.split_first() else {
            return Doc::nil();
        };
        let prefix: Cow<'s, str> = match joined {
            Some(mut text) => {
                text.push_str(self.slice(prefix));
                Cow::Owned(text)
            }
            // The prefixes of the chain are adjacent in the source.
            None => Cow::Borrowed(&self.text[start..prefix.range().end as usize]),
        };
        let Items { items, .. } = trivia::items(rest, self.text);
        let mark = self.mark();
        let indent = Indent::Mark { mark, delta: 0 };
        let mut docs = vec![Doc::Mark(mark), Doc::text(prefix)];
        for (i, item) in items.iter().enumerate() {
            let prev_line_comment = i > 0 && items[i - 1].is_line_comment();
            if prev_line_comment || (item.newlines > 0 && !item.is_form()) {
                docs.push(Doc::brk(BreakKind::Hard, indent));
            } else if i > 0 {
                docs.push(Doc::space());
            } else if let ItemKind::Form(e) = item.kind {
                // `, @x` is `,` applied to the symbol `@x`; joined it would read as `,@x`.
                if node.kind == NodeKind::Unquote && self.slice(e).starts_with('@') {
                    docs.push(Doc::space());
                }
            }
            docs.push(self.item(item, ctx));
        }
        Doc::Concat(docs)
    }

    /// A list, vector or map.
    fn delimited(&mut self, node: &'s SyntaxNode, ctx: Ctx) -> Doc<'s> {
        let children = &node.children;
        let closed = node.is_closed();
        let (Some(opener), Some(inner)) = (
            children.first(),
            children.get(1..children.len() - usize::from(closed)),
        ) else {
            return Doc::text(self.slice_node(node));
        };
        let Items { items, trailing } = trivia::items(inner, self.text);
        let preserve = self.slice_node(node).contains('\n');
        let forms: Vec<&SyntaxElement> = items
            .iter()
            .filter_map(|i| match i.kind {
                ItemKind::Form(e) => Some(e),
                _ => None,
            })
            .collect();
        let shape = self.shape(node, &items, &forms, ctx, preserve);
        let mut marks = Marks {
            open: self.mark(),
            align: self.mark(),
            probe: self.mark(),
            continuation: None,
        };
        if shape.lenient {
            marks.continuation = self.continuation(node, &items, marks);
        }

        let mut docs = Vec::with_capacity(items.len() * 2 + 4);
        docs.push(Doc::Mark(marks.open));
        docs.push(Doc::text(self.slice(opener)));
        let mut k = 0;
        // Where the last item went when it started a line.
        let mut last_indent = None;
        for (i, item) in items.iter().enumerate() {
            let prev_line_comment = i > 0 && items[i - 1].is_line_comment();
            last_indent = None;
            if i == 0 {
                if !item.is_form() && item.newlines > 0 {
                    let indent = slot(&shape, marks, 0);
                    last_indent = Some(indent);
                    docs.push(Doc::brk(BreakKind::Hard, indent));
                }
            } else if prev_line_comment || item.newlines > 0 {
                let kind = if item.newlines >= 2 {
                    BreakKind::Blank
                } else {
                    BreakKind::Hard
                };
                let indent = slot(&shape, marks, k);
                last_indent = Some(indent);
                docs.push(Doc::brk(kind, indent));
            } else if !item.is_form() {
                docs.push(Doc::space());
            } else {
                let glued = shape.glue
                    && k >= 2
                    && is_keyword(self.text, forms[k - 1])
                    && !is_keyword(self.text, forms[k]);
                docs.push(separator(&shape, marks, k, preserve, glued));
            }
            if let ItemKind::Form(e) = item.kind {
                match shape.base {
                    Base::Align(a) if a == k => docs.push(Doc::Mark(marks.align)),
                    Base::Fallback { probe } => {
                        if k == 1 {
                            docs.push(Doc::Mark(marks.align));
                        }
                        if k == probe {
                            docs.push(Doc::Mark(marks.probe));
                        }
                    }
                    _ => {}
                }
                let ctx = child_ctx(&shape, k, ctx);
                docs.push(self.element(e, ctx));
                k += 1;
            } else {
                docs.push(self.item(item, ctx));
            }
        }
        if closed {
            if items.last().is_some_and(Item::is_line_comment) {
                // Under the comment if it has its own line, else where a next form would go.
                let indent = last_indent.unwrap_or_else(|| slot(&shape, marks, k));
                docs.push(Doc::brk(BreakKind::Hard, indent));
            } else if trailing.newlines == 0 && trailing.any && keeps_a_line_break(&items) {
                // Kept (as one space) in a form that keeps one of the user's line breaks,
                // so that the language reference's seed program, which has `"…" )))`, is a
                // fixed point; see the module documentation.
                docs.push(Doc::space());
            }
            if let Some(closer) = children.last() {
                docs.push(Doc::text(self.slice(closer)));
            }
        }
        Doc::group(Doc::Concat(docs))
    }

    /// The continuation column of a call whose first argument hangs, if the user started a
    /// later argument (or a comment) on a new line: that line's indentation relative to the
    /// opener line's, which [`Indent::Lenient`] keeps if it is sensible.
    fn continuation(&self, node: &SyntaxNode, items: &[Item<'s>], marks: Marks) -> Option<Indent> {
        let mut k = 0;
        for (i, item) in items.iter().enumerate() {
            let starts_line = i > 0 && (item.newlines > 0 || items[i - 1].is_line_comment());
            if starts_line && k >= 2 {
                let line = trivia::line_indent_at(self.text, node.range.start as usize);
                return Some(Indent::Lenient {
                    opener: marks.open,
                    align: marks.align,
                    offset: item.column as i64 - line as i64,
                });
            }
            if item.is_form() {
                k += 1;
            }
        }
        None
    }

    fn slice_node(&self, node: &SyntaxNode) -> &'s str {
        &self.text[node.range.as_range()]
    }

    fn shape(
        &self,
        node: &SyntaxNode,
        items: &[Item<'s>],
        forms: &[&SyntaxElement],
        ctx: Ctx,
        preserve: bool,
    ) -> Shape {
        let atoms_only = || forms.iter().all(|f| matches!(f, SyntaxElement::Token(_)));
        match node.kind {
            NodeKind::Map => Shape::pairs(),
            NodeKind::Vector if ctx.bindings => Shape::pairs(),
            NodeKind::Vector => Shape::data(atoms_only()),
            _ if ctx.data => Shape::data(atoms_only()),
            _ => self.call_shape(items, forms, preserve),
        }
    }

    fn call_shape(&self, items: &[Item<'s>], forms: &[&SyntaxElement], preserve: bool) -> Shape {
        let head = match forms.first() {
            Some(SyntaxElement::Token(t)) if t.kind == TokenKind::Atom => {
                Some(&self.text[t.range.as_range()])
            }
            _ => None,
        };
        let is_vector = |i: usize| {
            forms
                .get(i)
                .and_then(|f| f.as_node())
                .is_some_and(|n| n.kind == NodeKind::Vector)
        };
        let on_head_line = head_line_forms(items);
        let special = Shape {
            hang: 0,
            base: Base::Open(2),
            pairs_from: None,
            fill: false,
            lenient: false,
            quote: false,
            bindings: false,
            glue: false,
            pair_break: false,
        };
        match head.and_then(rules::rule) {
            Some(Rule::Inner(header)) => {
                let hang = match header {
                    Header::Name => 1,
                    Header::NameParams if is_vector(2) => 2,
                    Header::NameParams => 1,
                    Header::OptionalNameParams if is_vector(1) => 1,
                    Header::OptionalNameParams if is_vector(2) => 2,
                    Header::OptionalNameParams => 0,
                };
                Shape { hang, ..special }
            }
            Some(Rule::Block {
                args,
                pairs,
                bindings,
            }) => {
                let block = Shape {
                    hang: args,
                    pairs_from: pairs.then_some(args + 1),
                    bindings,
                    pair_break: pairs,
                    ..special
                };
                // cljfmt's block rule: when the user put more than `args` arguments on the
                // head's line, the rest align under the first argument (if argument
                // `args + 1` still fits on the head's line; see `Base::Fallback`).
                if preserve && on_head_line >= args + 2 {
                    Shape {
                        base: Base::Fallback { probe: args + 1 },
                        ..block
                    }
                } else {
                    block
                }
            }
            None => {
                let hanging = on_head_line >= 2;
                Shape {
                    hang: 1,
                    base: if hanging {
                        Base::Align(1)
                    } else {
                        Base::Open(1)
                    },
                    lenient: hanging,
                    quote: head.is_some_and(rules::quotes_arguments),
                    glue: true,
                    ..special
                }
            }
        }
    }
}

/// How many forms share the line of the opener (the head, its first argument, …).
fn head_line_forms(items: &[Item<'_>]) -> usize {
    let mut count = 0;
    for (i, item) in items.iter().enumerate() {
        let breaks = if i == 0 {
            !item.is_form() && item.newlines > 0
        } else {
            item.newlines > 0 || items[i - 1].is_line_comment()
        };
        if breaks {
            break;
        }
        if item.is_form() {
            count += 1;
        }
    }
    count
}

/// Whether the user broke a line between two items (which the printer keeps).
fn keeps_a_line_break(items: &[Item<'_>]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, item)| i > 0 && (item.newlines > 0 || items[i - 1].is_line_comment()))
}

/// Whether a form is a keyword such as `:timeout`.
fn is_keyword(text: &str, form: &SyntaxElement) -> bool {
    matches!(form, SyntaxElement::Token(t)
        if t.kind == TokenKind::Atom && text[t.range.as_range()].starts_with(':'))
}

/// Where a line break before form `k` (or a comment in its place) goes.
fn slot(shape: &Shape, marks: Marks, k: usize) -> Indent {
    if let Some(continuation) = marks.continuation
        && k >= 1
    {
        return continuation;
    }
    let extra = if shape.pair_second(k) { 2 } else { 0 };
    let (mark, delta) = match shape.base {
        _ if k == 0 => (marks.open, 1),
        Base::Open(n) => (marks.open, n),
        Base::Align(a) if k > a => (marks.align, 0),
        Base::Align(_) => (marks.open, 1),
        Base::Fallback { probe } if k > probe => {
            return Indent::Hanging {
                open: marks.open,
                probe: marks.probe,
                align: marks.align,
                delta: extra,
            };
        }
        Base::Fallback { .. } => (marks.open, 2),
    };
    Indent::Mark {
        mark,
        delta: delta + extra,
    }
}

/// The separator before form `k >= 1` when the user wrote no line break there.
fn separator(shape: &Shape, marks: Marks, k: usize, preserve: bool, glued: bool) -> Doc<'static> {
    let indent = slot(shape, marks, k);
    if glued || k <= shape.hang {
        return Doc::space();
    }
    if matches!(shape.base, Base::Fallback { probe } if k == probe) {
        return Doc::brk(BreakKind::Fill, indent);
    }
    if let Some(p) = shape.pairs_from
        && k >= p
    {
        if shape.pair_second(k) {
            return if shape.pair_break {
                Doc::brk(BreakKind::Pair, indent)
            } else {
                Doc::space()
            };
        }
        let kind = if preserve {
            BreakKind::Hard
        } else {
            BreakKind::Soft
        };
        return Doc::brk(kind, indent);
    }
    if preserve || shape.fill {
        Doc::brk(BreakKind::Fill, indent)
    } else {
        Doc::brk(BreakKind::Soft, indent)
    }
}

fn child_ctx(shape: &Shape, k: usize, ctx: Ctx) -> Ctx {
    if ctx.data || (shape.quote && k >= 1) {
        Ctx {
            data: true,
            bindings: false,
        }
    } else {
        Ctx {
            data: false,
            bindings: shape.bindings && k == 1,
        }
    }
}
