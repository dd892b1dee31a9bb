//! The human-readable report. Every number in it comes from the same structs that are
//! written to JSON/CSV beside it, so the two can never disagree.

use std::fmt::Write;

use super::capitalised;

use crate::agreement::Agreement;
use crate::drivers::{Driver, DriverTable, RankBy};
use crate::groups::{GroupAnalysis, GroupFit, ShareDifference};
use crate::outcome::{Band, Outcome, OutcomeKind};
use crate::scores::ScoreStats;
use crate::spec::WeightsAre;
use crate::{Analysis, OutcomeAnalysis};

/// The report; `charts[i]` are outcome i's charts as (title, file).
pub fn render(a: &Analysis, charts: &[Vec<(String, String)>]) -> String {
    let mut md = String::new();
    let w = &mut md;
    let s = &a.survey;
    writeln!(w, "# Key-driver report — {}\n", a.name).unwrap();
    let outcomes: Vec<String> =
        a.outcomes.iter().map(|o| format!("{} (`{}`)", o.outcome.label, o.outcome.column)).collect();
    writeln!(
        w,
        "keydriver {} · seed {} · {} {} · {} drivers{}\n",
        a.version,
        s.seed,
        if outcomes.len() == 1 { "outcome" } else { "outcomes" },
        outcomes.join(", "),
        s.drivers.len(),
        a.config.as_ref().map(|c| format!(" · config `{c}`")).unwrap_or_default()
    )
    .unwrap();
    headline(w, a);
    data_section(w, a);
    for (o, charts) in a.outcomes.iter().zip(charts) {
        outcome_section(w, o, charts);
    }
    if let Some(agreement) = &a.agreement {
        agreement_section(w, a, agreement);
    }
    writeln!(w, "## Files\n").unwrap();
    for (i, o) in a.outcomes.iter().enumerate() {
        let f = super::Files::of(&o.outcome, i == 0);
        write!(w, "- {}: `{}.csv`, `{}.json` (every row of its tables above)", o.outcome.label, f.scores, f.scores)
            .unwrap();
        if o.drivers.is_some() {
            write!(w, "; `{}.csv`, `{}.json` (its driver tables, by wave and segment too)", f.drivers, f.drivers)
                .unwrap();
        }
        writeln!(w, ".").unwrap();
    }
    if a.agreement.is_some() {
        writeln!(w, "- `agreement.json`: the outcomes' driver rankings side by side, and the pairs ordered differently beyond noise.").unwrap();
    }
    writeln!(w, "- `run.json`: the settings and load summary of this run.").unwrap();
    writeln!(
        w,
        "- `report.html`: this report as one page with the charts inside, to open in a browser or print to PDF."
    )
    .unwrap();
    md
}

/// One line per outcome: its headline overall and in the latest wave with the change,
/// and each benchmark gap, said as within or beyond noise.
fn headline(w: &mut String, a: &Analysis) {
    writeln!(w, "## Headline\n").unwrap();
    for o in &a.outcomes {
        let out = &o.outcome;
        let latest = a
            .survey
            .wave
            .as_deref()
            .and_then(|c| o.scores.by(c))
            .and_then(|rows| rows.iter().rev().find(|r| r.change.is_some()));
        let r = latest.unwrap_or(&o.scores.overall);
        let place = if latest.is_some() { format!(" in {}", r.group) } else { String::new() };
        write!(
            w,
            "- **{}**{place}: **{}** (95% CI {} to {})",
            out.label,
            headline_value(out, r.score),
            out.value(r.ci_low),
            out.value(r.ci_high)
        )
        .unwrap();
        if let Some(c) = &r.change {
            write!(
                w,
                ", {} since {} ({})",
                out.delta(c.difference),
                c.from,
                if c.ci_low > 0.0 || c.ci_high < 0.0 { "beyond noise" } else { "within noise" }
            )
            .unwrap();
        }
        let gaps: Vec<String> = o
            .scores
            .benchmarks
            .iter()
            .filter(|g| g.wave == r.group || (latest.is_none() && g.wave == "all"))
            .map(|g| {
                let verdict = if g.beyond_noise { "beyond noise" } else { "within noise" };
                format!("{} vs {} ({}, {verdict})", out.delta(g.difference), g.label, out.value(g.benchmark))
            })
            .collect();
        if !gaps.is_empty() {
            write!(w, "; {}", gaps.join(", ")).unwrap();
        }
        if let Some(top) = o.drivers.as_ref().and_then(|d| d.drivers.first()) {
            write!(w, ". Strongest driver: {}", top.label).unwrap();
            if let Some(tied) = top
                .tie_group
                .as_deref()
                .map(|g| tied_with(o.drivers.as_ref().unwrap(), top, g))
                .filter(|t| !t.is_empty())
            {
                write!(w, ", statistically tied with {tied}").unwrap();
            }
        }
        writeln!(w, ".").unwrap();
    }
    writeln!(w).unwrap();
}

