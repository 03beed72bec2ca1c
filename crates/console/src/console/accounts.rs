//! The `accounts` command's reply: one row per account in the text (times in UTC), and a
//! JSON list with `name`, `roles`, `character`, `created_ms`, `last_login_ms` (Unix ms, null
//! if never recorded) and `online`.

use std::fmt::Write as _;

use wasmud_world::world::AccountInfo;

/// A Unix time in ms as `YYYY-MM-DD HH:MM` UTC.
fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The text and JSON of `accounts`.
pub fn reply(accounts: &[AccountInfo]) -> (String, serde_json::Value) {
    let json = serde_json::json!({ "accounts": accounts });
    if accounts.is_empty() {
        return ("no accounts".into(), json);
    }
    let mut text = format!(
        "{:<20} {:<22} {:<9} {:<17} {:<17} online",
        "name", "roles", "character", "created (UTC)", "last login (UTC)"
    );
    for a in accounts {
        let last = a.last_login_ms.map_or_else(|| "-".to_owned(), utc);
        write!(
            text,
            "\n{:<20} {:<22} #{:<8} {:<17} {:<17} {}",
            a.name,
            a.roles.join(", "),
            a.character,
            utc(a.created_ms),
            last,
            if a.online { "yes" } else { "no" }
        )
        .expect("write to string");
    }
    (text, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_roles_and_utc_times_and_json_keeps_unix_ms() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(1_796_256_000_000 + 3_723_000), "2026-12-03 01:02");
        let accounts = [AccountInfo {
            name: "Alice".into(),
            roles: vec!["player", "builder"],
            character: 12,
            created_ms: 0,
            last_login_ms: None,
            online: true,
        }];
        let (text, json) = reply(&accounts);
        let row = text.lines().nth(1).unwrap();
        assert!(row.starts_with("Alice"), "{text}");
        assert!(
            row.contains("player, builder") && row.contains("#12"),
            "{text}"
        );
        assert!(row.ends_with("yes") && row.contains(" - "), "{text}");
        assert_eq!(json["accounts"][0]["roles"][1], "builder");
        assert!(json["accounts"][0]["last_login_ms"].is_null());
    }
}
