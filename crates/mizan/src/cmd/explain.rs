//! `mizan explain`: explain a model's decisions on rows from a CSV or JSON file, and say what
//! would change an unfavourable outcome.
//!
//! Reads the model file (XGBoost JSON/UBJSON, LightGBM `model.txt`, mizan linear JSON) and the
//! rows, hashes the model bytes, and hands values to `mizan-explain`. Rows are matched to the
//! model's features by column name (extra columns such as a label are ignored), or by position
//! when the model records no names. Empty cells, `NA` and `nan` are missing values.
//!
//! Recourse is actionable: protected characteristics (`age`, `sex`, `religion`, ... by their
//! words, `mizan_explain::recourse::is_protected_name`) and `--immutable` features are never
//! suggested, and suggested values are ones the feature takes in the data (whole numbers for
//! whole columns; with `--background`, only the codes seen for a column of a few whole values),
//! each re-scored on the model after rounding.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use mizan_explain::recourse::{
    Direction, Favourable, FeatureStep, Recourse, RecourseConfig, Searcher, actionable, is_protected_name,
};
use mizan_explain::shap::{Explainer, Explanation};
use mizan_explain::{Link, Model};
use serde_json::{Value, json};

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Full numbers as JSON.
    Json,
    /// A readable summary in plain words.
    Text,
}

/// Which side of the threshold is the favourable outcome.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FavourableSide {
    /// A higher score is favourable (e.g. approval).
    High,
    /// A lower score is favourable (e.g. a risk score).
    Low,
}

/// Arguments of `mizan explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The model file: XGBoost `.json`/`.ubj`, LightGBM `model.txt`, or mizan linear `.json`.
    #[arg(long)]
    pub model: PathBuf,
    /// Rows to explain: `.csv` with a header, or `.json` (array of objects or arrays).
    #[arg(long)]
    pub input: PathBuf,
    /// Background sample (same formats) for interventional TreeSHAP; also sets recourse bounds.
    #[arg(long)]
    pub background: Option<PathBuf>,
    /// Also search for changes that would make an unfavourable outcome favourable.
    #[arg(long)]
    pub recourse: bool,
    /// More features recourse must never change (comma-separated), e.g. `purpose`. Protected
    /// characteristics (age, sex, religion, marital status, ...) are never changed anyway.
    #[arg(long, value_delimiter = ',')]
    pub immutable: Vec<String>,
    /// Margin threshold between the two outcomes (0 is probability 0.5 for logistic models).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub threshold: f64,
    /// Which side of the threshold is favourable.
    #[arg(long, value_enum, default_value = "high")]
    pub favourable: FavourableSide,
    /// Number of factors to show each way in text output.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Runs `mizan explain`.