/// A headline value with its unit: "+23.4", "78.2%", "3.41".
fn headline_value(o: &Outcome, v: f64) -> String {
    match o.kind {
        OutcomeKind::Csat => format!("{v:.1}%"),
        _ => o.value(v),
    }
}

/// The other drivers sharing a tie-group letter with `d`.
fn tied_with(t: &DriverTable, d: &Driver, letters: &str) -> String {
    let tied: Vec<&str> = t
        .drivers
        .iter()
        .filter(|x| x.name != d.name && x.tie_group.as_deref().is_some_and(|l| l.chars().any(|c| letters.contains(c))))
        .map(|x| x.label.as_str())
        .collect();
    tied.join(", ")
}

fn data_section(w: &mut String, a: &Analysis) {
    let s = &a.survey;
    writeln!(w, "## Data\n").unwrap();
    let l = &a.load;
    writeln!(w, "| | rows |\n|---|---:|").unwrap();
    writeln!(w, "| read from `{}` | {} |", l.ratings_file, l.ratings_rows).unwrap();
    if let (Some(f), Some(n)) = (&l.nps_file, l.nps_rows) {
        writeln!(w, "| read from `{f}` | {n} |").unwrap();
        writeln!(w, "| matched on `{}` | {} |", s.id.as_deref().unwrap_or(""), l.matched).unwrap();
        writeln!(w, "| in ratings only (unmatched) | {} |", l.unmatched_ratings).unwrap();
        writeln!(w, "| in `{}` only (unmatched) | {} |", f, l.unmatched_nps).unwrap();
    }
    for o in &a.outcomes {
        let (column, n) = (&o.outcome.column, l.outcome_missing.get(&o.outcome.column).copied().unwrap_or(0));
        writeln!(w, "| without an answer to `{column}` | {n} |").unwrap();
    }
    if s.weight.is_some() {
        writeln!(w, "| weight 0, left out of every statistic | {} |", l.zero_weight).unwrap();
    }
    for o in &a.outcomes {
        if let Some(d) = &o.drivers {
            writeln!(w, "| used in the driver model of {} (complete rows) | {} |", o.outcome.label, d.n_used).unwrap();
        }
    }
    writeln!(
        w,
        "\nMissing codes ({}) recoded to missing in {} cells; {} driver/outcome cells blank after that.{}\n",
        if s.missing_codes.is_empty() {
            "none declared".to_string()
        } else {
            s.missing_codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
        },
        l.missing_coded,
        l.blank_cells,
        s.weight.as_ref().map(|c| weights_sentence(c, s.weights_are)).unwrap_or_default()
    )
    .unwrap();
    for note in &l.notes {
        writeln!(w, "> **Note:** {note}.\n").unwrap();
    }
}

