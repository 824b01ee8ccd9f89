//! What an agent call used: its tokens and what it cost. Each kind reports tokens its own
//! way (OpenAI's `usage` chunk, Anthropic's `message_start`/`message_delta`, Ollama's
//! `prompt_eval_count`/`eval_count`, `claude`'s `result` event, `codex`'s
//! `turn.completed`); `claude` also reports the cost (`total_cost_usd`). For the others the
//! cost is priced from [`PRICES`], a table of known models' list prices; a model not in it
//! has no known cost (and a local `ollama` model costs nothing).
//!
//! Costs are whole micro-dollars (millionths of a US dollar), so sums are exact and the
//! journal holds no floating point.

use duet_sam::Term;
use serde::{Deserialize, Serialize};

/// What one agent call used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// The model that answered, as the kind names it.
    pub model: String,
    /// Tokens of the prompt (the conversation included), cached ones among them.
    pub input_tokens: u64,
    /// Tokens of the reply.
    pub output_tokens: u64,
    /// Tokens of the prompt read from the provider's cache.
    pub cached_tokens: u64,
    /// What the call cost, in micro-dollars: as the tool reported it, or priced from
    /// [`PRICES`]; `None` when neither knows.
    pub cost_microusd: Option<u64>,
}

/// A model's list price, in dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Input tokens not read from the cache.
    pub input: f64,
    /// Input tokens read from the cache.
    pub cached: f64,
    /// Output tokens.
    pub output: f64,
}

/// List prices of known models (USD per million tokens, as published by their providers in
/// 2026), matched by the longest prefix of the model's name (so dated versions match).
pub const PRICES: &[(&str, Price)] = &[
    ("gpt-4o", price(2.50, 1.25, 10.0)),
    ("gpt-4o-mini", price(0.15, 0.075, 0.60)),
    ("gpt-4.1", price(2.00, 0.50, 8.0)),
    ("gpt-4.1-mini", price(0.40, 0.10, 1.60)),
    ("gpt-4.1-nano", price(0.10, 0.025, 0.40)),
    ("gpt-5", price(1.25, 0.125, 10.0)),
    ("gpt-5-mini", price(0.25, 0.025, 2.0)),
    ("o3", price(2.00, 0.50, 8.0)),
    ("o4-mini", price(1.10, 0.275, 4.40)),
    ("claude-opus-4", price(15.0, 1.50, 75.0)),
    ("claude-opus-4-5", price(5.0, 0.50, 25.0)),
    ("claude-sonnet-4", price(3.0, 0.30, 15.0)),
    ("claude-3-5-haiku", price(0.80, 0.08, 4.0)),
    ("claude-haiku-4-5", price(1.0, 0.10, 5.0)),
];

const fn price(input: f64, cached: f64, output: f64) -> Price {
    Price {
        input,
        cached,
        output,
    }
}

/// The list price of `model`, if it is a known one.
pub fn price_of(model: &str) -> Option<Price> {
    PRICES
        .iter()
        .filter(|(prefix, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, price)| *price)
}

impl Usage {
    /// The usage of a call to `kind`'s `model`, its cost priced unless `reported`
    /// (dollars, as a tool reports them).
    pub fn new(
        kind: &str,
        model: &str,
        (input_tokens, output_tokens, cached_tokens): (u64, u64, u64),
        reported: Option<f64>,
    ) -> Usage {
        let priced = || {
            if kind == "ollama" {
                return Some(0);
            }
            let price = price_of(model)?;
            let uncached = input_tokens.saturating_sub(cached_tokens) as f64;
            let dollars = (uncached * price.input
                + cached_tokens as f64 * price.cached
                + output_tokens as f64 * price.output)
                / 1e6;
            Some(microusd(dollars))
        };
        Usage {
            model: model.to_string(),
            input_tokens,
            output_tokens,
            cached_tokens,
            cost_microusd: reported.map(microusd).or_else(priced),
        }
    }

