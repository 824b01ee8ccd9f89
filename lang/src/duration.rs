//! Durations as people write them: `"500ms"`, `"30s"`, `"5m"`, `"6h"`, `"14d"`, or a number
//! of milliseconds.

/// Milliseconds in `text`, or a sentence saying what is wrong with it.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits.parse().map_err(|_| {
        format!("`{text}` is not a duration; write \"500ms\", \"30s\", \"5m\", \"6h\" or \"14d\"")
    })?;
    let scale: u64 = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => {
            return Err(format!(
                "`{other}` is not a unit of time; use ms, s, m, h or d (as in \"30s\")"
            ));
        }
    };
    amount
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("500ms"), Ok(500));
        assert_eq!(parse("30s"), Ok(30_000));
        assert_eq!(parse("5m"), Ok(300_000));
        assert_eq!(parse("6h"), Ok(21_600_000));
        assert_eq!(parse("14d"), Ok(1_209_600_000));
        assert_eq!(parse("250"), Ok(250));
        assert!(parse("5 minutes").unwrap_err().contains("unit of time"));
        assert!(parse("soon").unwrap_err().contains("not a duration"));
        assert!(parse("99999999999999999999d").is_err());
    }
}