/// Everything about one outcome: headline, bands, benchmarks, breakdowns, drivers, changes.
fn outcome_section(w: &mut String, o: &OutcomeAnalysis, charts: &[(String, String)]) {
    let out = &o.outcome;
    writeln!(w, "## {} — {}\n", out.label, describe(out)).unwrap();
    let r = &o.scores.overall;
    write!(
        w,
        "Overall {} **{}** (95% CI {} to {}, SE {:.prec$}) from {} respondents",
        out.metric(),
        headline_value(out, r.score),
        out.value(r.ci_low),
        out.value(r.ci_high),
        r.se,
        r.n,
        prec = out.decimals()
    )
    .unwrap();
    match &r.bands {
        Some(b) => {
            let parts: Vec<String> = [Band::High, Band::Mid, Band::Low]
                .iter()
                .map(|&x| format!("{:.1}% {}", b.pct[x as usize], out.band_legend(x)))
                .collect();
            writeln!(w, ": {}.\n", parts.join(", ")).unwrap();
        }
        None => writeln!(w, ".\n").unwrap(),
    }
    for (title, file) in charts.iter().filter(|(_, f)| f.contains("_by_wave") || f.contains("_trend")) {
        writeln!(w, "![{title}]({file})\n").unwrap();
    }
    if !o.scores.benchmarks.is_empty() {
        writeln!(w, "### Against benchmarks\n").unwrap();
        writeln!(w, "| benchmark | wave | benchmark value | ours | gap | 95% CI of gap | beyond noise |").unwrap();
        writeln!(w, "|---|---|---:|---:|---:|---|---|").unwrap();
        for g in &o.scores.benchmarks {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} to {} | {} |",
                g.label,
                g.wave,
                out.value(g.benchmark),
                out.value(g.score),
                out.delta(g.difference),
                out.delta(g.ci_low),
                out.delta(g.ci_high),
                if g.beyond_noise { "yes" } else { "no" }
            )
            .unwrap();
        }
        writeln!(w, "\nThe gap's interval combines our sampling error with the benchmark's (from its interval or n; none when it gives neither).\n").unwrap();
    }
    for b in &o.scores.breakdowns {
        writeln!(w, "### {} by {}\n", capitalised(out.metric()), b.by).unwrap();
        score_table(w, out, &b.rows);
    }
    if let (Some(d), Some((title, file))) = (&o.drivers, charts.iter().find(|(_, f)| f.starts_with("quadrant"))) {
        where_to_act(w, out, d, title, file);
    }
    match (&o.drivers, &o.drivers_note) {
        (Some(d), _) => drivers_section(w, out, d),
        (None, note) => {
            writeln!(w, "### Drivers of {}\n\nNo driver model: {}.\n", out.label, note.as_deref().unwrap_or("not run"))
                .unwrap()
        }
    }
    for (title, file) in charts.iter().filter(|(_, f)| f.starts_with("drivers")) {
        writeln!(w, "![{title}]({file})\n").unwrap();
    }
    if let Some(d) = &o.drivers {
        groups_section(w, out, d, &o.groups, charts.iter().find(|(_, f)| f.starts_with("change")));
    }
}

/// The importance–performance quadrant and the drivers to fix first: above-average
/// importance, below-average rating.
fn where_to_act(w: &mut String, out: &Outcome, d: &DriverTable, title: &str, file: &str) {
    let shares: Vec<(&Driver, f64)> = d.drivers.iter().filter_map(|x| Some((x, x.shapley_share?))).collect();
    let n = shares.len().max(1) as f64;
    let mean_share = shares.iter().map(|(_, s)| s).sum::<f64>() / n;
    let mean_rating = shares.iter().map(|(x, _)| x.mean_rating).sum::<f64>() / n;
    let fix: Vec<&str> = shares
        .iter()
        .filter(|(x, s)| *s > mean_share && x.mean_rating < mean_rating)
        .map(|(x, _)| x.label.as_str())
        .collect();
    writeln!(w, "### Where to act on {}\n", out.label).unwrap();
    writeln!(
        w,
        "**Fix first** (more important than average, rated below average): {}. *Keep it up*: important and well rated; *possible overkill*: well rated but matters less; *low priority*: neither. Importance is the driver's share of R², performance its mean rating; the dashed lines are the drivers' averages ({:.1}% and {:.2}).\n",
        if fix.is_empty() { "none".to_string() } else { fix.join(", ") },
        100.0 * mean_share,
        mean_rating
    )
    .unwrap();
    writeln!(w, "![{title}]({file})\n").unwrap();
}

