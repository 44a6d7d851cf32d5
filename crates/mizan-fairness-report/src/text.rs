//! The plain-text report: what was audited, the summary in plain English, the group table,
//! worst-case summaries with bootstrap intervals, significant comparisons, verdicts, and the
//! command that reproduces it all.

use std::fmt::Write as _;

use crate::Document;
use crate::fmt::{self, group_label, interval, metric_name, num};
use crate::summary;

const WIDTH: usize = 96;

fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.chars().count() + word.chars().count() + 1 > WIDTH && !line.trim().is_empty() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        line.push_str(word);
        line.push(' ');
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.zip(&widths).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&mut head.iter().copied());
    out.push_str(&line(
        &mut widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str),
    ));
    for r in rows {
        out.push_str(&line(&mut r.iter().map(String::as_str)));
    }
    out
}

fn heading(out: &mut String, title: &str) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
    out.push_str(&"-".repeat(title.chars().count()));
    out.push('\n');
}

/// The document as a readable plain-text report.
#[must_use]
pub fn text(doc: &Document<'_>) -> String {
    let r = doc.report;
    let s = &doc.source;
    let q = |v: &str| format!("`{v}`");
    let mut out = String::new();
    // Writing to a String cannot fail; the results of `writeln!` below are ignored for that reason.
    let _ = writeln!(out, "Mizan fairness audit\n====================");
    let _ = writeln!(out, "input       {} ({} rows)", s.input, s.rows);
    let _ = writeln!(out, "sha-256     {}", s.sha256);
    if r.labelled {
        let _ = writeln!(
            out,
            "label       `{}`, decision `{}`, favourable value `{}`",
            s.label, s.prediction, s.pos_label
        );
    } else {
        let _ = writeln!(
            out,
            "label       none (decisions only), decision `{}`, favourable value `{}`",
            s.prediction, s.pos_label
        );
    }
    let _ = writeln!(
        out,
        "groups      {}{}{}",
        r.sensitive.iter().map(|c| q(c)).collect::<Vec<_>>().join(" × "),
        r.control.as_ref().map(|c| format!(", within strata of `{c}`")).unwrap_or_default(),
        s.weight.as_ref().map(|w| format!(", weighted by `{w}`")).unwrap_or_default(),
    );
    let boot = r.bootstrap.as_ref().map_or_else(
        || "bootstrap off".to_owned(),
        |b| format!("bootstrap B = {}, seed {}", b.replicates, b.seed),
    );
    let _ = writeln!(
        out,
        "statistics  95% Wilson intervals; group vs rest with {} correction at α = {}; {boot}",
        r.correction, r.alpha
    );
    let _ = writeln!(out, "mizan       {} ({})", doc.mizan_version, doc.format);

    heading(&mut out, "Summary");
    let facts = summary::facts(doc);
    for (i, p) in summary::english(&facts, doc, &q).iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&wrap(p, ""));
    }

    heading(&mut out, "Groups (95% Wilson intervals)");
    let rows: Vec<Vec<String>> = r
        .groups
        .iter()
        .map(|g| {
            let rate = |m: &str| {
                fmt::rate(g, m).map_or_else(
                    || fmt::NA.to_owned(),
                    |e| {
                        if e.value.value.is_nan() {
                            return fmt::NA.to_owned();
                        }
                        let few = if e.insufficient { " (few)" } else { "" };
                        format!("{} {}{few}", num(e.value.value, 3), interval(&e.interval, 3))
                    },
                )
            };
            let mut flags = Vec::new();
            if let Some(why) = &g.insufficient_reason {
                flags.push(format!("insufficient: {why}"));
            }
            if g.below_four_fifths {
                flags.push("below four-fifths".to_owned());
            }
            vec![
                group_label(g),
                g.rows.to_string(),
                rate("selection_rate"),
                rate("true_positive_rate"),
                rate("false_positive_rate"),
                num(g.impact_ratio_vs_highest, 3),
                flags.join("; "),
            ]
        })
        .collect();
    out.push_str(&table(&["group", "rows", "selection rate", "TPR", "FPR", "impact ratio", "flags"], &rows));
    let _ = writeln!(
        out,
        "(few): fewer than {} rows or {} events (or non-events) in that rate's denominator; read with care",
        r.min_rows, r.min_events
    );

    heading(&mut out, "Worst-case summaries");
    let rows: Vec<Vec<String>> = fmt::summary_rows(r).into_iter().map(Vec::from).collect();
    let level = r.bootstrap.as_ref().map_or(0.95, |b| b.level) * 100.0;
    out.push_str(&table(&["definition", "value", &format!("{level}% bootstrap interval"), "bias"], &rows));
    out.push_str(&wrap(fmt::BIAS_NOTE, ""));

    heading(
        &mut out,
        &format!("Groups that differ from the rest ({} correction, α = {})", r.correction, r.alpha),
    );
    let rows: Vec<Vec<String>> = r
        .comparisons
        .iter()
        .filter(|c| c.significant)
        .map(|c| {
            let label = match &c.stratum {
                Some(s) => format!("{s} · {}", c.group.join(" × ")),
                None => c.group.join(" × "),
            };
            vec![
                c.metric.to_owned(),
                label,
                num(c.difference, 3),
                interval(&c.interval, 3),
                fmt::p_value(c.p_adjusted),
            ]
        })
        .collect();
    if rows.is_empty() {
        let tested = r.comparisons.iter().filter(|c| !c.p_value.is_nan()).count();
        let _ = writeln!(out, "none ({tested} comparisons tested; see the JSON report for all of them)");
    } else {
        out.push_str(&table(&["rate", "group", "difference", "95% interval", "adjusted p"], &rows));
    }

    match fmt::privileged(r) {
        Some(group) => {
            let a = r.aif360.as_ref().map_or((0, 0), |a| (a.privileged_rows, a.unprivileged_rows));
            heading(&mut out, &format!("AIF360 comparisons (privileged group: {group})"));
            let _ = writeln!(
                out,
                "{} rows in the privileged group, {} outside it (\"unprivileged\"), every stratum pooled",
                a.0, a.1
            );
            if let Some(why) = r.aif360.as_ref().and_then(|a| a.insufficient_reason.as_ref()) {
                out.push_str(&wrap(&format!("too small to judge: {why}"), ""));
            }
            let rows: Vec<Vec<String>> = fmt::aif360_rows(r).into_iter().map(Vec::from).collect();
            out.push_str(&table(
                &["definition", "ID", "value", &format!("{level}% bootstrap interval")],
                &rows,
            ));
        }
        None => {
            heading(&mut out, "AIF360 comparisons");
            out.push_str(&wrap(r.aif360_note.unwrap_or(mizan_fairness::report::NO_PRIVILEGED), ""));
        }
    }

    heading(
        &mut out,
        &format!("Verdicts{}", r.preset.as_ref().map(|p| format!(" (preset `{p}`)")).unwrap_or_default()),
    );
    if r.verdicts.is_empty() {
        let _ =
            writeln!(out, "no preset chosen: nothing is judged pass or fail (try --preset us-four-fifths)");
    }
    for v in &r.verdicts {
        let outcome = match v.outcome {
            mizan_fairness::preset::Outcome::Pass => "PASS",
            mizan_fairness::preset::Outcome::Fail => "FAIL",
            mizan_fairness::preset::Outcome::InsufficientData => "INSUFFICIENT DATA",
        };
        let _ = writeln!(out, "{outcome:<17}  {}", metric_name(&v.metric));
        out.push_str(&wrap(&v.reason, "                   "));
    }

    if !r.unavailable.is_empty() {
        heading(&mut out, "Not computed (they need the true outcome, a label)");
        for u in &r.unavailable {
            let _ = writeln!(out, "{}", u.id);
        }
    }

    heading(&mut out, "Reproduce");
    out.push_str(&doc.reproduce);
    out.push('\n');
    out
}
