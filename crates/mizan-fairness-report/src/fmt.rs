//! Small formatting helpers shared by the text and HTML renderers: numbers (NaN shown as a
//! dash), intervals, group labels, HTML escaping and lookups into the report.

use mizan_fairness::bootstrap::Summary;
use mizan_fairness::report::{GroupEntry, RateEntry, Report};
use mizan_fairness::stats::Interval;

/// What a missing number looks like.
pub const NA: &str = "–";

/// `v` with `digits` decimals, `∞` for an infinite ratio (a rate over a zero rate), or [`NA`].
pub fn num(v: f64, digits: usize) -> String {
    if v.is_nan() {
        NA.to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "∞".to_owned() } else { "−∞".to_owned() }
    } else {
        format!("{v:.digits$}")
    }
}

/// `v` as a percentage with one decimal, or [`NA`].
pub fn pct(v: f64) -> String {
    if v.is_nan() { NA.to_owned() } else { format!("{:.1}%", v * 100.0) }
}

/// A p-value: three decimals, `<0.001` below that, or [`NA`].
pub fn p_value(p: f64) -> String {
    if p.is_nan() {
        NA.to_owned()
    } else if p < 0.001 {
        "<0.001".to_owned()
    } else {
        format!("{p:.3}")
    }
}

/// `[lo, hi]` with `digits` decimals, or [`NA`] when either bound is undefined.
pub fn interval(i: &Interval, digits: usize) -> String {
    if i.lo.is_nan() || i.hi.is_nan() {
        NA.to_owned()
    } else {
        format!("[{:.digits$}, {:.digits$}]", i.lo, i.hi)
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // A value from a decisions file may carry controls no document should (a vertical
            // tab, NUL): shown as the replacement character.
            '\t' | '\n' | '\r' => out.push(ch),
            c if c < ' ' || c == '\u{7F}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A group's values joined with " × ", after its stratum when there is one.
pub fn group_label(g: &GroupEntry) -> String {
    let values = g.group.join(" × ");
    match &g.stratum {
        Some(s) => format!("{s} · {values}"),
        None => values,
    }
}

/// One named rate of a group.
pub fn rate<'r>(g: &'r GroupEntry, metric: &str) -> Option<&'r RateEntry> {
    g.rates.iter().find(|r| r.metric == metric)
}

/// The bootstrap summary of a definition ID, if bootstrapped.
pub fn boot<'r>(r: &'r Report, id: &str) -> Option<&'r Summary> {
    r.bootstrap.as_ref()?.summaries.iter().find(|s| s.id == id)
}

/// The bootstrap interval of `id`, but only when its estimate is the very value shown
/// (a preset may judge a variant computed with another minimum group size).
pub fn boot_interval(r: &Report, id: &str, value: f64) -> Option<Interval> {
    let s = boot(r, id)?;
    let same = s.estimate.to_bits() == value.to_bits() || (s.estimate.is_nan() && value.is_nan());
    same.then_some(s.interval)
}

/// One row of the worst-case summaries: definition ID, value, bootstrap interval and bias
/// (both [`NA`] without a bootstrap), for every scalar and the smallest impact ratio.
pub fn summary_rows(r: &Report) -> Vec<[String; 4]> {
    let mut ids: Vec<(String, f64)> = r.scalars.iter().map(|s| (s.id.clone(), s.value)).collect();
    if let Some(s) = boot(r, mizan_fairness::bootstrap::IMPACT_RATIO_MIN) {
        ids.push((s.id.clone(), s.estimate));
    }
    ids.into_iter()
        .map(|(id, value)| {
            let ci = boot_interval(r, &id, value).map_or_else(|| NA.to_owned(), |i| interval(&i, 3));
            let bias = boot(r, &id)
                .filter(|s| !s.bias.is_nan())
                .map_or_else(|| NA.to_owned(), |s| format!("{:+.3}", s.bias));
            [id, num(value, 4), ci, bias]
        })
        .collect()
}