/// What the headline is, in words.
fn describe(o: &Outcome) -> String {
    match o.kind {
        OutcomeKind::Nps => "Net Promoter Score (% promoters 9–10 minus % detractors 0–6)".into(),
        OutcomeKind::Csat => {
            let s = o.scale.expect("csat has a scale");
            format!("% satisfied (answers {} to {} on {}–{})", o.cutoff.unwrap_or(s.max), s.max, s.min, s.max)
        }
        OutcomeKind::Ces => {
            let s = o.scale.expect("ces has a scale");
            format!("mean customer effort on {}–{}, lower is better", s.min, s.max)
        }
        OutcomeKind::Numeric => format!("mean of `{}`", o.column),
    }
}

/// The outcomes' driver rankings side by side, and where they differ beyond noise.
fn agreement_section(w: &mut String, a: &Analysis, g: &Agreement) {
    let label = |col: &str| {
        a.outcomes.iter().find(|o| o.outcome.column == col).map_or(col.to_string(), |o| o.outcome.label.clone())
    };
    let names: Vec<String> = g.outcomes.iter().map(|c| label(c)).collect();
    writeln!(w, "## Do {} agree on what drives them?\n", names.join(" and ")).unwrap();
    writeln!(w, "Each driver's rank, share of R² and tie group per outcome. Rankings *differ* only where two drivers are ordered one way for one outcome and the other way for another, both beyond noise (the bootstrap interval of their difference excludes zero); reshuffles within a tie group are agreement.\n").unwrap();
    write!(w, "| driver |").unwrap();
    for n in &names {
        write!(w, " {n}: rank | share | tie |").unwrap();
    }
    writeln!(w, " agree? |\n|---|{}---|", "---:|---:|---|".repeat(names.len())).unwrap();
    for d in &g.drivers {
        write!(w, "| {} |", d.label).unwrap();
        for p in &d.placings {
            write!(
                w,
                " {} | {} | {} |",
                p.rank,
                p.share.map_or("—".into(), |s| format!("{:.1}%", 100.0 * s)),
                p.tie_group.as_deref().unwrap_or("—")
            )
            .unwrap();
        }
        writeln!(w, " {} |", if d.agrees { "yes" } else { "**no**" }).unwrap();
    }
    writeln!(w).unwrap();
    let driver = |n: &str| g.drivers.iter().find(|d| d.name == n).map_or(n.to_string(), |d| d.label.clone());
    if let Some(note) = &g.note {
        writeln!(w, "> **Note:** {note}.\n").unwrap();
    } else if g.disagreements.is_empty() {
        writeln!(w, "No pair of drivers is ordered differently beyond noise: the outcomes agree on what matters.\n")
            .unwrap();
    } else {
        for x in &g.disagreements {
            writeln!(
                w,
                "- {} matters more than {} for {}, but less for {} (both beyond noise).",
                driver(&x.above),
                driver(&x.below),
                label(&x.where_above),
                label(&x.where_below)
            )
            .unwrap();
        }
        writeln!(w).unwrap();
    }
}

