//! The plain-language summary: a few facts drawn from the report, said in English and in
//! Urdu. User-provided strings pass through a quoting function chosen by the renderer
//! (backticks in text, escaped `<bdi>` in HTML), so no sentence ever carries raw input.

use mizan_fairness::preset::Outcome;
use mizan_fairness::stats::Interval;

use crate::Document;
use crate::fmt::{self, group_label, num, pct};

const DP: &str = "fairlearn:demographic_parity_difference:between_groups";
const EO: &str = "fairlearn:equalized_odds_difference:between_groups:worst_case";

/// A group label with a rate.
pub struct Named {
    pub label: String,
    pub value: f64,
}

/// What the summary says, computed once for both languages.
pub struct Facts {
    pub groups: usize,
    pub empty: usize,
    pub small: usize,
    /// Lowest and highest selection rate among sufficient groups of the stratum where their
    /// ratio is smallest.
    pub range: Option<(Named, Named)>,
    pub dp: (f64, Option<Interval>),
    pub eo: (f64, Option<Interval>),
    pub tested: usize,
    /// Groups whose selection rate differs significantly from the rest, with the difference.
    pub significant: Vec<Named>,
    /// Preset name and counts of pass, fail and insufficient data.
    pub verdicts: Option<(String, usize, usize, usize)>,
    /// AIF360's comparisons against the privileged group, when one was named.
    pub aif: Option<AifFacts>,
}

/// A number with its bootstrap interval, if any.
type Value = (f64, Option<Interval>);

/// What the summary says of AIF360's comparisons.
pub struct AifFacts {
    /// The privileged group, one `feature = value` per sensitive feature.
    pub privileged: Vec<(String, String)>,
    pub privileged_rows: u64,
    pub unprivileged_rows: u64,
    /// Which side is too small to judge, if one is: the privileged group (`true`) or
    /// everyone else (`false`).
    pub too_small: Option<bool>,
    pub disparate_impact: Value,
    pub parity: Value,
    /// Equal opportunity and average odds differences, when the decisions carry labels.
    pub odds: Option<(Value, Value)>,
}

const DI: &str = "aif360:disparate_impact";
const SPD: &str = "aif360:statistical_parity_difference";
const EOD: &str = "aif360:equal_opportunity_difference";
const AOD: &str = "aif360:average_odds_difference";

fn aif_facts(doc: &Document<'_>) -> Option<AifFacts> {
    let r = doc.report;
    let a = r.aif360.as_ref()?;
    let metric = |id: &str| {
        let v = a.metrics.iter().find(|m| m.id == id).map_or(f64::NAN, |m| m.value);
        (v, fmt::boot_interval(r, id, v))
    };
    Some(AifFacts {
        privileged: r.sensitive.iter().cloned().zip(a.privileged.iter().cloned()).collect(),
        privileged_rows: a.privileged_rows,
        unprivileged_rows: a.unprivileged_rows,
        too_small: a
            .insufficient_reason
            .as_ref()
            .map(|why| why.starts_with(mizan_fairness::report::PRIVILEGED_SIDE)),
        disparate_impact: metric(DI),
        parity: metric(SPD),
        odds: r.labelled.then(|| (metric(EOD), metric(AOD))),
    })
}

fn scalar(doc: &Document<'_>, id: &str) -> (f64, Option<Interval>) {
    let v = doc.report.scalars.iter().find(|s| s.id == id).map_or(f64::NAN, |s| s.value);
    (v, fmt::boot_interval(doc.report, id, v))
}

