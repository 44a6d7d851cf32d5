//! The HTML report: one self-contained, printable page. Inline CSS, inline SVG charts, no
//! script, no external reference of any kind (fonts fall back to what the reader has). The
//! plain-language summary comes in English and in Urdu (`lang="ur" dir="rtl"`), then the
//! verdict table, charts, and the full tables. Every user-provided string is escaped.

use std::fmt::Write as _;

use mizan_fairness::cells::Counts;
use mizan_fairness::metrics::{self, EdgeMode, Rate};
use mizan_fairness::preset::Outcome;
use mizan_fairness::report::{GroupEntry, Report};

use crate::Document;
use crate::chart::{self, Bar};
use crate::fmt::{self, esc, group_label, interval, metric_name, num};
use crate::summary;

const CSS: &str = r#"
:root { --ink: #1b2430; --muted: #5a6675; --line: #d5dbe2; --pass: #1f6f3f; --fail: #a12b2b; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; padding: 24px; color: var(--ink); background: #fff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; line-height: 1.5;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { margin: 0 0 4px; font-size: 1.7rem; }
h2 { margin: 32px 0 8px; font-size: 1.25rem; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { margin: 20px 0 6px; font-size: 1.05rem; }
.sub { margin: 0 0 12px; color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: .92rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .88em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f6f8; padding: 8px 10px; border-radius: 4px; }
bdi.v { font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f4f6f8; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: var(--pass); font-weight: 700; }
.fail { color: var(--fail); font-weight: 700; }
.insufficient { color: var(--warn); font-weight: 700; }
.flag { color: var(--warn); }
.muted { color: var(--muted); }
section[lang="ur"] { font-family: "Noto Nastaliq Urdu", "Jameel Noori Nastaleeq", "Noto Naskh Arabic", serif;
  line-height: 2.3; font-size: 1.05rem; }
section[lang="ur"] h2 { font-size: 1.3rem; }
figure { margin: 10px 0 18px; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: .9rem; color: var(--muted); margin-bottom: 2px; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
svg.defs { position: absolute; }
svg .grid { stroke: #e3e7ec; stroke-width: 1; }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .label { font-size: 12px; fill: var(--ink); }
svg .value, svg .note { font-size: 12px; fill: var(--ink); }
svg .note { fill: var(--muted); font-style: italic; }
svg .whisker { stroke: #1b2430; stroke-width: 1.5; fill: none; }
svg .overall { stroke: #1b2430; stroke-width: 1; stroke-dasharray: 4 3; }
svg .guide { stroke: var(--fail); stroke-width: 1.5; stroke-dasharray: 1 3; }
.legend { font-size: .85rem; color: var(--muted); }
footer { margin-top: 32px; font-size: .8rem; color: var(--muted); }
@page { margin: 14mm; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"#;

fn q(s: &str) -> String {
    format!("<bdi class=\"v\">{}</bdi>", esc(s))
}

fn td(s: &str) -> String {
    format!("<td>{}</td>", esc(s))
}

fn tdn(s: &str) -> String {
    format!("<td class=\"n\">{}</td>", esc(s))
}

fn mode(r: &Report) -> EdgeMode {
    if r.mode == "fairlearn-compat" { EdgeMode::FairlearnCompat } else { EdgeMode::Honest }
}

fn rate_of(name: &str) -> Option<Rate> {
    Rate::ALL.into_iter().find(|r| r.name() == name)
}

fn meta(out: &mut String, doc: &Document<'_>) {
    let r = doc.report;
    let s = &doc.source;
    let mut row = |k: &str, v: String| {
        let _ = write!(out, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    };
    row("Input", format!("{} ({} rows)", q(&s.input), s.rows));
    row("SHA-256", format!("<code>{}</code>", esc(&s.sha256)));
    if r.labelled {
        row(
            "Outcome",
            format!(
                "label {}, decision {}, favourable value {}",
                q(&s.label),
                q(&s.prediction),
                q(&s.pos_label)
            ),
        );
    } else {
        row(
            "Outcome",
            format!(
                "decision {}, favourable value {}; no true outcome (label), so only rates of favourable \
                 decisions are compared",
                q(&s.prediction),
                q(&s.pos_label)
            ),
        );
    }
    let mut groups = r.sensitive.iter().map(|c| q(c)).collect::<Vec<_>>().join(" × ");
    if let Some(c) = &r.control {
        groups.push_str(&format!(", within strata of {}", q(c)));
    }
    row("Groups", groups);
    if let Some(w) = &s.weight {
        row("Weights", q(w));
    }
    row(
        "Statistics",
        esc(&format!(
            "95% Wilson intervals; groups below {} rows or {} events flagged; group vs rest with {} correction at α = {}",
            r.min_rows, r.min_events, r.correction, r.alpha
        )),
    );
    row(
        "Bootstrap",
        r.bootstrap.as_ref().map_or_else(
            || "off".to_owned(),
            |b| {
                esc(&format!(
                    "B = {}, seed {}, {}% percentile intervals",
                    b.replicates,
                    b.seed,
                    b.level * 100.0
                ))
            },
        ),
    );
    row("Computed by", esc(&format!("Mizan {} ({})", doc.mizan_version, doc.format)));
}

fn verdicts(out: &mut String, r: &Report) {
    let _ = write!(
        out,
        "<section id=\"verdicts\"><h2>Verdicts{}</h2>",
        r.preset.as_ref().map(|p| format!(": preset {}", q(p))).unwrap_or_default()
    );
    if r.verdicts.is_empty() {
        out.push_str(
            "<p>No preset was chosen, so nothing is judged pass or fail. Run with <code>--preset</code> \
             (for example <code>us-four-fifths</code>) to apply a standard.</p></section>",
        );
        return;
    }
    out.push_str(
        "<table class=\"verdicts\"><thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Value</th>\
         <th scope=\"col\">95% bootstrap interval</th><th scope=\"col\">Threshold</th><th scope=\"col\">Outcome</th>\
         <th scope=\"col\">Reason</th></tr></thead><tbody>",
    );
    for v in &r.verdicts {
        let (class, en, ur) = match v.outcome {
            Outcome::Pass => ("pass", "pass", "کامیاب"),
            Outcome::Fail => ("fail", "fail", "ناکام"),
            Outcome::InsufficientData => ("insufficient", "insufficient data", "ناکافی ڈیٹا"),
        };
        let bound = match v.bound {
            mizan_fairness::preset::Bound::AtMost => "≤",
            mizan_fairness::preset::Bound::AtLeast => "≥",
        };
        let ci =
            fmt::boot_interval(r, &v.metric, v.value).map_or_else(|| fmt::NA.to_owned(), |i| interval(&i, 3));
        let _ = write!(
            out,
            "<tr><td>{}<br><code class=\"muted\">{}</code></td>{}{}{}<td class=\"{class}\">{en} · <span lang=\"ur\">{ur}</span></td>{}</tr>",
            esc(&metric_name(&v.metric)),
            esc(&v.metric),
            tdn(&num(v.value, 4)),
            tdn(&ci),
            tdn(&format!("{bound} {}", v.threshold)),
            td(&v.reason),
        );
    }
    out.push_str("</tbody></table></section>");
}

fn overall(r: &Report, stratum: Option<&String>, rate: Rate) -> f64 {
    let mut total = Counts::default();
    for g in r.groups.iter().filter(|g| g.stratum.as_ref() == stratum) {
        total.add(&g.counts);
    }
    metrics::rate(&total, rate, r.weighted, mode(r)).value
}

fn charts(out: &mut String, r: &Report) {
    out.push_str(
        "<section id=\"charts\"><h2>Rates by group</h2><p class=\"legend\">Bars show each group's rate; whiskers its \
         95% Wilson interval; the dashed line the overall rate; the red dotted line (selection rate) four-fifths of \
         the highest group large enough to judge. Hatched bars are groups too small to judge; empty \
         intersections are listed as <em>no rows</em>.</p>",
    );
    let mut strata: Vec<Option<String>> = r.groups.iter().map(|g| g.stratum.clone()).collect();
    strata.dedup();
    for s in &strata {
        let groups: Vec<&GroupEntry> = r.groups.iter().filter(|g| &g.stratum == s).collect();
        if let (Some(c), Some(v)) = (&r.control, s) {
            let _ = write!(out, "<h3>{} = {}</h3>", q(c), q(v));
        }
        let rates: &[(&str, &str)] = &[
            ("selection_rate", "Selection rate (favourable decisions)"),
            ("true_positive_rate", "True positive rate (favourable decision when the outcome was positive)"),
            (
                "false_positive_rate",
                "False positive rate (favourable decision when the outcome was negative)",
            ),
        ];
        // Without labels only the selection rate exists.
        let shown = if r.labelled { rates } else { &rates[..1] };
        for &(name, title) in shown {
            let bars: Vec<Bar> = groups
                .iter()
                .map(|g| {
                    let e = fmt::rate(g, name);
                    Bar {
                        label: g.group.join(" × "),
                        value: e.map_or(f64::NAN, |e| e.value.value),
                        lo: e.map_or(f64::NAN, |e| e.interval.lo),
                        hi: e.map_or(f64::NAN, |e| e.interval.hi),
                        rows: g.rows,
                        insufficient: g.insufficient || e.is_some_and(|e| e.insufficient),
                    }
                })
                .collect();
            let all = rate_of(name).map_or(f64::NAN, |rt| overall(r, s.as_ref(), rt));
            // The same yardstick as the impact ratios: the highest group large enough to judge.
            let guide = (name == "selection_rate").then(|| {
                let highest = |only_sufficient: bool| {
                    groups
                        .iter()
                        .zip(&bars)
                        .filter(|(g, b)| !b.value.is_nan() && (!g.insufficient || !only_sufficient))
                        .map(|(_, b)| b.value)
                        .fold(f64::NAN, f64::max)
                };
                let best = Some(highest(true)).filter(|v| !v.is_nan()).unwrap_or_else(|| highest(false));
                (
                    best * r.four_fifths,
                    "four-fifths of the highest selection rate among groups large enough to judge",
                )
            });
            let chart_title = match s {
                Some(v) => format!("{title}, {v}"),
                None => title.to_owned(),
            };
            let _ = write!(
                out,
                "<figure><figcaption>{}</figcaption>{}</figure>",
                esc(title),
                chart::bars(&chart_title, &bars, all, guide)
            );
        }
    }
    out.push_str("</section>");
}

fn groups_table(out: &mut String, r: &Report) {
    if r.labelled {
        out.push_str(
            "<section id=\"groups\"><h2>Groups</h2><table><thead><tr><th scope=\"col\">Group</th>\
             <th scope=\"col\">Rows</th><th scope=\"col\">TP / FP / FN / TN</th><th scope=\"col\">Selection rate</th>\
             <th scope=\"col\">TPR</th><th scope=\"col\">FPR</th><th scope=\"col\">Precision</th>\
             <th scope=\"col\">Impact ratio</th><th scope=\"col\">Flags</th></tr></thead><tbody>",
        );
    } else {
        out.push_str(
            "<section id=\"groups\"><h2>Groups</h2><table><thead><tr><th scope=\"col\">Group</th>\
             <th scope=\"col\">Rows</th><th scope=\"col\">Favourable / unfavourable</th>\
             <th scope=\"col\">Selection rate</th><th scope=\"col\">Impact ratio</th><th scope=\"col\">Flags</th>\
             </tr></thead><tbody>",
        );
    }
    for g in &r.groups {
        let cell = |m: &str| {
            fmt::rate(g, m).map_or_else(
                || tdn(fmt::NA),
                |e| {
                    let few = if e.insufficient && !e.value.value.is_nan() {
                        " <span class=\"flag\">(few)</span>"
                    } else {
                        ""
                    };
                    format!(
                        "<td class=\"n\">{}{few}<br><span class=\"muted\">{}</span></td>",
                        esc(&num(e.value.value, 3)),
                        esc(&interval(&e.interval, 3))
                    )
                },
            )
        };
        let mut flags = Vec::new();
        if let Some(why) = &g.insufficient_reason {
            flags.push(format!("too small to judge: {why}"));
        }
        if g.below_four_fifths {
            flags.push(format!("impact ratio below {}", r.four_fifths));
        }
        let c = &g.counts;
        if !r.labelled {
            // The label is the decision itself: TP counts favourable and TN unfavourable decisions.
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th>{}{}{}{}<td class=\"flag\">{}</td></tr>",
                esc(&group_label(g)),
                tdn(&g.rows.to_string()),
                tdn(&format!("{} / {}", c.n[0] + c.n[1], c.n[2] + c.n[3])),
                cell("selection_rate"),
                tdn(&num(g.impact_ratio_vs_highest, 3)),
                esc(&flags.join("; ")),
            );
            continue;
        }
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th>{}{}{}{}{}{}{}<td class=\"flag\">{}</td></tr>",
            esc(&group_label(g)),
            tdn(&g.rows.to_string()),
            tdn(&format!("{} / {} / {} / {}", c.n[0], c.n[1], c.n[2], c.n[3])),
            cell("selection_rate"),
            cell("true_positive_rate"),
            cell("false_positive_rate"),
            cell("precision"),
            tdn(&num(g.impact_ratio_vs_highest, 3)),
            esc(&flags.join("; ")),
        );
    }
    let _ = write!(
        out,
        "</tbody></table><p class=\"legend\">(few): fewer than {} rows or {} events (or non-events) in that \
         rate's denominator; read with care.</p></section>",
        r.min_rows, r.min_events
    );
}

fn summaries_table(out: &mut String, r: &Report) {
    let level = r.bootstrap.as_ref().map_or(0.95, |b| b.level) * 100.0;
    let _ = write!(
        out,
        "<section id=\"summaries\"><h2>Worst-case summaries</h2><table><thead><tr><th scope=\"col\">Definition</th>\
         <th scope=\"col\">Value</th><th scope=\"col\">{level}% bootstrap interval</th><th scope=\"col\">Bias</th>\
         </tr></thead><tbody>"
    );
    for [id, value, ci, bias] in fmt::summary_rows(r) {
        let _ = write!(
            out,
            "<tr><td>{}<br><code class=\"muted\">{}</code></td>{}{}{}</tr>",
            esc(&metric_name(&id)),
            esc(&id),
            tdn(&value),
            tdn(&ci),
            tdn(&bias)
        );
    }
    let _ = write!(out, "</tbody></table><p class=\"legend\">{}</p></section>", esc(fmt::BIAS_NOTE));
}

fn comparisons_table(out: &mut String, r: &Report) {
    let _ = write!(
        out,
        "<section id=\"comparisons\"><h2>Each group against the rest</h2><p class=\"legend\">Difference of the \
         group's rate from everyone else's in its stratum, with a Newcombe 95% interval and a two-sided z test; \
         p-values adjusted with the {} correction within each rate, significant below α = {}.</p>\
         <table><thead><tr><th scope=\"col\">Rate</th><th scope=\"col\">Group</th><th scope=\"col\">Group rate</th>\
         <th scope=\"col\">Rest</th><th scope=\"col\">Difference</th><th scope=\"col\">95% interval</th>\
         <th scope=\"col\">Adjusted p</th><th scope=\"col\">Result</th></tr></thead><tbody>",
        esc(r.correction),
        r.alpha
    );
    for c in &r.comparisons {
        let label = match &c.stratum {
            Some(s) => format!("{s} · {}", c.group.join(" × ")),
            None => c.group.join(" × "),
        };
        let result = match (&c.reason, c.significant) {
            (Some(why), _) => format!("<span class=\"muted\">not tested: {}</span>", esc(why)),
            (None, true) => "<strong>differs</strong>".to_owned(),
            (None, false) => "no clear difference".to_owned(),
        };
        let p = fmt::p_value(c.p_adjusted);
        let _ = write!(
            out,
            "<tr>{}{}{}{}{}{}{}<td>{result}</td></tr>",
            td(&c.metric.replace('_', " ")),
            td(&label),
            tdn(&num(c.group_rate, 3)),
            tdn(&num(c.rest_rate, 3)),
            tdn(&num(c.difference, 3)),
            tdn(&interval(&c.interval, 3)),
            tdn(&p),
        );
    }
    out.push_str("</tbody></table></section>");
}

fn aif360_table(out: &mut String, r: &Report) {
    out.push_str("<section id=\"aif360\"><h2>AIF360 comparisons</h2>");
    let (Some(a), Some(group)) = (&r.aif360, fmt::privileged(r)) else {
        let _ = write!(
            out,
            "<p>{}</p></section>",
            esc(r.aif360_note.unwrap_or(mizan_fairness::report::NO_PRIVILEGED))
        );
        return;
    };
    let level = r.bootstrap.as_ref().map_or(0.95, |b| b.level) * 100.0;
    let _ = write!(
        out,
        "<p class=\"legend\">The privileged group is {} ({} rows); everyone else ({} rows, every stratum pooled) is the \
         unprivileged group, as AIF360 compares them.</p>",
        q(&group),
        a.privileged_rows,
        a.unprivileged_rows
    );
    if let Some(why) = &a.insufficient_reason {
        let _ = write!(out, "<p><strong>Too small to judge:</strong> {}</p>", esc(why));
    }
    let _ = write!(
        out,
        "<table><thead><tr><th scope=\"col\">Definition</th><th scope=\"col\">Value</th>\
         <th scope=\"col\">{level}% bootstrap interval</th></tr></thead><tbody>"
    );
    for [name, id, value, ci] in fmt::aif360_rows(r) {
        let _ = write!(
            out,
            "<tr><td>{}<br><code class=\"muted\">{}</code></td>{}{}</tr>",
            esc(&name),
            esc(&id),
            tdn(&value),
            tdn(&ci)
        );
    }
    out.push_str("</tbody></table></section>");
}

fn unavailable_list(out: &mut String, r: &Report) {
    if r.unavailable.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"unavailable\"><h2>Not computed</h2><p>These numbers need the true outcome of each \
         decision (a label), which the audited decisions do not carry:</p><ul>",
    );
    for u in &r.unavailable {
        let _ =
            write!(out, "<li>{} <code class=\"muted\">{}</code></li>", esc(&metric_name(&u.id)), esc(&u.id));
    }
    out.push_str("</ul></section>");
}

/// The document as one self-contained HTML page.
#[must_use]
pub fn html(doc: &Document<'_>) -> String {
    let r = doc.report;
    let mut out = String::with_capacity(64 * 1024);
    // Writing to a String cannot fail; `write!` results are ignored for that reason.
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"Mizan {}\">\n<title>Fairness audit: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{}\n",
        esc(&doc.mizan_version),
        esc(&doc.source.input),
        chart::DEFS
    );
    let _ = write!(
        out,
        "<header><h1>Fairness audit</h1><p class=\"sub\">{} · {} decisions · {} groups</p><dl class=\"meta\">",
        q(&doc.source.input),
        r.rows,
        r.groups.len()
    );
    meta(&mut out, doc);
    out.push_str("</dl></header>\n<main>\n");
    let facts = summary::facts(doc);
    out.push_str("<section id=\"summary\" lang=\"en\"><h2>Summary</h2>");
    for p in summary::english(&facts, doc, &q) {
        let _ = write!(out, "<p>{p}</p>");
    }
    out.push_str("</section>\n<section id=\"summary-ur\" lang=\"ur\" dir=\"rtl\"><h2>خلاصہ</h2>");
    for p in summary::urdu(&facts, doc, &q) {
        let _ = write!(out, "<p>{p}</p>");
    }
    out.push_str("</section>\n");
    verdicts(&mut out, r);
    out.push('\n');
    charts(&mut out, r);
    out.push('\n');
    groups_table(&mut out, r);
    out.push('\n');
    summaries_table(&mut out, r);
    out.push('\n');
    aif360_table(&mut out, r);
    out.push('\n');
    comparisons_table(&mut out, r);
    out.push('\n');
    unavailable_list(&mut out, r);
    let _ = write!(
        out,
        "\n<section id=\"reproduce\"><h2>Reproduce</h2><p>Run this on a file with the SHA-256 above to get the same numbers \
         (the JSON report carries every count):</p><pre>{}</pre>",
        esc(&doc.reproduce)
    );
    if let Some(b) = &r.bootstrap {
        let _ = write!(
            out,
            "<p class=\"legend\">Bootstrap: {}; {}; {}.</p>",
            esc(b.rng),
            esc(b.resampling),
            esc(b.method)
        );
    }
    out.push_str(
        "</section>\n</main>\n<footer>Rates follow fairlearn's definitions, and the AIF360 comparisons AIF360's; every number derives from the group counts \
         shown above. A statistical difference is a reason to look closer, not a finding of discrimination.</footer>\n\
         </body>\n</html>\n",
    );
    out
}