fn drivers_section(w: &mut String, out: &Outcome, d: &DriverTable) {
    writeln!(w, "### Drivers of {}\n", out.label).unwrap();
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
    let class = out.classes().first().map(|c| c.name.replace('_', " "));
    writeln!(
        w,
        "*Share of R²* is each driver's Shapley value (LMG): its average gain in R² over every order in which the drivers could enter the model, so the shares add to 100% and correlated drivers split what they explain together. *Relative weight* is Johnson's (2000) alternative, in R² points. *Beta* is the standardized regression coefficient; with correlated ratings it can shrink or flip sign, which is why it is not used to rank.{}{}\n",
        class.as_ref().map(|c| format!(" *{} OR* is the odds ratio of {} per one-point higher rating.", capitalised(c), with_article(c))).unwrap_or_default(),
        if out.sign() < 0.0 {
            " Effort is better when lower, so correlations and betas are signed by *less* effort: a positive driver is one whose higher rating goes with less effort."
        } else {
            ""
        }
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
    let or_column = class.as_ref().map(|c| format!(" {c} OR |")).unwrap_or_default();
    writeln!(w, "| rank | driver | share of R² | 95% CI | P(top) | rank range | tie group | Shapley (R²) | relative weight | beta | p | correlation |{or_column} direction |").unwrap();
    writeln!(
        w,
        "|---:|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|{}---|",
        if class.is_some() { "---:|" } else { "" }
    )
    .unwrap();
    let num = |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |x| format!("{x:.digits$}"));
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |s| format!("{:.1}%", 100.0 * s));
    for dr in &d.drivers {
        let odds = out.classes().first().map(|c| format!(" {} |", num(dr.odds_ratio(c.name), 2))).unwrap_or_default();
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.3} |{odds} {} |",
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
            direction(out, dr.direction),
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
fn groups_section(
    w: &mut String,
    out: &Outcome,
    pooled: &DriverTable,
    g: &GroupAnalysis,
    waterfall: Option<&(String, String)>,
) {
    let metric = out.metric();
    if let Some(e) = &g.change_explained {
        writeln!(w, "### Why {} moved from {} to {}\n", metric, e.from, e.to).unwrap();
        writeln!(
            w,
            "Among complete responses ({} and {}), {metric} changed by **{}**{}. Each driver's part is its change in mean rating times what a rating point is worth in the pooled model of both waves (Oaxaca–Blinder, pooled reference); the rest is what changed ratings do not explain. 95% intervals from {} bootstrap resamples of each wave.{}\n",
            e.n_from,
            e.n_to,
            out.delta(e.change),
            out.points(),
            e.resamples,
            if out.sign() < 0.0 { " For effort a negative part is good news: that driver's better ratings lowered effort." } else { "" }
        )
        .unwrap();
        writeln!(
            w,
            "| driver | mean rating {} | mean rating {} | {metric} per rating point | {metric} change | 95% CI |",
            e.from, e.to
        )
        .unwrap();
        writeln!(w, "|---|---:|---:|---:|---:|---|").unwrap();
        let parts = e.by_size();
        let ci =
            |l: Option<f64>, h: Option<f64>| l.zip(h).map_or("—".to_string(), |(l, h)| format!("{l:+.2} to {h:+.2}"));
        for c in parts {
            writeln!(
                w,
                "| {} | {:.2} | {:.2} | {:+.2} | {:+.2} | {} |",
                c.label,
                c.mean_from,
                c.mean_to,
                c.coefficient,
                c.points,
                ci(c.ci_low, c.ci_high)
            )
            .unwrap();
        }
        writeln!(
            w,
            "| *not explained by ratings* | | | | {:+.2} | {} |\n",
            e.unexplained,
            ci(e.unexplained_ci_low, e.unexplained_ci_high)
        )
        .unwrap();
        if let Some((title, file)) = waterfall {
            writeln!(w, "![{title}]({file})\n").unwrap();
        }
    }
    if let Some(shift) = &g.share_shift {
        writeln!(w, "#### Did the drivers' importance change from {} to {}?\n", shift.from, shift.to).unwrap();
        share_table(w, &format!("share {}", shift.from), &format!("share {}", shift.to), &shift.drivers);
    }
    if !g.waves.is_empty() {
        writeln!(w, "### Drivers of {} by wave\n\nShare of R² in each wave, with its tie-group letters (within a wave, drivers sharing a letter cannot be told apart).\n", out.label).unwrap();
        let columns: Vec<(&str, &GroupFit)> = g.waves.iter().map(|x| (x.wave.as_str(), &x.fit)).collect();
        group_table(w, pooled, &columns, None);
    }
    for (col, groups) in &g.segments {
        writeln!(w, "### Drivers of {} by {col}\n\nShare of R² in each group; ▲ / ▼: significantly more / less than in the rest of the sample (95% bootstrap interval of the difference).\n", out.label).unwrap();
        let columns: Vec<(&str, &GroupFit)> = groups.iter().map(|x| (x.group.as_str(), &x.fit)).collect();
        let versus: Vec<Option<&[ShareDifference]>> = groups.iter().map(|x| x.versus_rest.as_deref()).collect();
        group_table(w, pooled, &columns, Some(&versus));
    }
    for note in &g.notes {
        writeln!(w, "> **Note:** {note}.\n").unwrap();
    }
}

