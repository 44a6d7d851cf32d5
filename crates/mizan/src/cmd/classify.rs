//! `mizan classify`: risk classification of one system from a YAML or JSON answers file.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use mizan_rules::{Answers, Classification, Ruleset};

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// The full report as JSON.
    Json,
    /// A readable summary.
    Text,
}

/// Arguments of `mizan classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The answers file (`.yaml`, `.yml` or `.json`): question id → answer.
    #[arg(required_unless_present_any = ["schema", "questions"])]
    file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Print the JSON Schema of the answers file and exit.
    #[arg(long)]
    schema: bool,
    /// List the questions with their citations and allowed answers, and exit.
    #[arg(long)]
    questions: bool,
}

/// Runs `mizan classify`.
pub fn run(args: ClassifyArgs) -> Result<()> {
    let rs = Ruleset::embedded()?;
    if args.schema {
        out!("{}", serde_json::to_string_pretty(&rs.json_schema())?);
        return Ok(());
    }
    if args.questions {
        for q in &rs.questions {
            out!(
                "{}  [{}]\n  {}\n  {}\n  answers: {}\n",
                q.id,
                q.cite,
                q.text.en,
                q.text.ur,
                q.allowed().join(", ")
            );
        }
        return Ok(());
    }
    let Some(file) = args.file else { bail!("give an answers file, or --schema or --questions") };
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let answers = parse_answers(&file, &text)?;
    let result = rs.classify(&answers).with_context(|| format!("cannot classify `{}`", file.display()))?;
    match args.format {
        Format::Json => out!("{}", serde_json::to_string_pretty(&result)?),
        Format::Text => out_raw!("{}", text_report(&result)),
    }
    Ok(())
}

fn parse_answers(file: &std::path::Path, text: &str) -> Result<Answers> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let value: serde_json::Value = match ext.as_str() {
        "json" => {
            serde_json::from_str(text).with_context(|| format!("`{}` is not valid JSON", file.display()))?
        }
        "yaml" | "yml" => serde_yaml_ng::from_str(text)
            .with_context(|| format!("`{}` is not valid YAML", file.display()))?,
        other => {
            bail!("unsupported file type `.{other}` for `{}` (use .yaml, .yml or .json)", file.display())
        }
    };
    let Some(obj) = value.as_object() else {
        bail!("`{}` must hold a mapping of question id to answer", file.display())
    };
    obj.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            serde_json::Value::Bool(b) => Ok((k.clone(), if *b { "yes" } else { "no" }.to_owned())),
            other => bail!("answer to `{k}` must be text, found `{other}`"),
        })
        .collect()
}

fn text_report(c: &Classification) -> String {
    let mut out = format!(
        "tier: {} ({})\nrole: {}{}\n",
        c.tier.as_str(),
        c.tier_cite,
        c.role,
        if c.became_provider { " (became provider, Art. 25(1))" } else { "" }
    );
    if c.gpai.general_purpose {
        out.push_str(&format!(
            "general-purpose AI model: yes; systemic risk: {}\n",
            if c.gpai.systemic_risk { "yes" } else { "no" }
        ));
    }
    out.push_str("\nobligations:\n");
    if c.obligations.is_empty() {
        out.push_str("  (none)\n");
    }
    for o in &c.obligations {
        out.push_str(&format!("  {:<26} {} [{}]\n", o.id, o.text.en, o.cite));
    }
    out.push_str("\nhow this was decided:\n");
    for (i, s) in c.path.iter().enumerate() {
        out.push_str(&format!("  {:>2}. {} = {}  [{}]\n", i + 1, s.question, s.answer, s.cite));
    }
    if !c.ignored.is_empty() {
        out.push_str(&format!("\nignored (not on the path): {}\n", c.ignored.join(", ")));
    }
    out.push_str(&format!("\nruleset: {} {} sha256:{}\n", c.ruleset.id, c.ruleset.version, c.ruleset.sha256));
    out
}