/// Draws the facts from a document.
pub fn facts(doc: &Document<'_>) -> Facts {
    let r = doc.report;
    let mut range: Option<(Named, Named)> = None;
    let strata: Vec<Option<String>> = {
        let mut s: Vec<Option<String>> = r.groups.iter().map(|g| g.stratum.clone()).collect();
        s.dedup();
        s
    };
    for s in &strata {
        let sel: Vec<Named> = r
            .groups
            .iter()
            .filter(|g| &g.stratum == s && !g.insufficient)
            .filter_map(|g| {
                let v = fmt::rate(g, "selection_rate")?.value.value;
                (!v.is_nan()).then(|| Named { label: group_label(g), value: v })
            })
            .collect();
        if sel.len() < 2 {
            continue;
        }
        let lo = sel.iter().min_by(|a, b| a.value.total_cmp(&b.value));
        let hi = sel.iter().max_by(|a, b| a.value.total_cmp(&b.value));
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let ratio = lo.value / hi.value;
            let better = range.as_ref().is_none_or(|(l, h)| ratio < l.value / h.value);
            if better {
                range = Some((
                    Named { label: lo.label.clone(), value: lo.value },
                    Named { label: hi.label.clone(), value: hi.value },
                ));
            }
        }
    }
    let sel_cmp: Vec<_> = r.comparisons.iter().filter(|c| c.metric == "selection_rate").collect();
    Facts {
        groups: r.groups.len(),
        empty: r.groups.iter().filter(|g| g.rows == 0).count(),
        small: r.groups.iter().filter(|g| g.rows > 0 && g.insufficient).count(),
        range,
        dp: scalar(doc, DP),
        eo: scalar(doc, EO),
        tested: sel_cmp.iter().filter(|c| !c.p_value.is_nan()).count(),
        significant: sel_cmp
            .iter()
            .filter(|c| c.significant)
            .map(|c| {
                let label = match &c.stratum {
                    Some(s) => format!("{s} · {}", c.group.join(" × ")),
                    None => c.group.join(" × "),
                };
                Named { label, value: c.difference }
            })
            .collect(),
        verdicts: r.preset.as_ref().map(|p| {
            let count = |o: Outcome| r.verdicts.iter().filter(|v| v.outcome == o).count();
            (p.clone(), count(Outcome::Pass), count(Outcome::Fail), count(Outcome::InsufficientData))
        }),
        aif: aif_facts(doc),
    }
}

/// The privileged group as people read it: `sex = male × region = Punjab`, values quoted.
fn privileged_label(a: &AifFacts, q: &dyn Fn(&str) -> String) -> String {
    a.privileged.iter().map(|(f, v)| format!("{} = {}", q(f), q(v))).collect::<Vec<_>>().join(" × ")
}

fn signed(v: f64) -> String {
    if v.is_nan() { fmt::NA.to_owned() } else { format!("{v:+.3}") }
}

fn aif_english(f: &Facts, r: &mizan_fairness::report::Report, q: &dyn Fn(&str) -> String) -> String {
    let Some(a) = &f.aif else {
        return "AIF360's comparisons against a privileged group (disparate impact, statistical parity difference) \
                were not computed: no privileged group was named."
            .to_owned();
    };
    let (di, di_ci) = a.disparate_impact;
    let mut p = format!(
        "AIF360's comparisons, against the privileged group {} ({} people; everyone else: {}): people outside the \
         privileged group received favourable decisions at {} times the rate of the privileged group (disparate impact{}). \
         The four-fifths rule flags values below {}, and this one is {}. The difference in their rates is {} \
         (statistical parity difference{}).",
        privileged_label(a, q),
        a.privileged_rows,
        a.unprivileged_rows,
        num(di, 2),
        semi(di_ci, "95% bootstrap interval", &same),
        r.four_fifths,
        if di.is_nan() {
            "undefined"
        } else if di < r.four_fifths {
            "below it"
        } else {
            "not below it"
        },
        signed(a.parity.0),
        semi(a.parity.1, "95% bootstrap interval", &same),
    );
    if let Some((eod, aod)) = &a.odds
        && (eod.0.is_nan() || aod.0.is_nan())
    {
        p.push_str(
            " Equal opportunity and average odds cannot be computed: one side has no one whose true outcome was \
             favourable, or no one whose was not.",
        );
    } else if let Some((eod, aod)) = &a.odds {
        p.push_str(&format!(
            " Among people whose true outcome was favourable, their rate of favourable decisions differs from the \
             privileged group's by {} (equal opportunity difference{}); averaged over both true outcomes, their error \
             rates differ by {} (average odds difference{}).",
            signed(eod.0),
            semi(eod.1, "95% bootstrap interval", &same),
            signed(aod.0),
            semi(aod.1, "95% bootstrap interval", &same),
        ));
    }
    match a.too_small {
        Some(true) => p.push_str(" Read these with care: the privileged group is too small to judge."),
        Some(false) => {
            p.push_str(" Read these with care: everyone outside the privileged group is too few to judge.");
        }
        None => {}
    }
    p
}

