//! ISO 8601 text for Parquet dates and timestamps (proleptic Gregorian, no time zone
//! database: a zoned timestamp is shown in UTC with `Z`).

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD`.
pub(crate) fn date(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z]` for `ticks` at `per_second` ticks a second.
pub(crate) fn datetime(ticks: i64, per_second: i64, utc: bool) -> String {
    let per_second = per_second.max(1);
    let secs = ticks.div_euclid(per_second);
    let frac = ticks.rem_euclid(per_second);
    let (days, s) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let mut out = format!("{}T{:02}:{:02}:{:02}", date(days), s / 3600, s / 60 % 60, s % 60);
    if frac != 0 {
        let width = per_second.ilog10() as usize;
        out.push_str(&format!(".{frac:0width$}"));
    }
    if utc {
        out.push('Z');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(19_782), "2024-02-29");
        assert_eq!(super::date(-1), "1969-12-31");
        assert_eq!(super::datetime(1_709_164_800_500, 1000, true), "2024-02-29T00:00:00.500Z");
    }
}