/// What the bias column means.
pub const BIAS_NOTE: &str = "bias: mean of the bootstrap replicates minus the value. Worst-case summaries \
    (a largest gap or smallest ratio over groups) lean towards larger disparities when groups are many or small, \
    and so do their intervals; a large bias says to read the interval with care.";

/// A readable name for a definition ID.
pub fn metric_name(id: &str) -> String {
    if let Some(name) = aif360_name(id) {
        return name.to_owned();
    }
    match id {
        "mizan:impact_ratio:min" => "smallest impact ratio (selection rate / highest group's)".to_owned(),
        _ => {
            let parts: Vec<&str> = id.split(':').collect();
            match parts.as_slice() {
                [_, name, rest @ ..] => {
                    let mut s = name.replace('_', " ");
                    if !rest.is_empty() {
                        s.push_str(&format!(" ({})", rest.join(", ").replace('_', " ")));
                    }
                    s
                }
                _ => id.to_owned(),
            }
        }
    }
}

/// AIF360's metrics in plain words ("unprivileged" is everyone outside the privileged group).
fn aif360_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "aif360:statistical_parity_difference" => {
            "statistical parity difference (unprivileged minus privileged rate of favourable decisions)"
        }
        "aif360:disparate_impact" => {
            "disparate impact (unprivileged over privileged rate of favourable decisions)"
        }
        "aif360:average_odds_difference" => {
            "average odds difference (mean of the false and true positive rate differences)"
        }
        "aif360:average_abs_odds_difference" => "average absolute odds difference",
        "aif360:equal_opportunity_difference" => "equal opportunity difference (true positive rates)",
        "aif360:base_rate" => "base rate (share of favourable true outcomes)",
        "aif360:dataset:statistical_parity_difference" => {
            "statistical parity difference of the true outcomes"
        }
        "aif360:dataset:disparate_impact" => "disparate impact of the true outcomes",
        "aif360:dataset:class_imbalance" => "class imbalance (unprivileged minus privileged share of rows)",
        "aif360:theil_index" => "Theil index (inequality of individual benefit)",
        "aif360:between_group_theil_index" => "between-group Theil index",
        "aif360:generalized_entropy_index:alpha=0.5" => "generalized entropy index (α = 0.5)",
        "aif360:generalized_entropy_index:alpha=2" => "generalized entropy index (α = 2)",
        "aif360:between_group_generalized_entropy_index:alpha=2" => {
            "between-group generalized entropy index (α = 2)"
        }
        _ => return None,
    })
}

/// Rows of the AIF360 table: name, definition ID, value, bootstrap interval.
pub fn aif360_rows(r: &Report) -> Vec<[String; 4]> {
    r.aif360
        .iter()
        .flat_map(|a| &a.metrics)
        .map(|m| {
            let ci = boot_interval(r, &m.id, m.value).map_or_else(|| NA.to_owned(), |i| interval(&i, 3));
            [metric_name(&m.id), m.id.clone(), num(m.value, 4), ci]
        })
        .collect()
}

/// The privileged group of AIF360's comparisons as text (`sex = male × region = Punjab`).
pub fn privileged(r: &Report) -> Option<String> {
    let a = r.aif360.as_ref()?;
    Some(
        r.sensitive
            .iter()
            .zip(&a.privileged)
            .map(|(f, v)| format!("{f} = {v}"))
            .collect::<Vec<_>>()
            .join(" × "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(esc(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(esc("a\u{B}b\u{0}\tc"), "a\u{FFFD}b\u{FFFD}\tc");
    }

    #[test]
    fn numbers_and_names() {
        assert_eq!(num(f64::NAN, 3), NA);
        assert_eq!(num(f64::INFINITY, 3), "∞");
        assert_eq!(pct(0.7523), "75.2%");
        assert_eq!(interval(&Interval { lo: 0.1, hi: f64::NAN }, 2), NA);
        assert_eq!(
            metric_name("fairlearn:equalized_odds_difference:between_groups:worst_case"),
            "equalized odds difference (between groups, worst case)"
        );
    }
}
