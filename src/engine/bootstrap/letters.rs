//! Compact letter display (Piepho 2004, "An algorithm for a letter-based representation of
//! all-pairwise comparisons"; as multcomp's `cld`): two items share a letter exactly when
//! they are *not* significantly different. Insert: every significant pair splits each
//! letter group holding both into one without each. Absorb: a group inside another adds
//! nothing and goes. Letters are then named in rank order, so the top driver gets "a".

/// Letter groups for items `0..k` (already in rank order), each a list of items, in
/// letter order; `distinct(a, b)` for a < b says the pair differs significantly.
pub fn groups(k: usize, distinct: impl Fn(usize, usize) -> bool) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<bool>> = vec![vec![true; k]];
    for a in 0..k {
        for b in a + 1..k {
            if !distinct(a, b) {
                continue;
            }
            let mut next = Vec::with_capacity(groups.len() + 1);
            for g in groups {
                if g[a] && g[b] {
                    let (mut without_a, mut without_b) = (g.clone(), g);
                    without_a[a] = false;
                    without_b[b] = false;
                    next.push(without_a);
                    next.push(without_b);
                } else {
                    next.push(g);
                }
            }
            groups = absorb(next);
        }
    }
    // Letters go in order of each group's best-ranked member.
    groups.sort_by_key(|g| g.iter().position(|&x| x));
    groups.iter().map(|g| (0..k).filter(|&i| g[i]).collect()).collect()
}

/// Each item's letters, e.g. "ab".
pub fn per_item(k: usize, groups: &[Vec<usize>]) -> Vec<String> {
    let mut out = vec![String::new(); k];
    for (i, g) in groups.iter().enumerate() {
        for &item in g {
            out[item].push_str(&name(i));
        }
    }
    out
}

/// Drops empty groups, duplicates and groups contained in another.
fn absorb(groups: Vec<Vec<bool>>) -> Vec<Vec<bool>> {
    let inside = |a: &[bool], b: &[bool]| a.iter().zip(b).all(|(x, y)| !x || *y);
    let mut kept: Vec<Vec<bool>> = Vec::with_capacity(groups.len());
    for (i, g) in groups.iter().enumerate() {
        let redundant =
            !g.contains(&true) || groups.iter().enumerate().any(|(j, h)| j != i && inside(g, h) && (g != h || j < i));
        if !redundant {
            kept.push(g.clone());
        }
    }
    kept
}

/// a…z, then A…Z, then a26, a27, … (more than 52 groups needs more than 52 drivers).
pub fn name(i: usize) -> String {
    match i {
        0..=25 => ((b'a' + i as u8) as char).to_string(),
        26..=51 => ((b'A' + (i - 26) as u8) as char).to_string(),
        _ => format!("a{i}"),
    }
}

#[cfg(test)]
mod tests {
    fn letters(k: usize, distinct: impl Fn(usize, usize) -> bool) -> Vec<String> {
        super::per_item(k, &super::groups(k, distinct))
    }

    fn shares(l: &[String], a: usize, b: usize) -> bool {
        l[a].chars().any(|c| l[b].contains(c))
    }

    #[test]
    fn nothing_significant_is_one_group() {
        assert_eq!(letters(3, |_, _| false), ["a", "a", "a"]);
    }

    #[test]
    fn everything_significant_is_one_letter_each() {
        assert_eq!(letters(3, |_, _| true), ["a", "b", "c"]);
    }

    #[test]
    fn overlapping_groups() {
        // 0 differs from 2 and 3, 1 from 3: a chain of overlapping groups (worked by hand).
        let sig = |a: usize, b: usize| matches!((a, b), (0, 2) | (0, 3) | (1, 3));
        let l = letters(4, sig);
        assert_eq!(l, ["a", "ab", "bc", "c"]);
    }

    #[test]
    fn letters_agree_with_every_pair_for_random_patterns() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..300 {
            let k = rng.gen_range(1..9);
            let sig: Vec<Vec<bool>> = (0..k).map(|_| (0..k).map(|_| rng.gen_bool(0.5)).collect()).collect();
            let l = letters(k, |a, b| sig[a][b]);
            for (a, row) in sig.iter().enumerate() {
                assert!(!l[a].is_empty());
                for (b, &distinct) in row.iter().enumerate().skip(a + 1) {
                    assert_eq!(shares(&l, a, b), !distinct, "{a} {b} {l:?}");
                }
            }
        }
    }
}
