//! "Did you mean …?": close names for a misspelt object name. Pure.

/// Up to three names close to `wanted`, closest first.
pub fn close_names<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let limit = crate::kinds::max_typo_distance(wanted).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .filter_map(|c| {
            let d = strsim::damerau_levenshtein(wanted, c);
            let prefix = c.starts_with(wanted) || wanted.starts_with(c);
            (d <= limit || (prefix && wanted.len() >= 4)).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_and_prefixes_closest_first() {
        let names = ["payment-api", "payments-worker", "checkout", "cart"];
        assert_eq!(close_names("paymnt-api", names), vec!["payment-api"]);
        assert_eq!(close_names("chekout", names), vec!["checkout"]);
        assert_eq!(close_names("zzz", names), Vec::<String>::new());
        assert_eq!(close_names("payment", names)[0], "payment-api");
    }
}