///
/// # Errors
/// Unreadable or malformed files, rows that do not fit the model (the message names the row
/// and column), and explanation failures.
pub fn run(args: ExplainArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model)
        .with_context(|| format!("cannot read model `{}`", args.model.display()))?;
    let hash = mizan_explain::model_hash(&bytes);
    let model = mizan_explain::load_model(&bytes)
        .with_context(|| format!("cannot load model `{}`", args.model.display()))?;
    let rows = read_rows(&args.input, &model)?;
    let background = args.background.as_deref().map(|p| read_rows(p, &model)).transpose()?;
    // Prepared once for every row.
    let explainer = Explainer::new(model);
    let model = explainer.model();
    let searcher = args.recourse.then(|| Searcher::new(model));
    for name in &args.immutable {
        if !model.feature_names.iter().any(|f| f == name) {
            bail!(
                "immutable feature `{name}` is not a model feature\nhint: the model's features are: {}",
                model.feature_names.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            );
        }
    }
    let favourable = match args.favourable {
        FavourableSide::High => Favourable::Above(args.threshold),
        FavourableSide::Low => Favourable::Below(args.threshold),
    };
    let reference = background.as_deref().unwrap_or(&rows);
    let protected: Vec<&str> =
        model.feature_names.iter().map(String::as_str).filter(|f| is_protected_name(f)).collect();
    let fixed = |f: &String| args.immutable.contains(f) || protected.contains(&f.as_str());
    // Searched widely, then rounded to values people can take; some options do not survive.
    let wide = RecourseConfig {
        output: 0,
        favourable,
        directions: model
            .feature_names
            .iter()
            .map(|f| if fixed(f) { Direction::Immutable } else { Direction::Any })
            .collect(),
        bounds: (0..model.n_features()).map(|j| bounds(reference, j)).collect(),
        mads: (0..model.n_features()).map(|j| mad(reference, j)).collect(),
        max_options: 9,
        max_changes: 2,
    };
    let config = RecourseConfig { max_options: 3, ..wide.clone() };
    let steps: Vec<FeatureStep> =
        (0..model.n_features()).map(|j| step(reference, j, background.is_some())).collect();
    let never: Vec<String> = model.feature_names.iter().filter(|f| fixed(f)).cloned().collect();
    let mut reports = Vec::with_capacity(rows.len());
    let mut text = String::new();
    for (r, x) in rows.iter().enumerate() {
        let margins = model.predict_margin(x).with_context(|| format!("cannot score row {}", r + 1))?;
        let output = if model.link == Link::Softmax {
            margins.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
        } else {
            0
        };
        let e = match &background {
            Some(bg) => mizan_explain::shap::explain_interventional(model, &hash, x, bg, output),
            None => explainer.explain(&hash, x, output),
        }
        .with_context(|| format!("cannot explain row {}", r + 1))?;
        let recourse = match &searcher {
            Some(searcher) if model.link != Link::Softmax => {
                let found = searcher
                    .search(x, &wide)
                    .with_context(|| format!("cannot search recourse for row {}", r + 1))?;
                Some(
                    actionable(model, x, &config, &steps, found)
                        .with_context(|| format!("cannot round recourse for row {}", r + 1))?,
                )
            }
            _ => None,
        };
        let score = model.score(&margins, output);
        match args.format {
            Format::Json => reports.push(json!({
                "row": r + 1,
                "output": output,
                "margin": margins[output],
                "score": score,
                "favourable": model.link != Link::Softmax && favourable_holds(favourable, margins[output]),
                "explanation": e,
                "recourse": recourse,
                "never_changed": if recourse.is_some() { json!(never) } else { Value::Null },
            })),
            Format::Text => {
                write_text(&mut text, model, r, score, favourable, &e, recourse.as_ref(), args.top);
                if recourse.is_some() && !never.is_empty() {
                    // Inside the row's block, before its closing blank line.
                    text.pop();
                    let _ = writeln!(
                        text,
                        "  Never suggested: {} (protected characteristics{} are not something a person should be asked to change)\n",
                        never.join(", "),
                        if args.immutable.is_empty() { "" } else { " and --immutable features" }
                    );
                }
            }
        }
    }
    match args.format {
        Format::Json => out!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "model": { "file": args.model.display().to_string(), "sha256": hash, "source": model.source, "features": model.feature_names },
                "method": if background.is_some() { "interventional" } else { "path_dependent" },
                "rows": reports,
            }))?
        ),
        Format::Text => out_raw!("{text}"),
    }
    Ok(())
}

fn favourable_holds(f: Favourable, margin: f64) -> bool {
    match f {
        Favourable::Above(t) => margin > t,
        Favourable::Below(t) => margin < t,
    }
}

fn fmt_value(v: Option<f64>) -> String {
    v.map_or_else(|| "missing".to_string(), |v| format!("{v}"))
}

#[expect(clippy::too_many_arguments, reason = "one row's report has this many parts")]
fn write_text(
    out: &mut String,
    model: &Model,
    r: usize,
    score: f64,
    favourable: Favourable,
    e: &Explanation,
    recourse: Option<&Recourse>,
    top: usize,
) {
    let outcome = if model.link == Link::Softmax {
        format!("class {}", e.output)
    } else if favourable_holds(favourable, e.margin) {
        "favourable".to_string()
    } else {
        "unfavourable".to_string()
    };
    let unit = if model.link == Link::Identity { "" } else { " (log-odds)" };
    let _ =
        writeln!(out, "Row {}: outcome {outcome}, score {score:.4} (margin {:.4}{unit})", r + 1, e.margin);
    let mut order: Vec<usize> = (0..e.phi.len()).collect();
    order.sort_by(|&a, &b| e.phi[b].abs().total_cmp(&e.phi[a].abs()));
    let pos: Vec<usize> = order.iter().copied().filter(|&j| e.phi[j] > 0.0).take(top).collect();
    let neg: Vec<usize> = order.iter().copied().filter(|&j| e.phi[j] < 0.0).take(top).collect();
    let line = |out: &mut String, j: usize, verb: &str| {
        let f = &e.features[j];
        let _ = writeln!(
            out,
            "    {} = {} {verb} the score by {:.4}",
            f.name,
            fmt_value(f.given),
            e.phi[j].abs()
        );
    };
    let _ = writeln!(out, "  Factors raising the score:");
    if pos.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for j in pos {
        line(out, j, "raised");
    }
    let _ = writeln!(out, "  Factors lowering the score:");
    if neg.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for j in neg {
        line(out, j, "lowered");
    }
    let _ = writeln!(
        out,
        "  Starting point (average case) {:.4}; contributions add up to the margin within {:.1e}",
        e.phi0, e.additivity_residual
    );
    match recourse {
        None => {}
        Some(Recourse::AlreadyFavourable) => {
            let _ = writeln!(out, "  The outcome is already favourable.");
        }
        Some(Recourse::NoneWithinConstraints { searched }) => {
            let _ = writeln!(
                out,
                "  No change within the constraints would change the outcome ({searched} candidates tried)."
            );
        }
        Some(Recourse::Options(opts)) => {
            let _ = writeln!(out, "  What would change the outcome:");
            for (i, o) in opts.iter().enumerate() {
                let changes: Vec<String> = o
                    .changes
                    .iter()
                    .map(|c| format!("{} from {} to {}", c.name, fmt_value(c.from), c.to))
                    .collect();
                let _ = writeln!(
                    out,
                    "    {}. change {} (score becomes {:.4}, cost {:.2})",
                    i + 1,
                    changes.join(" and "),
                    o.score,
                    o.cost
                );
            }
        }
    }
    let _ = writeln!(out, "  Model sha256 {}", e.model_hash);
    out.push('\n');
}

