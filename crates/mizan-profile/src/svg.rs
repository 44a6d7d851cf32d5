//! Small server-rendered SVG charts for the dataset page: a column's histogram and a
//! sensitive column's group shares. Inline, accessible (`role="img"`, a `<title>`, the
//! numbers drawn as text), no scripts or external references, every text escaped, sized
//! by `viewBox` so they shrink to a 360 px phone.

use std::fmt::Write;

use crate::bias::Comparison;
use crate::model::{ColumnProfile, SensitiveColumn};

const WIDTH: f64 = 360.0;

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Short text for a number: integers without decimals, others with up to 4 significant
/// digits.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() >= 1000.0 || x.abs() < 0.01 {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn open(height: f64, title: &str) -> String {
    let t = esc(title);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"11\"><title>{t}</title>"
    )
}

/// The column's histogram, or a one-line note when it has none (not numeric, or empty).
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "bar heights from counts")]
pub fn histogram(column: &ColumnProfile) -> String {
    let Some(h) = column.histogram.as_ref().filter(|h| !h.bins.is_empty()) else {
        let mut s = open(24.0, &format!("{}: no histogram (not a numeric column)", column.name));
        s.push_str("<text x=\"4\" y=\"16\">no histogram</text></svg>");
        return s;
    };
    let total: u64 = h.bins.iter().map(|b| b.count).sum();
    let top = h.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let (lo, hi) = (h.bins.first().map_or(0.0, |b| b.lo), h.bins.last().map_or(0.0, |b| b.hi));
    let approx = if h.exact { "" } else { ", approximate" };
    let title = format!(
        "Histogram of {}: {total} values from {} to {}, {} bins{approx}",
        column.name,
        num(lo),
        num(hi),
        h.bins.len()
    );
    let (plot_h, top_pad, left) = (110.0, 16.0, 4.0);
    let mut s = open(plot_h + top_pad + 20.0, &title);
    let bw = (WIDTH - 2.0 * left) / h.bins.len() as f64;
    for (i, b) in h.bins.iter().enumerate() {
        let bh = plot_h * b.count as f64 / top as f64;
        let x = left + bw * i as f64;
        let y = top_pad + plot_h - bh;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#2f6f4f\"><title>{} to {}: {}</title></rect>",
            (bw - 1.0).max(0.5),
            esc(&num(b.lo)),
            esc(&num(b.hi)),
            b.count
        );
    }
    let base = top_pad + plot_h;
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#333\"/>\
         <text x=\"{left}\" y=\"12\">max bin {top}</text>\
         <text x=\"{left}\" y=\"{}\">{}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></svg>",
        WIDTH - left,
        base + 14.0,
        esc(&num(lo)),
        WIDTH - left,
        base + 14.0,
        esc(&num(hi)),
    );
    s
}

/// A sensitive column's groups as horizontal bars with their shares; groups under the
/// minimum size are drawn pale and marked "small". At most 20 groups are drawn.
#[must_use]
pub fn bars(column: &SensitiveColumn) -> String {
    let rows: Vec<(String, f64, bool)> = column
        .groups
        .iter()
        .map(|g| (format!("{} ({})", g.value, g.count), g.share, g.under_min_size))
        .collect();
    let title = format!("Share of rows by {} ({} groups)", column.column, column.groups.len());
    bar_chart(&title, &rows, &[])
}

/// Observed shares against the reference's, two bars per group.
#[must_use]
pub fn comparison(c: &Comparison) -> String {
    let rows: Vec<(String, f64, bool)> =
        c.rows.iter().map(|r| (r.group.clone(), r.observed_share, false)).collect();
    let refs: Vec<Option<f64>> = c.rows.iter().map(|r| r.reference_share).collect();
    let title = format!(
        "Share of rows by {} against {} ({}, {})",
        c.column, c.citation.title, c.citation.publisher, c.citation.year
    );
    bar_chart(&title, &rows, &refs)
}

fn bar_chart(title: &str, rows: &[(String, f64, bool)], reference: &[Option<f64>]) -> String {
    const MAX: usize = 20;
    let shown = rows.len().min(MAX);
    let row_h = if reference.is_empty() { 18.0 } else { 28.0 };
    let extra = if rows.len() > MAX { 16.0 } else { 0.0 };
    #[expect(clippy::cast_precision_loss, reason = "at most 20 rows")]
    let height = 6.0 + row_h * shown as f64 + extra + if reference.is_empty() { 0.0 } else { 16.0 };
    let mut s = open(height, title);
    let (label_w, bar_w) = (150.0, 160.0);
    let mut y = 4.0;
    if !reference.is_empty() {
        let _ = write!(
            s,
            "<rect x=\"{label_w}\" y=\"{y}\" width=\"10\" height=\"8\" fill=\"#2f6f4f\"/>\
             <text x=\"{}\" y=\"{}\">data</text>\
             <rect x=\"{}\" y=\"{y}\" width=\"10\" height=\"8\" fill=\"#b0b0b0\"/>\
             <text x=\"{}\" y=\"{}\">reference</text>",
            label_w + 14.0,
            y + 8.0,
            label_w + 60.0,
            label_w + 74.0,
            y + 8.0
        );
        y += 16.0;
    }
    for (i, (label, share, small)) in rows.iter().take(MAX).enumerate() {
        let fill = if *small { "#9cc3ae" } else { "#2f6f4f" };
        let w = (bar_w * share.clamp(0.0, 1.0)).max(0.5);
        let mark = if *small { " small" } else { "" };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{}\" width=\"{w:.1}\" height=\"10\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{:.1} %{mark}</text>",
            label_w - 4.0,
            y + 10.0,
            esc(&clip(label, 26)),
            y + 1.0,
            label_w + w + 4.0,
            y + 10.0,
            share * 100.0,
        );
        if let Some(Some(r)) = reference.get(i) {
            let rw = (bar_w * r.clamp(0.0, 1.0)).max(0.5);
            let _ = write!(
                s,
                "<rect x=\"{label_w}\" y=\"{}\" width=\"{rw:.1}\" height=\"8\" fill=\"#b0b0b0\"/>\
                 <text x=\"{:.1}\" y=\"{}\" fill=\"#555\">{:.1} %</text>",
                y + 13.0,
                label_w + rw + 4.0,
                y + 21.0,
                r * 100.0
            );
        }
        y += row_h;
    }
    if rows.len() > MAX {
        let _ = write!(s, "<text x=\"4\" y=\"{}\">and {} more groups</text>", y + 10.0, rows.len() - MAX);
    }
    s.push_str("</svg>");
    s
}

fn clip(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(chars - 1).collect();
        out.push('…');
        out
    }
}
