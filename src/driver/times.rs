//! Times shown to people: a moment as the local date and time, and a span in the largest
//! units that fit.

/// Milliseconds since the epoch as the local date and time, to the millisecond.
pub fn local_time(ms: u64) -> String {
    let seconds = (ms / 1000) as libc::time_t;
    // SAFETY: `localtime_r` writes only into the `tm` it is given and reads `seconds`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&seconds, &mut tm).is_null() {
            return ms.to_string();
        }
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        ms % 1000
    )
}

/// A span of `ms` milliseconds: `850 ms`, `12.3 s`, `5 min 3 s`, `3 h 12 min`, `2 d 4 h`.
pub fn span(ms: u64) -> String {
    const S: u64 = 1000;
    const MIN: u64 = 60 * S;
    const H: u64 = 60 * MIN;
    const D: u64 = 24 * H;
    match ms {
        ms if ms < S => format!("{ms} ms"),
        ms if ms < MIN => format!("{:.1} s", ms as f64 / S as f64),
        ms if ms < H => format!("{} min {} s", ms / MIN, ms % MIN / S),
        ms if ms < D => format!("{} h {} min", ms / H, ms % H / MIN),
        ms => format!("{} d {} h", ms / D, ms % D / H),
    }
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_use_the_largest_units_that_fit() {
        assert_eq!(span(850), "850 ms");
        assert_eq!(span(12_340), "12.3 s");
        assert_eq!(span(303_000), "5 min 3 s");
        assert_eq!(span(3 * 3_600_000 + 12 * 60_000), "3 h 12 min");
        assert_eq!(span(2 * 86_400_000 + 4 * 3_600_000 + 5), "2 d 4 h");
    }
}