fn aif_urdu(f: &Facts, r: &mizan_fairness::report::Report, q: &dyn Fn(&str) -> String) -> String {
    let Some(a) = &f.aif else {
        return "مراعات یافتہ گروہ کے مقابلے میں AIF360 کے موازنے (متفاوت اثر، شماریاتی برابری کا فرق) نہیں کیے گئے: \
                کوئی مراعات یافتہ گروہ نامزد نہیں کیا گیا۔"
            .to_owned();
    };
    let (di, di_ci) = a.disparate_impact;
    let mut p = format!(
        "مراعات یافتہ گروہ {} ({} افراد؛ باقی سب: {}) کے مقابلے میں AIF360 کے موازنے: مراعات یافتہ گروہ سے باہر کے لوگوں کو \
         موافق فیصلے مراعات یافتہ گروہ کی شرح کے {} گنا ملے (متفاوت اثر{})۔ چار پانچویں کا اصول {} سے کم قدر کو نشان زد کرتا ہے، \
         اور یہ قدر {}۔ ان کی شرحوں کا فرق {} ہے (شماریاتی برابری کا فرق{})۔",
        privileged_label(a, q),
        a.privileged_rows,
        a.unprivileged_rows,
        ltr(num(di, 2)),
        semi(di_ci, "95% بوٹسٹریپ وقفہ", &ltr),
        r.four_fifths,
        if di.is_nan() {
            "معلوم نہیں کی جا سکی"
        } else if di < r.four_fifths {
            "اس سے کم ہے"
        } else {
            "اس سے کم نہیں"
        },
        ltr(signed(a.parity.0)),
        semi(a.parity.1, "95% بوٹسٹریپ وقفہ", &ltr),
    );
    if let Some((eod, aod)) = &a.odds
        && (eod.0.is_nan() || aod.0.is_nan())
    {
        p.push_str(
            " مساوی موقع اور اوسط امکانات کا فرق معلوم نہیں کیا جا سکتا: ایک طرف کوئی ایسا شخص نہیں جس کا اصل نتیجہ موافق تھا، یا کوئی ایسا نہیں جس کا نہیں تھا۔",
        );
    } else if let Some((eod, aod)) = &a.odds {
        p.push_str(&format!(
            " جن لوگوں کا اصل نتیجہ موافق تھا، ان میں مراعات یافتہ گروہ سے باہر کے لوگوں کی موافق فیصلوں کی شرح مراعات یافتہ گروہ سے \
             {} مختلف ہے (مساوی موقع کا فرق{})؛ دونوں اصل نتائج پر اوسطاً ان کی غلطی کی شرحوں کا فرق {} ہے (اوسط امکانات کا فرق{})۔",
            ltr(signed(eod.0)),
            semi(eod.1, "95% بوٹسٹریپ وقفہ", &ltr),
            ltr(signed(aod.0)),
            semi(aod.1, "95% بوٹسٹریپ وقفہ", &ltr),
        ));
    }
    match a.too_small {
        Some(true) => p.push_str(" انہیں احتیاط سے پڑھیں: مراعات یافتہ گروہ رائے دینے کے لیے بہت چھوٹا ہے۔"),
        Some(false) => p.push_str(
            " انہیں احتیاط سے پڑھیں: مراعات یافتہ گروہ سے باہر کے لوگ رائے دینے کے لیے بہت کم ہیں۔",
        ),
        None => {}
    }
    p
}