    /// The usage as the term a reply carries to the workflow:
    /// `{:model :input :output :cached :cost-microusd}`.
    pub fn to_term(&self) -> Term {
        let int = |n: u64| Term::Int(i64::try_from(n).unwrap_or(i64::MAX));
        Term::map([
            (key("model"), Term::Str(self.model.as_str().into())),
            (key("input"), int(self.input_tokens)),
            (key("output"), int(self.output_tokens)),
            (key("cached"), int(self.cached_tokens)),
            (
                key("cost-microusd"),
                self.cost_microusd.map_or(Term::Nil, int),
            ),
        ])
    }

    /// The usage [`Usage::to_term`] made `term` from.
    pub fn from_term(term: &Term) -> Option<Usage> {
        let map = term.as_map()?;
        let int = |name: &str| match map.get(&key(name)) {
            Some(Term::Int(n)) => u64::try_from(*n).ok(),
            _ => None,
        };
        Some(Usage {
            model: match map.get(&key("model"))? {
                Term::Str(s) => s.to_string(),
                _ => return None,
            },
            input_tokens: int("input")?,
            output_tokens: int("output")?,
            cached_tokens: int("cached")?,
            cost_microusd: int("cost-microusd"),
        })
    }

    /// Adds `other`'s tokens and cost (a cost unknown on either side stays unknown).
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cached_tokens += other.cached_tokens;
        self.cost_microusd = match (self.cost_microusd, other.cost_microusd) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
}

/// `dollars` in whole micro-dollars, rounded.
fn microusd(dollars: f64) -> u64 {
    (dollars * 1e6).round().max(0.0) as u64
}

fn key(name: &str) -> Term {
    Term::Keyword(name.into())
}

/// Micro-dollars for people: `$0.0123`.
pub fn dollars(microusd: u64) -> String {
    format!("${:.4}", microusd as f64 / 1e6)
}

/// A line for people: `1200 in (200 cached), 300 out, $0.0123`.
impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in", self.input_tokens)?;
        if self.cached_tokens > 0 {
            write!(f, " ({} cached)", self.cached_tokens)?;
        }
        write!(f, ", {} out", self.output_tokens)?;
        match self.cost_microusd {
            Some(cost) => write!(f, ", {}", dollars(cost)),
            None => write!(f, ", cost unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_models_are_priced_by_their_longest_prefix() {
        let mini = price_of("gpt-4o-mini-2024-07-18").unwrap();
        assert_eq!(mini.output, 0.60);
        assert_eq!(price_of("gpt-4o-2024-08-06").unwrap().output, 10.0);
        assert_eq!(price_of("llama3"), None);
        // 1M uncached input and 1M output of gpt-4o: $2.50 + $10; cached tokens are cheaper.
        let usage = Usage::new("openai", "gpt-4o", (1_000_000, 1_000_000, 0), None);
        assert_eq!(usage.cost_microusd, Some(12_500_000));
        let cached = Usage::new("openai", "gpt-4o", (1_000_000, 0, 1_000_000), None);
        assert_eq!(cached.cost_microusd, Some(1_250_000));
        // A tool's own figure wins; local models are free; unknown ones have no cost.
        let claude = Usage::new("claude-code", "claude-sonnet-4", (10, 10, 0), Some(0.0123));
        assert_eq!(claude.cost_microusd, Some(12_300));
        assert_eq!(
            Usage::new("ollama", "llama3", (5, 5, 0), None).cost_microusd,
            Some(0)
        );
        assert_eq!(
            Usage::new("openai", "my-model", (5, 5, 0), None).cost_microusd,
            None
        );
        assert_eq!(claude.to_string(), "10 in, 10 out, $0.0123");
    }

    #[test]
    fn usage_reads_back_from_its_term_and_adds_up() {
        let usage = Usage::new("openai", "gpt-4o", (1200, 300, 200), None);
        assert_eq!(Usage::from_term(&usage.to_term()), Some(usage.clone()));
        let mut total = usage.clone();
        total.add(&usage);
        assert_eq!(total.input_tokens, 2400);
        assert_eq!(total.cost_microusd, usage.cost_microusd.map(|c| c * 2));
        total.add(&Usage::new("openai", "unknown", (1, 1, 0), None));
        assert_eq!(total.cost_microusd, None);
    }
}
