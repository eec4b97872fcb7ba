//! rspe's benchmarks (`perf/src/bin/NAME.rs`, run by `scripts/bench NAME`) and the helpers
//! they share. Every figure is a median of at least 5 runs, printed as a ratio to a baseline
//! measured in the same invocation.

/// The median of `xs` (the mean of the middle two for an even count); NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A sibling binary of the running one (`target/release/rspe` next to a bench).
pub fn sibling_binary(name: &str) -> std::path::PathBuf {
    let me = std::env::current_exe().expect("current_exe");
    me.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
