//! OAuth scopes: parsing, normalization and "does this token have it" checks
//! (ref §3 "Scope headers", from GitHub's "Scopes for OAuth apps" page).

/// The scopes each scope includes, from the docs' table of available scopes.
fn included_by(scope: &str) -> &'static [&'static str] {
    match scope {
        "repo" => &[
            "repo:status",
            "repo_deployment",
            "public_repo",
            "repo:invite",
            "security_events",
        ],
        "admin:repo_hook" => &["write:repo_hook", "read:repo_hook"],
        "write:repo_hook" => &["read:repo_hook"],
        "admin:org" => &["write:org", "read:org"],
        "write:org" => &["read:org"],
        "admin:public_key" => &["write:public_key", "read:public_key"],
        "write:public_key" => &["read:public_key"],
        "user" => &["read:user", "user:email", "user:follow"],
        "project" => &["read:project"],
        "admin:gpg_key" => &["write:gpg_key", "read:gpg_key"],
        "write:gpg_key" => &["read:gpg_key"],
        "admin:enterprise" => &[
            "manage_runners:enterprise",
            "manage_billing:enterprise",
            "read:enterprise",
        ],
        _ => &[],
    }
}

/// Splits the authorize `scope` parameter. The reference (§1) documents
/// spaces; GitHub's own normalization example (`user,gist,user:email`, ref §3)
/// uses commas, so both separate.
pub(crate) fn parse(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// GitHub stores "a normalized list of scopes, discarding those that are
/// implicitly included by another requested scope" (ref §3): duplicates go,
/// and so does `user:email` when `user` is also asked for. Order is kept.
pub(crate) fn normalize(requested: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in requested {
        let implied = requested
            .iter()
            .any(|other| other != scope && includes(other, scope));
        if !implied && !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    out
}

/// Whether holding `outer` grants `inner` (directly or through a chain,
/// e.g. `admin:org` → `write:org` → `read:org`).
fn includes(outer: &str, inner: &str) -> bool {
    included_by(outer)
        .iter()
        .any(|s| *s == inner || includes(s, inner))
}

/// Whether a token holding `held` may call an endpoint that accepts any of `accepted`.
pub(crate) fn satisfies(held: &[String], accepted: &[&str]) -> bool {
    held.iter()
        .any(|h| accepted.iter().any(|a| h == a || includes(h, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_spaces_and_commas() {
        assert_eq!(parse("read:org  read:user"), v(&["read:org", "read:user"]));
        assert_eq!(parse("user,gist"), v(&["user", "gist"]));
        assert!(parse("").is_empty());
    }

    #[test]
    fn normalizes_like_the_docs_example() {
        let got = normalize(&v(&["user", "gist", "user:email"]));
        assert_eq!(got, v(&["user", "gist"]));
        let got = normalize(&v(&["read:org", "admin:org", "read:org"]));
        assert_eq!(got, v(&["admin:org"]));
    }

    #[test]
    fn satisfies_through_implication() {
        assert!(satisfies(&v(&["admin:org"]), &["read:org"]));
        assert!(satisfies(&v(&["user"]), &["user", "read:org"]));
        assert!(!satisfies(&v(&["read:user"]), &["user", "read:org"]));
        assert!(!satisfies(&[], &["read:org"]));
    }
}