/// Drivers (in the pooled rank order) down, groups across; groups without a ranking say why below.
fn group_table(
    w: &mut String,
    pooled: &DriverTable,
    groups: &[(&str, &GroupFit)],
    versus: Option<&[Option<&[ShareDifference]>]>,
) {
    write!(w, "| driver |").unwrap();
    for (name, fit) in groups {
        write!(w, " {name} (n {}) |", fit.table.as_ref().map_or(0, |t| t.n_used)).unwrap();
    }
    writeln!(w, "\n|---|{}", "---:|".repeat(groups.len())).unwrap();
    for d in &pooled.drivers {
        write!(w, "| {} |", d.label).unwrap();
        for (k, (_, fit)) in groups.iter().enumerate() {
            let cell = fit.table.as_ref().and_then(|t| t.drivers.iter().find(|x| x.name == d.name)).map_or(
                "—".to_string(),
                |x| {
                    let mark = versus
                        .and_then(|v| v[k])
                        .and_then(|v| v.iter().find(|s| s.name == d.name))
                        .filter(|s| s.significant)
                        .map_or("", |s| if s.difference > 0.0 { "▲" } else { "▼" });
                    let share = x.shapley_share.map_or("—".to_string(), |s| format!("{:.1}%", 100.0 * s));
                    format!("{share}{} {mark}", x.tie_group.as_deref().map(|l| format!(" {l}")).unwrap_or_default())
                },
            );
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
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

fn score_table(w: &mut String, out: &Outcome, rows: &[ScoreStats]) {
    let changes = rows.iter().any(|r| r.change.is_some());
    let bands: Vec<Band> = if out.band_names().is_some() { vec![Band::High, Band::Mid, Band::Low] } else { vec![] };
    write!(w, "| group | n |").unwrap();
    for &b in &bands {
        write!(w, " {} |", out.band_names().unwrap()[b as usize].replace('_', " ")).unwrap();
    }
    write!(w, " {} | SE | 95% CI |", out.metric()).unwrap();
    writeln!(w, "{}", if changes { " change | 95% CI of change | p | vs a year earlier |" } else { "" }).unwrap();
    write!(w, "|---|---:|{}---:|---:|---|", "---:|".repeat(bands.len())).unwrap();
    writeln!(w, "{}", if changes { "---:|---|---:|---|" } else { "" }).unwrap();
    let prec = out.decimals();
    for r in rows {
        write!(w, "| {} | {} |", r.group, r.n).unwrap();
        for &b in &bands {
            write!(w, " {:.1}% |", r.bands.as_ref().map_or(0.0, |x| x.pct[b as usize])).unwrap();
        }
        write!(w, " {} | {:.prec$} | {} to {} |", out.value(r.score), r.se, out.value(r.ci_low), out.value(r.ci_high))
            .unwrap();
        if changes {
            let dash = || "—".to_string();
            let (d, ci, p) = r.change.as_ref().map_or((dash(), dash(), dash()), |c| {
                (
                    out.delta(c.difference),
                    format!("{} to {}", out.delta(c.ci_low), out.delta(c.ci_high)),
                    p_value(c.p_value),
                )
            });
            let year = r
                .year_change
                .as_ref()
                .map_or(dash(), |c| format!("{} (p {})", out.delta(c.difference), p_value(c.p_value)));
            write!(w, " {d} | {ci} | {p} | {year} |").unwrap();
        }
        writeln!(w).unwrap();
    }
    writeln!(w).unwrap();
}

/// A driver's direction in words; for effort, "positive" means less effort.
fn direction(out: &Outcome, d: &str) -> String {
    match (d, out.sign() < 0.0) {
        ("positive", false) => "positive".into(),
        ("positive", true) => "positive: higher rating, less effort".into(),
        (d, false) => format!("**{d}**: higher rating, lower score"),
        (d, true) => format!("**{d}**: higher rating, more effort"),
    }
}

/// "being a promoter", "being satisfied", "reporting high effort".
fn with_article(class: &str) -> String {
    match class {
        "satisfied" => "being satisfied".into(),
        "high effort" => "reporting high effort".into(),
        c => format!("being a {c}"),
    }
}
