//! The human-readable report. Every number in it comes from the same structs that are
//! written to JSON/CSV beside it, so the two can never disagree.

use std::fmt::Write;

use crate::nps::NpsStats;
use crate::Analysis;

pub fn render(a: &Analysis, charts: &[(String, String)]) -> String {
    let mut md = String::new();
    let w = &mut md;
    let s = &a.survey;
    writeln!(w, "# Key-driver report — {}\n", a.name).unwrap();
    writeln!(
        w,
        "keydriver {} · seed {} · target `{}` · {} drivers{}\n",
        a.version,
        s.seed,
        s.target,
        s.drivers.len(),
        a.config.as_ref().map(|c| format!(" · config `{c}`")).unwrap_or_default()
    )
    .unwrap();

    writeln!(w, "## Data\n").unwrap();
    let l = &a.load;
    writeln!(w, "| | rows |\n|---|---:|").unwrap();
    writeln!(w, "| read from `{}` | {} |", l.ratings_file, l.ratings_rows).unwrap();
    if let (Some(f), Some(n)) = (&l.nps_file, l.nps_rows) {
        writeln!(w, "| read from `{f}` | {n} |").unwrap();
        writeln!(w, "| matched on `{}` | {} |", s.id.as_deref().unwrap_or(""), l.matched).unwrap();
        writeln!(w, "| in ratings only (unmatched) | {} |", l.unmatched_ratings).unwrap();
        writeln!(w, "| in NPS only (unmatched) | {} |", l.unmatched_nps).unwrap();
    }
    writeln!(w, "| without a recommend score | {} |", l.target_missing).unwrap();
    writeln!(w, "| used in the driver model (complete rows) | {} |", a.drivers.n_used).unwrap();
    writeln!(w, "| dropped from the model (a driver or the score missing) | {} |", a.drivers.n_dropped).unwrap();
    writeln!(
        w,
        "\nMissing codes {:?} recoded to missing in {} cells; {} driver/score cells blank after that.{}\n",
        s.missing_codes,
        l.missing_coded,
        l.blank_cells,
        s.weight.as_ref().map(|c| format!(" Weighted by `{c}`.")).unwrap_or_default()
    )
    .unwrap();

    writeln!(w, "## Net Promoter Score\n").unwrap();
    let o = &a.nps.overall;
    writeln!(
        w,
        "Overall NPS **{:+.1}** (95% CI {:+.1} to {:+.1}, SE {:.1}) from {} respondents: {:.1}% promoters, {:.1}% passives, {:.1}% detractors.\n",
        o.nps, o.ci_low, o.ci_high, o.se, o.n, o.pct_promoters, o.pct_passives, o.pct_detractors
    )
    .unwrap();
    for (title, file) in charts.iter().filter(|(_, f)| f.starts_with("nps")) {
        writeln!(w, "![{title}]({file})\n").unwrap();
    }
    for b in &a.nps.breakdowns {
        writeln!(w, "### By {}\n", b.by).unwrap();
        nps_table(w, &b.rows);
    }

    writeln!(w, "## Drivers of the recommend score\n").unwrap();
    let d = &a.drivers;
    writeln!(
        w,
        "Linear model of `{}` on {} drivers: R² = {:.3}, from {} complete responses (all waves pooled). Drivers ranked by their correlation with the score.\n",
        d.target,
        d.drivers.len(),
        d.r2,
        d.n_used
    )
    .unwrap();
    writeln!(w, "| rank | driver | correlation |\n|---:|---|---:|").unwrap();
    for dr in &d.drivers {
        writeln!(w, "| {} | {} | {:.3} |", dr.rank, dr.label, dr.corr).unwrap();
    }
    writeln!(w).unwrap();
    for (title, file) in charts.iter().filter(|(_, f)| f.starts_with("drivers")) {
        writeln!(w, "![{title}]({file})\n").unwrap();
    }
    writeln!(
        w,
        "## Files\n\n`nps.csv`, `nps.json`: every NPS row above. `drivers.csv`, `drivers.json`: the driver table. `run.json`: the settings and load summary of this run."
    )
    .unwrap();
    md
}

fn nps_table(w: &mut String, rows: &[NpsStats]) {
    writeln!(w, "| group | n | promoters | passives | detractors | NPS | SE | 95% CI |").unwrap();
    writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---|").unwrap();
    for r in rows {
        writeln!(
            w,
            "| {} | {} | {:.1}% | {:.1}% | {:.1}% | {:+.1} | {:.1} | {:+.1} to {:+.1} |",
            r.group, r.n, r.pct_promoters, r.pct_passives, r.pct_detractors, r.nps, r.se, r.ci_low, r.ci_high
        )
        .unwrap();
    }
    writeln!(w).unwrap();
}
