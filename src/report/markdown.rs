//! The human-readable report. Every number in it comes from the same structs that are
//! written to JSON/CSV beside it, so the two can never disagree.

use std::fmt::Write;

use crate::drivers::{DriverTable, RankBy};
use crate::groups::{GroupAnalysis, GroupFit, ShareDifference};
use crate::nps::NpsStats;
use crate::spec::WeightsAre;
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
    if s.weight.is_some() {
        writeln!(w, "| weight 0, left out of every statistic | {} |", l.zero_weight).unwrap();
    }
    if let Some(d) = &a.drivers {
        writeln!(w, "| used in the driver model (complete rows) | {} |", d.n_used).unwrap();
        writeln!(w, "| dropped from the model (a driver or the score missing) | {} |", d.n_dropped).unwrap();
    }
    writeln!(
        w,
        "\nMissing codes {:?} recoded to missing in {} cells; {} driver/score cells blank after that.{}\n",
        s.missing_codes,
        l.missing_coded,
        l.blank_cells,
        s.weight.as_ref().map(|c| weights_sentence(c, s.weights_are)).unwrap_or_default()
    )
    .unwrap();
    for note in &l.notes {
        writeln!(w, "> **Note:** {note}.\n").unwrap();
    }

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

    match (&a.drivers, &a.drivers_note) {
        (Some(d), _) => drivers_section(w, d),
        (None, note) => writeln!(
            w,
            "## Drivers of the recommend score\n\nNo driver model: {}.\n",
            note.as_deref().unwrap_or("not run")
        )
        .unwrap(),
    }
    for (title, file) in charts.iter().filter(|(_, f)| f.starts_with("drivers")) {
        writeln!(w, "![{title}]({file})\n").unwrap();
    }
    if let Some(d) = &a.drivers {
        groups_section(w, d, &a.groups);
    }
    writeln!(
        w,
        "## Files\n\n`nps.csv`, `nps.json`: every NPS row above. `drivers.csv`, `drivers.json`: the driver table. `run.json`: the settings and load summary of this run."
    )
    .unwrap();
    md
}

fn drivers_section(w: &mut String, d: &DriverTable) {
    writeln!(w, "## Drivers of the recommend score\n").unwrap();
    writeln!(
        w,
        "Linear model of `{}` on {} drivers: R² = {:.3} (adjusted {:.3}), from {} complete responses (all waves pooled; {} dropped for a missing rating or score; {} deletion). Ranked by `{}`.\n",
        d.target,
        d.drivers.len(),
        d.r2,
        d.adj_r2,
        d.n_used,
        d.n_dropped,
        serde_json::to_value(d.missing).unwrap().as_str().unwrap_or(""),
        d.rank_by.name()
    )
    .unwrap();
    writeln!(
        w,
        "*Share of R²* is each driver's Shapley value (LMG): its average gain in R² over every order in which the drivers could enter the model, so the shares add to 100% and correlated drivers split what they explain together. *Relative weight* is Johnson's (2000) alternative, in R² points. *Beta* is the standardized regression coefficient; with correlated ratings it can shrink or flip sign, which is why it is not used to rank. *Promoter OR* is the odds ratio of being a promoter per one-point higher rating.\n"
    )
    .unwrap();
    if let Some(u) = &d.uncertainty {
        let b = &u.bootstrap;
        writeln!(
            w,
            "*How sure*: {} bootstrap resamples of the respondents (seed {}{}). *95% CI* is the percentile interval of the share; *P(top)* is how often the driver ranked first; *rank range* holds 95% of its bootstrap ranks. Drivers that share a *tie group* letter cannot be told apart at 95% (the interval of their difference in {} includes zero).\n",
            b.resamples,
            b.seed,
            if b.failed > 0 { format!("; {} could not be fitted and were left out", b.failed) } else { String::new() },
            if b.ranked_by == RankBy::RelativeWeight { "relative weight" } else { "Shapley value" }
        )
        .unwrap();
    }
    writeln!(w, "| rank | driver | share of R² | 95% CI | P(top) | rank range | tie group | Shapley (R²) | relative weight | beta | p | correlation | promoter OR | direction |").unwrap();
    writeln!(w, "|---:|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|").unwrap();
    let num = |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |x| format!("{x:.digits$}"));
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |s| format!("{:.1}%", 100.0 * s));
    for dr in &d.drivers {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.3} | {} | {} |",
            dr.rank,
            dr.label,
            pct(dr.shapley_share),
            match (dr.share_ci_low, dr.share_ci_high) {
                (Some(l), Some(h)) => format!("{:.1}–{:.1}%", 100.0 * l, 100.0 * h),
                _ => "—".to_string(),
            },
            pct(dr.p_rank1),
            dr.rank_ci.map_or("—".to_string(), |[l, h]| if l == h { l.to_string() } else { format!("{l}–{h}") }),
            dr.tie_group.as_deref().unwrap_or("—"),
            num(dr.shapley, 4),
            num(dr.relative_weight, 4),
            num(dr.beta, 3),
            dr.beta_p.map_or("—".to_string(), p_value),
            dr.corr,
            num(dr.promoter_odds_ratio, 2),
            if dr.direction == "positive" { "positive".to_string() } else { format!("**{}**: higher rating, lower score", dr.direction) },
        )
        .unwrap();
    }
    writeln!(w).unwrap();
    if let Some(method) = &d.shapley_method {
        writeln!(w, "Shapley values: {method}.").unwrap();
    }
    if let Some(pairs) = &d.complete_dominance {
        let find = |n: &str| d.drivers.iter().find(|x| x.name == n);
        let label = |n: &str| find(n).map_or(n.to_string(), |x| x.label.clone());
        let mut pairs = pairs.clone();
        pairs.sort_by_key(|[a, b]| (find(a).map(|x| x.rank), find(b).map(|x| x.rank)));
        let shown: Vec<String> = pairs.iter().map(|[a, b]| format!("{} over {}", label(a), label(b))).collect();
        writeln!(
            w,
            "Complete dominance (adds more to R² in every subset of the other drivers): {}.",
            if shown.is_empty() { "none".to_string() } else { shown.join("; ") }
        )
        .unwrap();
    }
    for note in &d.method_notes {
        writeln!(w, "\n> **Note:** {note}.").unwrap();
    }
    writeln!(w).unwrap();
}