fn bounds(rows: &[Vec<f64>], j: usize) -> (f64, f64) {
    let (lo, hi) = rows
        .iter()
        .map(|r| r[j])
        .filter(|v| !v.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo <= hi { (lo, hi) } else { (f64::NEG_INFINITY, f64::INFINITY) }
}

/// The values a suggested change of feature `j` may take: the codes seen in a background
/// sample when the column holds a few whole values, whole numbers when it is whole, else
/// hundredths.
fn step(rows: &[Vec<f64>], j: usize, background: bool) -> FeatureStep {
    let vals: Vec<f64> = rows.iter().map(|r| r[j]).filter(|v| !v.is_nan()).collect();
    if !vals.iter().all(|v| v.fract() == 0.0) {
        return FeatureStep::Every(0.01);
    }
    let mut seen = vals.clone();
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    if background && !seen.is_empty() && seen.len() <= 12 && vals.len() >= 30 {
        FeatureStep::Values(seen)
    } else {
        FeatureStep::Every(1.0)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn mad(rows: &[Vec<f64>], j: usize) -> f64 {
    let vals: Vec<f64> = rows.iter().map(|r| r[j]).filter(|v| !v.is_nan()).collect();
    let m = median(vals.clone());
    median(vals.into_iter().map(|v| (v - m).abs()).collect())
}

/// Reads rows from `.csv` or `.json`, in the model's feature order.
fn read_rows(path: &Path, model: &Model) -> Result<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let file = path.display().to_string();
    let rows = match ext.as_str() {
        "csv" => rows_from_csv(&text, model, &file)?,
        "json" => rows_from_json(&text, model, &file)?,
        "parquet" => bail!("`{file}`: parquet input is not supported yet\nhint: convert it to csv or json"),
        other => bail!(
            "`{file}`: unknown input extension `{other}`\nhint: use a `.csv` file with a header or a `.json` file"
        ),
    };
    if rows.is_empty() {
        bail!("`{file}` has no rows");
    }
    Ok(rows)
}

fn parse_cell(cell: &str, file: &str, row: usize, column: &str) -> Result<f64> {
    let c = cell.trim();
    if c.is_empty()
        || c.eq_ignore_ascii_case("na")
        || c.eq_ignore_ascii_case("nan")
        || c.eq_ignore_ascii_case("null")
    {
        return Ok(f64::NAN);
    }
    c.parse::<f64>().map_err(|_| {
        anyhow::anyhow!(
            "`{file}` row {row}, column `{column}`: `{c}` is not a number\nhint: the model needs numeric features; encode categories as the codes the model was trained on"
        )
    })
}

/// Maps file columns to model features: by name when the model's names are all present, by
/// position when the model has generated names and the counts match.
fn column_map(header: &[String], model: &Model, file: &str) -> Result<Vec<usize>> {
    let index: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let missing: Vec<&String> =
        model.feature_names.iter().filter(|f| !index.contains_key(f.as_str())).collect();
    if missing.is_empty() {
        return Ok(model.feature_names.iter().map(|f| index[f.as_str()]).collect());
    }
    if header.len() == model.n_features() && missing.len() == model.n_features() {
        return Ok((0..header.len()).collect());
    }
    bail!(
        "`{file}` has no column for model feature(s) {}\nhint: the file's columns are {}; the model expects {} feature(s): {}",
        missing.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        header.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        model.n_features(),
        model.feature_names.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
    )
}

/// Splits one CSV record (RFC 4180 quoting, no embedded newlines).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn rows_from_csv(text: &str, model: &Model, file: &str) -> Result<Vec<Vec<f64>>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(head) = lines.next() else {
        bail!("`{file}` is empty\nhint: the first line must name the columns")
    };
    let header: Vec<String> = split_csv(head).into_iter().map(|h| h.trim().to_string()).collect();
    let map = column_map(&header, model, file)?;
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells = split_csv(line);
            if cells.len() != header.len() {
                bail!(
                    "`{file}` row {}: {} cells but the header has {} columns",
                    i + 1,
                    cells.len(),
                    header.len()
                );
            }
            map.iter().map(|&c| parse_cell(&cells[c], file, i + 1, &header[c])).collect()
        })
        .collect()
}

