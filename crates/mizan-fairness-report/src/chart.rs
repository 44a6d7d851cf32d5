//! Inline SVG bar charts: one horizontal bar per group on a 0–1 scale, a whisker for its
//! interval, a dashed line at the overall rate and, for selection rates, a dotted line at
//! four-fifths of the highest group. Groups too small to judge are hatched; empty
//! intersections keep their row and say so. Every label is escaped; nothing is fetched.

use std::fmt::Write as _;

use crate::fmt::{esc, num};

/// One bar.
pub struct Bar {
    /// Group label (unescaped).
    pub label: String,
    /// The rate (NaN when undefined).
    pub value: f64,
    /// Interval bounds (NaN when undefined).
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Rows in the group.
    pub rows: u64,
    /// Too small to judge.
    pub insufficient: bool,
}

const WIDTH: f64 = 720.0;
const LEFT: f64 = 230.0;
const RIGHT: f64 = 80.0;
const ROW: f64 = 26.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 30.0;
const LABEL_CHARS: usize = 32;

fn x(v: f64) -> f64 {
    LEFT + v.clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
}

/// The `<defs>` every chart refers to; put it once in the page.
pub const DEFS: &str = "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\"><defs>\
<pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
<rect width=\"6\" height=\"6\" fill=\"#dfe6ee\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#7a8896\" stroke-width=\"2\"/>\
</pattern></defs></svg>";

/// One chart as an inline `<svg>` element.
#[must_use]
pub fn bars(title: &str, bars: &[Bar], overall: f64, guide: Option<(f64, &str)>) -> String {
    let base = TOP + ROW * bars_f(bars);
    let height = base + BOTTOM;
    let mut s = String::new();
    // Writing to a String cannot fail; `write!` results are ignored for that reason.
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" \
         aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{0:.1}\" y1=\"{TOP}\" x2=\"{0:.1}\" y2=\"{base:.1}\"/>\
             <text class=\"tick\" x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\">{t}</text>",
            x(t),
            base + 18.0
        );
    }
    for (i, b) in bars.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "a handful of bars")]
        let y = TOP + ROW * i as f64;
        let label: String = if b.label.chars().count() > LABEL_CHARS {
            b.label.chars().take(LABEL_CHARS - 1).collect::<String>() + "…"
        } else {
            b.label.clone()
        };
        let _ = write!(
            s,
            "<g><title>{}: {} rows</title><text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            esc(&b.label),
            b.rows,
            LEFT - 8.0,
            y + ROW / 2.0 + 4.0,
            esc(&label)
        );
        if b.value.is_nan() {
            let why = if b.rows == 0 { "no rows" } else { "undefined" };
            let _ = write!(
                s,
                "<text class=\"note\" x=\"{:.1}\" y=\"{:.1}\">{why}</text>",
                LEFT + 4.0,
                y + ROW / 2.0 + 4.0
            );
        } else {
            let fill = if b.insufficient { "url(#hatch)" } else { "#3f6e9e" };
            let _ = write!(
                s,
                "<rect x=\"{LEFT:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>",
                y + 5.0,
                x(b.value) - LEFT,
                ROW - 10.0
            );
            if !(b.lo.is_nan() || b.hi.is_nan()) {
                let (x1, x2, ym) = (x(b.lo), x(b.hi), y + ROW / 2.0);
                let _ = write!(
                    s,
                    "<path class=\"whisker\" d=\"M{x1:.1} {ym:.1}H{x2:.1}M{x1:.1} {:.1}V{:.1}M{x2:.1} {:.1}V{:.1}\"/>",
                    ym - 5.0,
                    ym + 5.0,
                    ym - 5.0,
                    ym + 5.0
                );
            }
            let small = if b.insufficient { " (small)" } else { "" };
            let _ = write!(
                s,
                "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}{small}</text>",
                WIDTH - RIGHT + 6.0,
                y + ROW / 2.0 + 4.0,
                num(b.value, 3)
            );
        }
        s.push_str("</g>");
    }
    if !overall.is_nan() {
        let _ = write!(
            s,
            "<line class=\"overall\" x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{base:.1}\"/>\
             <text class=\"tick\" x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\">overall {3}</text>",
            x(overall),
            TOP - 4.0,
            TOP - 8.0,
            num(overall, 3)
        );
    }
    if let Some((v, name)) = guide
        && !v.is_nan()
    {
        let _ = write!(
            s,
            "<line class=\"guide\" x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{base:.1}\"><title>{2}</title></line>",
            x(v),
            TOP - 4.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

#[expect(clippy::cast_precision_loss, reason = "a handful of bars")]
fn bars_f(bars: &[Bar]) -> f64 {
    bars.len() as f64
}