fn points(d: f64) -> String {
    if d.is_nan() { fmt::NA.to_owned() } else { format!("{:+.1}", d * 100.0) }
}

fn ci(i: Option<Interval>, lead: &str, n: &dyn Fn(String) -> String) -> String {
    match i {
        Some(i) if !i.lo.is_nan() => format!(" ({lead} {})", n(fmt::interval(&i, 3))),
        _ => String::new(),
    }
}

/// `; lead interval` inside a parenthesis that names the number, or nothing.
fn semi(i: Option<Interval>, lead: &str, n: &dyn Fn(String) -> String) -> String {
    // Urdu separates with its own semicolon.
    let sep = if lead.is_ascii() { ";" } else { "؛" };
    match i {
        Some(i) if !i.lo.is_nan() => format!("{sep} {lead} {}", n(fmt::interval(&i, 3))),
        _ => String::new(),
    }
}

/// Leaves a number as it is (English).
fn same(s: String) -> String {
    s
}

/// Isolates a number or interval left-to-right (U+2066 … U+2069) so that right-to-left
/// text cannot reorder `[0.1, 0.2]` into `[0.2 ,0.1]`.
fn ltr(s: String) -> String {
    format!("\u{2066}{s}\u{2069}")
}

/// The summary in English, one string per paragraph; `q` quotes user-provided strings.
pub fn english(f: &Facts, doc: &Document<'_>, q: &dyn Fn(&str) -> String) -> Vec<String> {
    let r = doc.report;
    let s = &doc.source;
    let mut out = Vec::new();
    let features: Vec<String> = r.sensitive.iter().map(|c| q(c)).collect();
    let truth = if r.labelled {
        format!("the true outcome is in {}", q(&s.label))
    } else {
        "no true outcome was recorded, so error rates cannot be computed".to_owned()
    };
    let mut p = format!(
        "This audit examined {} decisions from {}. A decision counts as favourable when {} is {}; {truth}. \
         Groups are every combination of {}",
        r.rows,
        q(&s.input),
        q(&s.prediction),
        q(&s.pos_label),
        features.join(" × ")
    );
    if let Some(c) = &r.control {
        p.push_str(&format!(" within each stratum of {}", q(c)));
    }
    p.push_str(&format!(
        ": {} groups, of which {} are empty and {} are too small to judge (fewer than {} people, or fewer than {} of either decision).",
        f.groups, f.empty, f.small, r.min_rows, r.min_events
    ));
    if let Some(w) = &s.weight {
        p.push_str(&format!(" Rows are weighted by {}.", q(w)));
    }
    out.push(p);
    out.push(match &f.range {
        Some((lo, hi)) => {
            let ratio = lo.value / hi.value;
            format!(
                "Among groups large enough to judge, the rate of favourable decisions ranges from {} ({}) to {} ({}). \
                 The lower rate is {} of the higher (the impact ratio); the four-fifths guideline flags ratios below {} \
                 for closer review, and this one is {}.",
                pct(lo.value),
                q(&lo.label),
                pct(hi.value),
                q(&hi.label),
                num(ratio, 3),
                r.four_fifths,
                if ratio < r.four_fifths { "below it" } else { "not below it" }
            )
        }
        None => "No two groups are large enough to compare their rates of favourable decisions.".to_owned(),
    });
    let mut gaps = format!(
        "The largest gap in the rate of favourable decisions between any two groups is {}{}.",
        num(f.dp.0, 3),
        ci(f.dp.1, "95% bootstrap interval", &same),
    );
    if r.labelled {
        gaps.push_str(&format!(
            " The largest gap in error rates between groups, among people with the same true outcome \
             (equalized odds difference), is {}{}.",
            num(f.eo.0, 3),
            ci(f.eo.1, "95% bootstrap interval", &same),
        ));
    } else {
        gaps.push_str(
            " Whether errors fall unequally on groups (equalized odds, equal opportunity) cannot be said \
             without the true outcomes.",
        );
    }
    out.push(gaps);
    let correction = match r.correction {
        "holm" => "after Holm's correction for multiple comparisons",
        "bh" => "after the Benjamini–Hochberg correction for multiple comparisons",
        _ => "without correction for multiple comparisons",
    };
    out.push(if f.significant.is_empty() {
        format!(
            "Compared with everyone else, no group's rate of favourable decisions differs by more than chance would explain, \
             {correction} ({} groups tested at the {} level).",
            f.tested, r.alpha
        )
    } else {
        let list: Vec<String> =
            f.significant.iter().map(|n| format!("{} ({} points)", q(&n.label), points(n.value))).collect();
        format!(
            "Compared with everyone else, {} of {} groups tested have a rate of favourable decisions that differs by more than \
             chance would explain, {correction}: {}.",
            f.significant.len(),
            f.tested,
            list.join("; ")
        )
    });
    out.push(aif_english(f, r, q));
    out.push(match &f.verdicts {
        Some((name, pass, fail, insufficient)) => format!(
            "Under the {} preset: {pass} pass, {fail} fail, and {insufficient} cannot be judged for lack of data.",
            q(name)
        ),
        None => "No preset was chosen, so nothing is judged pass or fail; run with --preset to apply a standard.".to_owned(),
    });
    out.push(
        "A difference in rates is a signal to investigate, not proof of discrimination; no difference is not proof of \
         fairness. Read these numbers alongside how the decisions and the data were made."
            .to_owned(),
    );
    out
}

