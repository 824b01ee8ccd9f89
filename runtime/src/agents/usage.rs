//! What an agent call used: its tokens and what it cost. Each kind reports tokens its own
//! way (OpenAI's `usage` chunk, Anthropic's `message_start`/`message_delta`, Ollama's
//! `prompt_eval_count`/`eval_count`, `claude`'s `result` event, `codex`'s
//! `turn.completed`); `claude` also reports the cost (`total_cost_usd`). For the others the
//! host prices the tokens ([`Usage::priced`]) from [`Prices`]: a store's own table
//! (`STORE/prices.json`) over [`PRICES`], a table of known models' list prices; a model in
//! neither has no known cost (and a local `ollama` model costs nothing). The cost is fixed
//! before the reply is journaled, so replay never prices again.
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
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// The prices agent calls are costed at: a store's own table over the built-in one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices {
    /// Prices by model-name prefix that win over [`PRICES`].
    own: std::collections::BTreeMap<String, Price>,
}

impl Prices {
    /// The built-in prices only.
    pub fn builtin() -> Prices {
        Prices::default()
    }

    /// The built-in prices under a table read from `json`:
    /// `{"MODEL-PREFIX": {"input": USD, "cached": USD, "output": USD}}`, dollars per million
    /// tokens; or why it is not one.
    pub fn with_table(json: &str) -> Result<Prices, String> {
        serde_json::from_str(json)
            .map(|own| Prices { own })
            .map_err(|e| format!("it is not a price table ({e}); write {{\"MODEL\": {{\"input\": 2.5, \"cached\": 1.25, \"output\": 10}}}}, dollars per million tokens"))
    }

    /// The price of `model`: the longest prefix of its name in the store's table, else in
    /// [`PRICES`].
    pub fn price_of(&self, model: &str) -> Option<Price> {
        let longest = |table: &mut dyn Iterator<Item = (&str, Price)>| {
            table
                .filter(|(prefix, _)| model.starts_with(prefix))
                .max_by_key(|(prefix, _)| prefix.len())
                .map(|(_, price)| price)
        };
        longest(&mut self.own.iter().map(|(k, p)| (k.as_str(), *p)))
            .or_else(|| longest(&mut PRICES.iter().map(|(k, p)| (*k, *p))))
    }
}

impl Usage {
    /// The usage of a call to `kind`'s `model`, with the cost the tool `reported`
    /// (dollars), if it did; a local `ollama` model costs nothing.
    pub fn new(
        kind: &str,
        model: &str,
        (input_tokens, output_tokens, cached_tokens): (u64, u64, u64),
        reported: Option<f64>,
    ) -> Usage {
        let free = (kind == "ollama").then_some(0);
        Usage {
            model: model.to_string(),
            input_tokens,
            output_tokens,
            cached_tokens,
            cost_microusd: reported.map(microusd).or(free),
        }
    }

    /// The usage with its cost priced from `prices` when the agent did not say it.
    pub fn priced(mut self, prices: &Prices) -> Usage {
        if self.cost_microusd.is_none()
            && let Some(price) = prices.price_of(&self.model)
        {
            let uncached = self.input_tokens.saturating_sub(self.cached_tokens) as f64;
            let dollars = (uncached * price.input
                + self.cached_tokens as f64 * price.cached
                + self.output_tokens as f64 * price.output)
                / 1e6;
            self.cost_microusd = Some(microusd(dollars));
        }
        self
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

    fn priced(kind: &str, model: &str, counts: (u64, u64, u64), reported: Option<f64>) -> Usage {
        Usage::new(kind, model, counts, reported).priced(&Prices::builtin())
    }

    #[test]
    fn known_models_are_priced_by_their_longest_prefix() {
        let prices = Prices::builtin();
        let mini = prices.price_of("gpt-4o-mini-2024-07-18").unwrap();
        assert_eq!(mini.output, 0.60);
        assert_eq!(prices.price_of("gpt-4o-2024-08-06").unwrap().output, 10.0);
        assert_eq!(prices.price_of("llama3"), None);
        // 1M uncached input and 1M output of gpt-4o: $2.50 + $10; cached tokens are cheaper.
        let usage = priced("openai", "gpt-4o", (1_000_000, 1_000_000, 0), None);
        assert_eq!(usage.cost_microusd, Some(12_500_000));
        let cached = priced("openai", "gpt-4o", (1_000_000, 0, 1_000_000), None);
        assert_eq!(cached.cost_microusd, Some(1_250_000));
        // A tool's own figure wins; local models are free; unknown ones have no cost.
        let claude = priced("claude-code", "claude-sonnet-4", (10, 10, 0), Some(0.0123));
        assert_eq!(claude.cost_microusd, Some(12_300));
        assert_eq!(
            priced("ollama", "llama3", (5, 5, 0), None).cost_microusd,
            Some(0)
        );
        assert_eq!(
            priced("openai", "my-model", (5, 5, 0), None).cost_microusd,
            None
        );
        assert_eq!(claude.to_string(), "10 in, 10 out, $0.0123");
    }

    #[test]
    fn a_stores_table_wins_over_the_built_in_prices() {
        let prices =
            Prices::with_table(r#"{"gpt-4o": {"input": 1, "cached": 0, "output": 1}, "my-": {"input": 3, "cached": 3, "output": 3}}"#)
                .unwrap();
        assert_eq!(prices.price_of("gpt-4o-mini").unwrap().input, 1.0);
        assert_eq!(prices.price_of("my-model").unwrap().output, 3.0);
        assert_eq!(prices.price_of("o3").unwrap().input, 2.0);
        let usage = Usage::new("openai", "my-model", (1_000_000, 0, 0), None).priced(&prices);
        assert_eq!(usage.cost_microusd, Some(3_000_000));
        let bad = Prices::with_table(r#"{"m": {"in": 1}}"#).unwrap_err();
        assert!(bad.contains("not a price table"), "{bad}");
    }

    #[test]
    fn usage_reads_back_from_its_term_and_adds_up() {
        let usage = priced("openai", "gpt-4o", (1200, 300, 200), None);
        assert_eq!(Usage::from_term(&usage.to_term()), Some(usage.clone()));
        let mut total = usage.clone();
        total.add(&usage);
        assert_eq!(total.input_tokens, 2400);
        assert_eq!(total.cost_microusd, usage.cost_microusd.map(|c| c * 2));
        total.add(&priced("openai", "unknown", (1, 1, 0), None));
        assert_eq!(total.cost_microusd, None);
    }
}