/// Why NPS moved, whether driver shares moved, and the ranking in each wave and segment.
fn groups_section(w: &mut String, pooled: &DriverTable, g: &GroupAnalysis) {
    if let Some(e) = &g.nps_change_explained {
        writeln!(w, "## Why NPS moved from {} to {}\n", e.from, e.to).unwrap();
        writeln!(
            w,
            "Among complete responses ({} and {}), NPS changed by **{:+.1}** points. Each driver's part is its change in mean rating times what a rating point is worth in the pooled model of both waves (Oaxaca–Blinder, pooled reference); the rest is what changed ratings do not explain. 95% intervals from {} bootstrap resamples of each wave.\n",
            e.n_from, e.n_to, e.nps_change, e.resamples
        )
        .unwrap();
        writeln!(w, "| driver | mean rating {} | mean rating {} | NPS points per rating point | NPS points | 95% CI |", e.from, e.to).unwrap();
        writeln!(w, "|---|---:|---:|---:|---:|---|").unwrap();
        let mut parts: Vec<_> = e.drivers.iter().collect();
        parts.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));
        let ci = |l: Option<f64>, h: Option<f64>| l.zip(h).map_or("—".to_string(), |(l, h)| format!("{l:+.2} to {h:+.2}"));
        for c in parts {
            writeln!(
                w,
                "| {} | {:.2} | {:.2} | {:+.2} | {:+.2} | {} |",
                c.label, c.mean_from, c.mean_to, c.coefficient, c.points, ci(c.ci_low, c.ci_high)
            )
            .unwrap();
        }
        writeln!(w, "| *not explained by ratings* | | | | {:+.2} | {} |\n", e.unexplained, ci(e.unexplained_ci_low, e.unexplained_ci_high)).unwrap();
    }
    if let Some(shift) = &g.share_shift {
        writeln!(w, "### Did the drivers' importance change from {} to {}?\n", shift.from, shift.to).unwrap();
        share_table(w, &format!("share {}", shift.from), &format!("share {}", shift.to), &shift.drivers);
    }
    if !g.waves.is_empty() {
        writeln!(w, "## Drivers by wave\n\nShare of R² in each wave, with its tie-group letters (within a wave, drivers sharing a letter cannot be told apart).\n").unwrap();
        let columns: Vec<(&str, &GroupFit)> = g.waves.iter().map(|x| (x.wave.as_str(), &x.fit)).collect();
        group_table(w, pooled, &columns, None);
    }
    for (col, groups) in &g.segments {
        writeln!(w, "## Drivers by {col}\n\nShare of R² in each group; ▲ / ▼: significantly more / less than in the rest of the sample (95% bootstrap interval of the difference).\n").unwrap();
        let columns: Vec<(&str, &GroupFit)> = groups.iter().map(|x| (x.group.as_str(), &x.fit)).collect();
        let versus: Vec<Option<&[ShareDifference]>> = groups.iter().map(|x| x.versus_rest.as_deref()).collect();
        group_table(w, pooled, &columns, Some(&versus));
    }
    for note in &g.notes {
        writeln!(w, "> **Note:** {note}.\n").unwrap();
    }
}

