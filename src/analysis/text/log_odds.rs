//! Distinctive terms between groups: the weighted log-odds ratio with an informative
//! Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eqs. 16–22).
//!
//! For a term w used y_wi times among n_i uses in group i and y_wj times among n_j in
//! the others, with prior α_w (α_0 = Σ α_w):
//!
//! δ_w = ln[(y_wi + α_w) / (n_i + α_0 − y_wi − α_w)] − ln[(y_wj + α_w) / (n_j + α_0 − y_wj − α_w)]
//! σ²(δ_w) ≈ 1/(y_wi + α_w) + 1/(y_wj + α_w),   z_w = δ_w / σ(δ_w).
//!
//! The prior follows the pooled usage of the groups compared, π_w = (y_wi + y_wj) /
//! (n_i + n_j), with α_w = α_0 · π_w. Chorus takes α_0 = the number of distinct terms
//! compared: the total weight of the uniform Dirichlet(1) prior, spread by how often
//! each term is used at all. (Taking the pooled counts themselves, α_0 = n_i + n_j as
//! R's tidylo does, doubles the data; on a county's few hundred answers no term would
//! ever stand out.)

use serde::Serialize;

/// One term's log-odds of group i against the others.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Odds {
    pub delta: f64,
    pub se: f64,
    pub z: f64,
}

/// The weighted log-odds of every term (index) of `focus` against `rest`, both uses
/// per term; `None` for a term neither uses.
pub fn weighted_log_odds(focus: &[u64], rest: &[u64]) -> Vec<Option<Odds>> {
    let n_i: f64 = focus.iter().sum::<u64>() as f64;
    let n_j: f64 = rest.iter().sum::<u64>() as f64;
    let used = focus
        .iter()
        .zip(rest)
        .filter(|(a, b)| **a + **b > 0)
        .count();
    let alpha0 = used as f64;
    focus
        .iter()
        .zip(rest)
        .map(|(&yi, &yj)| {
            let (yi, yj) = (yi as f64, yj as f64);
            if yi + yj == 0.0 {
                return None;
            }
            let a = alpha0 * (yi + yj) / (n_i + n_j);
            let li = ((yi + a) / (n_i + alpha0 - yi - a)).ln();
            let lj = ((yj + a) / (n_j + alpha0 - yj - a)).ln();
            let delta = li - lj;
            let se = (1.0 / (yi + a) + 1.0 / (yj + a)).sqrt();
            Some(Odds {
                delta,
                se,
                z: delta / se,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: Jack Hessel's `bayes_compare_language` (github.com/jmhessel/
    /// FightingWords, `fighting_words_py3.py`, the implementation Monroe et al.'s method
    /// is usually run with), numpy 2.4.6 and scikit-learn, given the counts as two
    /// documents and the prior vector α_0 · pooled share with α_0 = 6 terms:
    ///
    /// ```python
    /// yi = [12, 3, 0, 7, 1, 5]; yj = [2, 9, 6, 7, 0, 20]
    /// vocab = ['w%d' % k for k in range(6)]
    /// l1 = [' '.join(sum([[w] * c for w, c in zip(vocab, yi)], []))]
    /// l2 = [' '.join(sum([[w] * c for w, c in zip(vocab, yj)], []))]
    /// cv = CountVectorizer(vocabulary=vocab, token_pattern=r'\S+')
    /// pooled = np.array(yi, dtype=float) + np.array(yj)
    /// prior = 6 * pooled / pooled.sum()
    /// bayes_compare_language(l1, l2, prior=prior, cv=cv)  # z; δ printed from its loop
    /// ```
    ///
    /// δ = [2.2350498053, -0.6286086594, -2.3037338582, 0.4820278222, 2.9813251907,
    /// -1.1006003609]; z = [3.5709920914, -1.0625425661, -1.5697300264, 0.9740461252,
    /// 0.8293281080, -2.5488096663].
    #[test]
    fn matches_the_reference_implementation() {
        let odds = weighted_log_odds(&[12, 3, 0, 7, 1, 5], &[2, 9, 6, 7, 0, 20]);
        let delta = [
            2.2350498053,
            -0.6286086594,
            -2.3037338582,
            0.4820278222,
            2.9813251907,
            -1.1006003609,
        ];
        let z = [
            3.5709920914,
            -1.0625425661,
            -1.5697300264,
            0.9740461252,
            0.8293281080,
            -2.5488096663,
        ];
        for (k, o) in odds.iter().enumerate() {
            let o = o.expect("used");
            assert!((o.delta - delta[k]).abs() < 1e-9, "δ[{k}] = {}", o.delta);
            assert!((o.z - z[k]).abs() < 1e-9, "z[{k}] = {}", o.z);
        }
        assert_eq!(weighted_log_odds(&[0, 1], &[0, 1])[0], None);
    }
}
