//! What a run's agents cost, as `duet status` shows it: a total against the budget, then
//! one line per role and model.

use duet_runtime::agents::usage::dollars;
use duet_runtime::workflow::agents::Budget;
use serde_json::{Value, json};

/// The lines for people; none when no agent call reported its usage and no budget is set.
pub fn lines(budget: &Budget) -> Vec<String> {
    if budget.calls == 0 && budget.limit_microusd.is_none() {
        return Vec::new();
    }
    let of = budget
        .limit_microusd
        .map(|limit| format!(" of {}", dollars(limit)))
        .unwrap_or_default();
    let unpriced = match budget.unpriced {
        0 => String::new(),
        n => format!(" ({n} of unknown cost)"),
    };
    let mut lines = vec![format!(
        "spent {}{of} on {} agent calls{unpriced}",
        dollars(budget.spent_microusd),
        budget.calls
    )];
    for ((role, model), usage) in &budget.by_role {
        lines.push(format!("  {role} ({model}): {usage}"));
    }
    lines
}

/// The same as JSON: `{"spent_usd", "budget_usd", "calls", "unpriced_calls", "by_role": [...]}`.
pub fn json(budget: &Budget) -> Value {
    let usd = |microusd: u64| microusd as f64 / 1e6;
    let by_role: Vec<Value> = budget
        .by_role
        .iter()
        .map(|((role, model), usage)| {
            json!({
                "role": role,
                "model": model,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cached_tokens": usage.cached_tokens,
                "cost_usd": usage.cost_microusd.map(usd),
            })
        })
        .collect();
    json!({
        "spent_usd": usd(budget.spent_microusd),
        "budget_usd": budget.limit_microusd.map(usd),
        "calls": budget.calls,
        "unpriced_calls": budget.unpriced,
        "by_role": by_role,
    })
}