/// The summary in Urdu, one string per paragraph; `q` quotes user-provided strings.
pub fn urdu(f: &Facts, doc: &Document<'_>, q: &dyn Fn(&str) -> String) -> Vec<String> {
    let r = doc.report;
    let s = &doc.source;
    let mut out = Vec::new();
    let features: Vec<String> = r.sensitive.iter().map(|c| q(c)).collect();
    let truth = if r.labelled {
        format!("اصل نتیجہ {} میں درج ہے", q(&s.label))
    } else {
        "اصل نتیجہ درج نہیں، اس لیے غلطی کی شرحیں معلوم نہیں کی جا سکتیں".to_owned()
    };
    let mut p = format!(
        "اس جائزے میں {} سے {} فیصلوں کا تجزیہ کیا گیا۔ فیصلہ اس وقت موافق شمار ہوتا ہے جب {} کی قدر {} ہو؛ {truth}۔ \
         گروہ {} کے ہر امتزاج سے بنائے گئے",
        q(&s.input),
        r.rows,
        q(&s.prediction),
        q(&s.pos_label),
        features.join(" × ")
    );
    if let Some(c) = &r.control {
        p.push_str(&format!("، {} کے ہر طبقے کے اندر", q(c)));
    }
    p.push_str(&format!(
        ": کل {} گروہ، جن میں سے {} خالی ہیں اور {} اتنے چھوٹے ہیں کہ ان پر رائے نہیں دی جا سکتی ({} سے کم افراد، یا کسی ایک قسم کے {} سے کم فیصلے)۔",
        f.groups, f.empty, f.small, r.min_rows, r.min_events
    ));
    if let Some(w) = &s.weight {
        p.push_str(&format!(" ہر قطار کو {} کے مطابق وزن دیا گیا۔", q(w)));
    }
    out.push(p);
    out.push(match &f.range {
        Some((lo, hi)) => {
            let ratio = lo.value / hi.value;
            format!(
                "جو گروہ رائے دینے کے لیے کافی بڑے ہیں، ان میں موافق فیصلوں کی شرح {} ({}) سے {} ({}) تک ہے۔ \
                 کم شرح زیادہ شرح کا {} گنا ہے (اثر کا تناسب)؛ چار پانچویں کا اصول {} سے کم تناسب کو مزید جانچ کے لیے نشان زد کرتا ہے، \
                 اور یہ تناسب {}۔",
                ltr(pct(lo.value)),
                q(&lo.label),
                ltr(pct(hi.value)),
                q(&hi.label),
                ltr(num(ratio, 3)),
                r.four_fifths,
                if ratio < r.four_fifths { "اس سے کم ہے" } else { "اس سے کم نہیں" }
            )
        }
        None => "کوئی دو گروہ اتنے بڑے نہیں کہ ان کے موافق فیصلوں کی شرح کا موازنہ کیا جا سکے۔".to_owned(),
    });
    let mut gaps = format!(
        "کسی بھی دو گروہوں کے درمیان موافق فیصلوں کی شرح کا سب سے بڑا فرق {}{} ہے۔",
        ltr(num(f.dp.0, 3)),
        ci(f.dp.1, "95% بوٹسٹریپ وقفہ", &ltr),
    );
    if r.labelled {
        gaps.push_str(&format!(
            " ایک جیسے اصل نتیجے والے لوگوں میں گروہوں کے درمیان غلطی کی شرح کا سب سے بڑا فرق (مساوی امکانات کا فرق) {}{} ہے۔",
            ltr(num(f.eo.0, 3)),
            ci(f.eo.1, "95% بوٹسٹریپ وقفہ", &ltr),
        ));
    } else {
        gaps.push_str(
            " اصل نتائج کے بغیر یہ نہیں کہا جا سکتا کہ غلطیاں گروہوں پر غیر مساوی طور پر پڑتی ہیں یا نہیں۔",
        );
    }
    out.push(gaps);
    let correction = match r.correction {
        "holm" => "متعدد موازنوں کے لیے ہولم کی اصلاح کے بعد",
        "bh" => "متعدد موازنوں کے لیے بنجمنی–ہوکبرگ کی اصلاح کے بعد",
        _ => "متعدد موازنوں کی اصلاح کے بغیر",
    };
    out.push(if f.significant.is_empty() {
        format!(
            "باقی سب کے مقابلے میں، {correction}، کسی گروہ کی موافق فیصلوں کی شرح میں اتنا فرق نہیں جو محض اتفاق سے بیان نہ ہو سکے ({} گروہ {} کی سطح پر جانچے گئے)۔",
            f.tested, r.alpha
        )
    } else {
        let list: Vec<String> =
            f.significant.iter().map(|n| format!("{} ({} فیصدی پوائنٹ)", q(&n.label), ltr(points(n.value)))).collect();
        format!(
            "باقی سب کے مقابلے میں، {correction}، جانچے گئے {} میں سے {} گروہوں کی موافق فیصلوں کی شرح میں ایسا فرق ہے جو محض اتفاق سے بیان نہیں ہوتا: {}۔",
            f.tested,
            f.significant.len(),
            list.join("؛ ")
        )
    });
    out.push(aif_urdu(f, r, q));
    out.push(match &f.verdicts {
        Some((name, pass, fail, insufficient)) => format!(
            "معیار {} کے تحت: {pass} کامیاب، {fail} ناکام، اور {insufficient} پر ڈیٹا کی کمی کے باعث رائے نہیں دی جا سکی۔",
            q(name)
        ),
        None => "کوئی معیار منتخب نہیں کیا گیا، اس لیے کسی نتیجے کو کامیاب یا ناکام قرار نہیں دیا گیا۔".to_owned(),
    });
    out.push(
        "شرحوں میں فرق مزید تحقیق کا اشارہ ہے، امتیازی سلوک کا ثبوت نہیں؛ اور فرق کا نہ ہونا انصاف کا ثبوت نہیں۔ \
         ان اعداد کو اس سیاق کے ساتھ پڑھیں کہ فیصلے اور ڈیٹا کیسے بنے۔"
            .to_owned(),
    );
    out
}
