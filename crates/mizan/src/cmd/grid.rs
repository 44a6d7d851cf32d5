//! `mizan grid`: the national compute grid from the command line: register institutions and
//! resources, show or apply the difference between the allocations and a Slurm cluster
//! (`sync --dry-run`, `sync`), and import usage from `sacct`. Slurm's tools run with the
//! environment as it is (`SLURM_CONF`), on a machine that is a client of the cluster, as a
//! Slurm operator.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use mizan_app::grid::Slurm;

use crate::cmd::serve::{DbArgs, runtime};

/// Arguments of `mizan grid`.
#[derive(Debug, Args)]
pub struct GridArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Where `sacctmgr` and `sacct` are (default: the `PATH`).
    #[arg(long, env = "MIZAN_SLURM_BIN")]
    slurm_bin: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: GridCommand,
}

#[derive(Debug, Subcommand)]
enum GridCommand {
    /// Show (`--dry-run`) or apply the `sacctmgr` operations that make a cluster's accounts,
    /// users and limits what the approved allocations say.
    Sync {
        /// Print the operations without running them.
        #[arg(long)]
        dry_run: bool,
        /// The cluster (default: every cluster the grid has a resource on).
        #[arg(long)]
        cluster: Option<String>,
    },
    /// Import finished jobs from `sacct` (idempotent: a job imported twice counts once).
    Import {
        /// The cluster (default: every cluster the grid has a resource on).
        #[arg(long)]
        cluster: Option<String>,
        /// Start of the window, `YYYY-MM-DDTHH:MM:SS` in UTC (default: two days ago).
        #[arg(long)]
        since: Option<String>,
        /// End of the window (default: now).
        #[arg(long)]
        until: Option<String>,
    },
    /// Register an organisation with the grid (or correct its kind and province).
    Institution {
        /// The organisation's slug.
        #[arg(long)]
        org: String,
        /// `university`, `startup`, `public-body` or `company`.
        #[arg(long)]
        kind: String,
        /// `punjab`, `sindh`, `khyber-pakhtunkhwa`, `balochistan`, `islamabad`,
        /// `gilgit-baltistan` or `azad-kashmir`.
        #[arg(long)]
        province: String,
    },
    /// Add a resource: a partition of a Slurm cluster, run by an operator organisation whose
    /// grid reviewers decide requests for it.
    Resource {
        /// The Slurm cluster's name (`ClusterName`).
        #[arg(long)]
        cluster: String,
        /// The partition.
        #[arg(long)]
        partition: String,
        /// CPUs.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100_000_000))]
        cpus: i64,
        /// GPUs.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..=10_000_000))]
        gpus: i64,
        /// Memory, MB.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=i64::MAX))]
        memory_mb: i64,
        /// The operator organisation's slug.
        #[arg(long)]
        operator: String,
        /// What it is, for people.
        #[arg(long)]
        description: String,
    },
}

/// Runs `mizan grid`.
pub fn run(args: GridArgs) -> Result<()> {
    runtime()?.block_on(async move {
        let store = args.db.open().await?;
        let slurm = Slurm { bin_dir: args.slurm_bin.clone(), conf: None };
        let clusters = |asked: Option<String>| {
            let store = store.clone();
            async move {
                if let Some(c) = asked {
                    return Ok::<_, anyhow::Error>(vec![c]);
                }
                let mut all: Vec<String> =
                    store.grid_resources().await?.into_iter().map(|r| r.new.cluster).collect();
                all.dedup();
                if all.is_empty() {
                    bail!("the grid has no resources yet\nhint: add one with `mizan grid resource --cluster ...`");
                }
                Ok(all)
            }
        };
        let now = time::OffsetDateTime::now_utc();
        match args.command {
            GridCommand::Sync { dry_run, cluster } => {
                for c in clusters(cluster).await? {
                    let r = mizan_app::grid::sync(&store, &slurm, &c, now.date(), dry_run)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))
                        .with_context(|| format!("cannot sync cluster `{c}`"))?;
                    if r.plan.is_empty() {
                        eprintln!("cluster {c}: Slurm already has what the allocations say");
                    } else {
                        let n = r.plan.ops.len();
                        let ops = if n == 1 { "1 operation".to_owned() } else { format!("{n} operations") };
                        if dry_run {
                            eprintln!("cluster {c}: {ops} would bring Slurm in line:");
                        } else {
                            eprintln!("cluster {c}: {ops} applied:");
                        }
                    }
                    for op in &r.plan.ops {
                        out!("{}", op.command_line(Some(&c)));
                    }
                    for kept in &r.plan.kept {
                        eprintln!("kept: {kept} (no longer allocated, but an account outside Mizan is under it)");
                    }
                }
            }
            GridCommand::Import { cluster, since, until } => {
                let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
                let since = match since {
                    Some(s) => s,
                    None => (now - time::Duration::days(2)).format(&fmt)?,
                };
                let until = match until {
                    Some(s) => s,
                    None => now.format(&fmt)?,
                };
                for c in clusters(cluster).await? {
                    let s = mizan_app::grid::import(&store, &slurm, &c, (&since, &until), "mizan grid import")
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))
                        .with_context(|| format!("cannot import usage of cluster `{c}`"))?;
                    out!("cluster {c}: {} finished jobs reported, {} new", s.jobs_seen, s.jobs_new);
                    for (account, jobs, cpu, gpu) in &s.per_account {
                        out!("  {account}: {jobs} jobs, {cpu} CPU-seconds, {gpu} GPU-seconds");
                    }
                }
            }
            GridCommand::Institution { org, kind, province } => {
                mizan_app::grid::register_institution(&store, &org, &kind, &province)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                eprintln!("{org} is registered with the grid as {kind} in {province}");
            }
            GridCommand::Resource { cluster, partition, cpus, gpus, memory_mb, operator, description } => {
                let op = store
                    .org_by_slug(&operator)
                    .await
                    .with_context(|| format!("no organisation `{operator}`"))?;
                let new = mizan_store::NewGridResource {
                    cluster: cluster.clone(),
                    partition: partition.clone(),
                    cpus,
                    gpus,
                    memory_mb,
                    operator_org_id: op.id,
                    description,
                };
                let id = store.add_grid_resource(&new).await?;
                eprintln!("resource {id}: partition {partition} of cluster {cluster}");
            }
        }
        store.close().await;
        Ok(())
    })
}
