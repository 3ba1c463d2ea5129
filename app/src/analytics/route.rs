//! Request targets into routes. SKELETON: the interface only; a helper fills it in.
//! Depends on std only (the fuzz target includes this file).

/// Admin-defined patterns on top of the built-in normalisation.
pub struct RouteRules;

impl RouteRules {
    /// One pattern per line, like `/users/:name` or `/static/*`.
    pub fn new(patterns: &str) -> Result<Self, String> {
        let _ = patterns;
        unimplemented!()
    }

    /// The route of a request target: query dropped, ids replaced by `:id`, patterns applied.
    pub fn route(&self, target: &str) -> String {
        let _ = target;
        unimplemented!()
    }
}

/// Whether a user agent is a bot (crawler, monitor, script).
pub fn is_bot(user_agent: &str) -> bool {
    let _ = user_agent;
    unimplemented!()
}