fn rows_from_json(text: &str, model: &Model, file: &str) -> Result<Vec<Vec<f64>>> {
    let v: Value = serde_json::from_str(text).with_context(|| format!("`{file}` is not valid json"))?;
    let Some(items) = v.as_array() else { bail!("`{file}`: expected a json array of rows") };
    let cell = |v: Option<&Value>, row: usize, column: &str| -> Result<f64> {
        match v {
            None | Some(Value::Null) => Ok(f64::NAN),
            Some(Value::Number(n)) => Ok(n.as_f64().unwrap_or(f64::NAN)),
            Some(Value::String(s)) => parse_cell(s, file, row, column),
            Some(other) => bail!("`{file}` row {row}, column `{column}`: `{other}` is not a number"),
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(o) => {
                let keys: Vec<String> = o.keys().cloned().collect();
                let map = column_map(&keys, model, file)?;
                map.iter().map(|&c| cell(o.get(&keys[c]), i + 1, &keys[c])).collect()
            }
            Value::Array(a) => {
                if a.len() != model.n_features() {
                    bail!(
                        "`{file}` row {}: {} values but the model expects {} features",
                        i + 1,
                        a.len(),
                        model.n_features()
                    );
                }
                a.iter().enumerate().map(|(j, v)| cell(Some(v), i + 1, &model.feature_names[j])).collect()
            }
            _ => bail!("`{file}` row {}: expected an object or an array", i + 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mizan-explain/examples/german_logistic.json");
        mizan_explain::load_model(&std::fs::read(p).expect("example model")).expect("loads")
    }

    const HEADER: &str =
        "risk,sex,job,housing,saving_accounts,checking_account,credit_amount,duration,purpose,age";

    #[test]
    fn csv_rows_follow_model_order_and_ignore_extra_columns() {
        let m = model();
        let rows = rows_from_csv(
            &format!("{HEADER}\n1,1,2,1,2,0,1169,6,5,67\n0,0,,1,0,1,NA,48,5,22\n"),
            &m,
            "t.csv",
        )
        .expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][m.feature_names.iter().position(|f| f == "age").expect("age")], 67.0);
        assert!(rows[1][1].is_nan(), "empty cell is missing");
        assert!(rows[1][5].is_nan(), "NA is missing");
    }

    #[test]
    fn non_numeric_cell_names_row_and_column() {
        let e = rows_from_csv(
            &format!("{HEADER}\n1,1,2,1,2,0,1169,6,5,67\n0,male,2,1,0,1,5951,48,5,22\n"),
            &model(),
            "t.csv",
        )
        .expect_err("`male` is not a number");
        let msg = e.to_string();
        assert!(msg.contains("row 2") && msg.contains("`sex`") && msg.contains("`male`"), "{msg}");
    }

    #[test]
    fn missing_feature_column_is_named() {
        let e = rows_from_csv("sex,job\n1,2\n", &model(), "t.csv").expect_err("columns missing");
        assert!(e.to_string().contains("`age`"), "{e}");
    }

    #[test]
    fn json_arrays_must_have_the_feature_count() {
        let e = rows_from_json("[[1,2,3]]", &model(), "t.json").expect_err("too short");
        assert!(e.to_string().contains("row 1") && e.to_string().contains("expects 9"), "{e}");
        let rows = rows_from_json(r#"[{"sex":1,"job":2,"housing":1,"saving_accounts":2,"checking_account":null,"credit_amount":1169,"duration":6,"purpose":5,"age":67}]"#, &model(), "t.json").expect("parses");
        assert!(rows[0][4].is_nan());
    }

    #[test]
    fn csv_quotes_are_handled() {
        assert_eq!(split_csv(r#"a,"b,c","d""e""#), vec!["a", "b,c", "d\"e"]);
    }

    #[test]
    fn mad_and_bounds_ignore_missing_values() {
        let rows = vec![vec![1.0], vec![f64::NAN], vec![3.0], vec![10.0]];
        assert_eq!(bounds(&rows, 0), (1.0, 10.0));
        assert_eq!(mad(&rows, 0), 2.0);
    }
}