/// Drivers (in the pooled rank order) down, groups across; groups without a ranking say why below.
fn group_table(w: &mut String, pooled: &DriverTable, groups: &[(&str, &GroupFit)], versus: Option<&[Option<&[ShareDifference]>]>) {
    write!(w, "| driver |").unwrap();
    for (name, fit) in groups {
        write!(w, " {name} (n {}) |", fit.table.as_ref().map_or(0, |t| t.n_used)).unwrap();
    }
    writeln!(w, "\n|---|{}", "---:|".repeat(groups.len())).unwrap();
    for d in &pooled.drivers {
        write!(w, "| {} |", d.label).unwrap();
        for (k, (_, fit)) in groups.iter().enumerate() {
            let cell = fit.table.as_ref().and_then(|t| t.drivers.iter().find(|x| x.name == d.name)).map_or("—".to_string(), |x| {
                let mark = versus
                    .and_then(|v| v[k])
                    .and_then(|v| v.iter().find(|s| s.name == d.name))
                    .filter(|s| s.significant)
                    .map_or("", |s| if s.difference > 0.0 { "▲" } else { "▼" });
                let share = x.shapley_share.map_or("—".to_string(), |s| format!("{:.1}%", 100.0 * s));
                format!("{share}{} {mark}", x.tie_group.as_deref().map(|l| format!(" {l}")).unwrap_or_default())
            });
            write!(w, " {} |", cell.trim_end()).unwrap();
        }
        writeln!(w).unwrap();
    }
    writeln!(w).unwrap();
    for (name, fit) in groups {
        if let Some(note) = &fit.note {
            writeln!(w, "- {name}: {note}.").unwrap();
        }
    }
    writeln!(w).unwrap();
}

fn share_table(w: &mut String, other: &str, this: &str, rows: &[ShareDifference]) {
    writeln!(w, "| driver | {other} | {this} | change | 95% CI | beyond noise |").unwrap();
    writeln!(w, "|---|---:|---:|---:|---|---|").unwrap();
    for r in rows {
        writeln!(
            w,
            "| {} | {:.1}% | {:.1}% | {:+.1} pts | {:+.1} to {:+.1} | {} |",
            r.label,
            100.0 * r.other_share,
            100.0 * r.share,
            100.0 * r.difference,
            100.0 * r.ci_low,
            100.0 * r.ci_high,
            if r.significant { "yes" } else { "no" }
        )
        .unwrap();
    }
    writeln!(w).unwrap();
}

fn weights_sentence(column: &str, kind: WeightsAre) -> String {
    match kind {
        WeightsAre::Sampling => format!(" Weighted by `{column}` as sampling weights: standard errors are design-based (linearization, as R's survey package), for the betas and the NPS."),
        WeightsAre::Frequency => format!(" Weighted by `{column}` as frequency weights: the betas' standard errors are those of `lm(weights = {column})`, the NPS SE uses Kish's effective sample size."),
    }
}

fn p_value(p: f64) -> String {
    if p < 0.001 { "<0.001".to_string() } else { format!("{p:.3}") }
}

fn nps_table(w: &mut String, rows: &[NpsStats]) {
    let changes = rows.iter().any(|r| r.change.is_some());
    write!(w, "| group | n | promoters | passives | detractors | NPS | SE | 95% CI |").unwrap();
    writeln!(w, "{}", if changes { " change | 95% CI of change | p | vs a year earlier |" } else { "" }).unwrap();
    write!(w, "|---|---:|---:|---:|---:|---:|---:|---|").unwrap();
    writeln!(w, "{}", if changes { "---:|---|---:|---|" } else { "" }).unwrap();
    for r in rows {
        write!(
            w,
            "| {} | {} | {:.1}% | {:.1}% | {:.1}% | {:+.1} | {:.1} | {:+.1} to {:+.1} |",
            r.group, r.n, r.pct_promoters, r.pct_passives, r.pct_detractors, r.nps, r.se, r.ci_low, r.ci_high
        )
        .unwrap();
        if changes {
            let dash = || "—".to_string();
            let (d, ci, p) = r.change.as_ref().map_or((dash(), dash(), dash()), |c| {
                (format!("{:+.1}", c.nps_change), format!("{:+.1} to {:+.1}", c.ci_low, c.ci_high), p_value(c.p_value))
            });
            let year = r.year_change.as_ref().map_or(dash(), |c| format!("{:+.1} (p {})", c.nps_change, p_value(c.p_value)));
            write!(w, " {d} | {ci} | {p} | {year} |").unwrap();
        }
        writeln!(w).unwrap();
    }
    writeln!(w).unwrap();
}
