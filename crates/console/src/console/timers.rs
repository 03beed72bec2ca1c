//! The `timers` command's reply: one row per timer in the text, and a JSON list of objects
//! with `object`, `name`, `due_ms` (Unix ms), `interval_ms` (null for a one-shot),
//! `failures`, `parked` and `last_error`.

use std::fmt::Write as _;

use wasmud_world::world::TimerInfo;

/// The most timers one `timers` reply lists (the text says how many more there are).
pub const MAX_LISTED: usize = 1_000;

/// `due` relative to `now`, for people: "in 4.2 s", "1.3 s overdue".
fn relative(due: u64, now: u64) -> String {
    let secs = |ms: u64| ms as f64 / 1e3;
    if due >= now {
        format!("in {:.1} s", secs(due - now))
    } else {
        format!("{:.1} s overdue", secs(now - due))
    }
}

/// The text and JSON of `timers`: `timers` of `total` (all of them, or the first
/// [`MAX_LISTED`]), with due times shown relative to `now` (Unix ms).
pub fn reply(timers: &[TimerInfo], total: u64, now: u64) -> (String, serde_json::Value) {
    let json = serde_json::to_value(timers).unwrap_or_default();
    if timers.is_empty() {
        return ("no timers".into(), json);
    }
    let mut text = format!(
        "{:<8} {:<20} {:<18} {:>11} {:>8}  state",
        "object", "name", "due", "interval", "failures"
    );
    for t in timers {
        let interval = t.interval_ms.map_or_else(
            || "once".to_owned(),
            |ms| format!("{:.1} s", ms as f64 / 1e3),
        );
        let state = match (&t.parked, &t.last_error) {
            (true, Some(e)) => format!("PARKED: {e}"),
            (true, None) => "PARKED".to_owned(),
            (false, Some(e)) => format!("retrying: {e}"),
            (false, None) => "ok".to_owned(),
        };
        write!(
            text,
            "\n#{:<7} {:<20} {:<18} {:>11} {:>8}  {state}",
            t.object,
            t.name,
            relative(t.due_ms, now),
            interval,
            t.failures
        )
        .expect("write to string");
    }
    if total > timers.len() as u64 {
        write!(text, "\n... and {} more", total - timers.len() as u64).expect("write to string");
    }
    (text, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_due_times_relative_to_now_and_json_keeps_unix_ms() {
        let timers = [
            TimerInfo {
                object: 7,
                name: "wander".into(),
                due_ms: 12_500,
                interval_ms: Some(5_000),
                failures: 0,
                parked: false,
                last_error: None,
            },
            TimerInfo {
                object: 9,
                name: "heal".into(),
                due_ms: 9_000,
                interval_ms: None,
                failures: 5,
                parked: true,
                last_error: Some("boom".into()),
            },
        ];
        let (text, json) = reply(&timers, 3, 10_000);
        assert!(text.contains("in 2.5 s"), "{text}");
        assert!(text.contains("1.0 s overdue"), "{text}");
        assert!(text.contains("PARKED: boom"), "{text}");
        assert!(text.ends_with("... and 1 more"), "{text}");
        assert_eq!(json[0]["due_ms"], 12_500);
        assert_eq!(json[0]["interval_ms"], 5_000);
        assert!(json[1]["interval_ms"].is_null());
        assert_eq!(json[1]["object"], 9);
    }
}
