//! The REST routes a "who may log in" check calls (ref §3).

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{scopes, FakeGithub, FakeOrgMembership, FakeTeamMembership, FakeUser};

/// Supported `X-GitHub-Api-Version` values; the first is the default (ref §3).
const API_VERSIONS: [&str; 2] = ["2022-11-28", "2026-03-10"];

/// Fixed timestamps: the fake has no history.
const CREATED_AT: &str = "2020-01-01T00:00:00Z";

const DOC_REST: &str = "https://docs.github.com/rest";
const DOC_ORGS: &str =
    "https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user";
const DOC_ORG_MEMBERSHIP: &str =
    "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user";
const DOC_TEAMS: &str =
    "https://docs.github.com/rest/teams/teams#list-teams-for-the-authenticated-user";
const DOC_TEAM_MEMBERSHIP: &str =
    "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user";

/// What each endpoint checks for, sent as `X-Accepted-OAuth-Scopes` (ref §3).
/// Scopes that include these (e.g. `admin:org` → `read:org`) pass too.
const ACCEPT_USER: &[&str] = &[];
/// "Needs at least `user` or `read:org`" (ref §3 /user/orgs).
const ACCEPT_ORGS: &[&str] = &["admin:org", "read:org", "user", "write:org"];
/// `read:org` = "read-only org membership ... team membership" (ref §3).
const ACCEPT_READ_ORG: &[&str] = &["admin:org", "read:org", "write:org"];
/// "OAuth tokens need `user`, `repo` or `read:org`" (ref §3 /user/teams).
const ACCEPT_TEAMS: &[&str] = &["admin:org", "read:org", "repo", "user", "write:org"];

pub(crate) fn router() -> Router<FakeGithub> {
    Router::new()
        .route("/user", get(get_user))
        .route("/user/orgs", get(list_orgs))
        .route("/user/memberships/orgs/{org}", get(get_org_membership))
        .route("/user/teams", get(list_teams))
        .route(
            "/orgs/{org}/teams/{team_slug}/memberships/{username}",
            get(get_team_membership),
        )
        .fallback(not_found)
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// Every REST answer is JSON with this exact content type (ref §7, [S]).
fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// GitHub's "basic-error" body (ref §3). `status` is a string there.
fn basic_error(status: StatusCode, message: &str, documentation_url: &str) -> Response {
    json_response(
        status,
        &json!({
            "message": message,
            "documentation_url": documentation_url,
            "status": status.as_str(),
        }),
    )
}

async fn not_found() -> Response {
    basic_error(StatusCode::NOT_FOUND, "Not Found", DOC_REST)
}

// ---------------------------------------------------------------------------
// The caller: User-Agent, API version and token checks
// ---------------------------------------------------------------------------

/// An authenticated REST request.
pub(crate) struct Caller {
    user: FakeUser,
    scopes: Vec<String>,
    version: &'static str,
    /// `http://HOST`, where the web pages and avatars live.
    web: String,
    /// `web` plus the API prefix.
    api: String,
}

impl FromRequestParts<FakeGithub> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, gh: &FakeGithub) -> Result<Self, Response> {
        let headers = &parts.headers;

        // "Requests without it are rejected" with 403 (ref §3).
        if headers.get(USER_AGENT).is_none_or(|v| v.is_empty()) {
            return Err(basic_error(
                StatusCode::FORBIDDEN,
                "Request forbidden by administrative rules. \
                 Please make sure your request has a User-Agent header.",
                "https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent",
            ));
        }

        let version = match headers.get("x-github-api-version") {
            None => API_VERSIONS[0],
            Some(v) => match API_VERSIONS
                .iter()
                .find(|known| v.as_bytes() == known.as_bytes())
            {
                Some(known) => known,
                None => {
                    // A version that does not exist gives 400 (ref §3 [L]).
                    // Retired versions (410) do not exist yet.
                    let given = String::from_utf8_lossy(v.as_bytes());
                    return Err(basic_error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "The version you specified in the \"X-GitHub-Api-Version\" request \
                             header, \"{given}\", is not a supported version. The following \
                             versions are currently supported: \"2022-11-28\", \"2026-03-10\"."
                        ),
                        "https://docs.github.com/rest/about-the-rest-api/api-versions",
                    ));
                }
            },
        };

        let token = match headers.get(AUTHORIZATION) {
            None => {
                return Err(basic_error(
                    StatusCode::UNAUTHORIZED,
                    "Requires authentication",
                    DOC_REST,
                ))
            }
            Some(v) => v.to_str().ok().and_then(token_from_header),
        };
        let bad_credentials = || basic_error(StatusCode::UNAUTHORIZED, "Bad credentials", DOC_REST);
        let Some(token) = token else {
            return Err(bad_credentials());
        };

        let state = gh.state();
        // Tokens point at the user id, so a renamed user keeps working (ref §4).
        let Some(grant) = state.tokens.get(token).filter(|g| !g.revoked) else {
            return Err(bad_credentials());
        };
        let Some(user) = state.users.get(&grant.user_id) else {
            return Err(bad_credentials());
        };

        let web = format!("http://{}", host(headers, parts));
        Ok(Caller {
            user: user.clone(),
            scopes: grant.scopes.clone(),
            version,
            api: format!("{web}{}", gh.api_prefix),
            web,
        })
    }
}

/// `Bearer T` or `token T`, both fine for OAuth tokens (ref §3 [N]).
fn token_from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let ok = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
    let token = token.trim();
    (ok && !token.is_empty()).then_some(token)
}

fn host(headers: &HeaderMap, parts: &Parts) -> String {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "127.0.0.1".to_owned())
}

impl Caller {
    /// An answer to this caller, with the scope headers every OAuth-token
    /// response carries (ref §3 "Scope headers").
    fn respond(&self, accepted: &[&str], mut response: Response) -> Response {
        let headers = response.headers_mut();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        put("x-oauth-scopes", self.scopes.join(", "));
        put("x-accepted-oauth-scopes", accepted.join(", "));
        put("x-github-api-version-selected", self.version.to_owned());
        response
    }

    fn ok(&self, accepted: &[&str], body: &Value) -> Response {
        self.respond(accepted, json_response(StatusCode::OK, body))
    }

    fn error(&self, accepted: &[&str], status: StatusCode, message: &str, doc: &str) -> Response {
        self.respond(accepted, basic_error(status, message, doc))
    }

    /// A `403` answer when the token lacks every accepted scope (ref §3).
    fn lacks_scope(&self, accepted: &[&str], message: &str, doc: &str) -> Option<Response> {
        (!scopes::satisfies(&self.scopes, accepted))
            .then(|| self.error(accepted, StatusCode::FORBIDDEN, message, doc))
    }
}

// ---------------------------------------------------------------------------
// JSON shapes
// ---------------------------------------------------------------------------

/// Legacy global node ids are base64 of "<len>:<Type><id>", e.g. `MDQ6VXNlcjE=` for user 1.
fn node_id(kind: &str, id: u64) -> String {
    STANDARD.encode(format!("{:02}:{kind}{id}", kind.len()))
}

/// "simple-user".
fn simple_user(user: &FakeUser, web: &str, api: &str) -> Value {
    let login = &user.login;
    let url = format!("{api}/users/{login}");
    json!({
        "login": login,
        "id": user.id,
        "node_id": node_id("User", user.id),
        "avatar_url": format!("{web}/avatars/u/{}?v=4", user.id),
        "gravatar_id": "",
        "url": url,
        "html_url": format!("{web}/{login}"),
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": "User",
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// "public-user", or "private-user" when the token has the `user` scope:
/// private profile fields need `user` (ref §3 GET /user).
fn full_user(user: &FakeUser, private: bool, web: &str, api: &str) -> Value {
    let mut value = simple_user(user, web, api);
    let obj = value.as_object_mut().expect("simple_user is an object");
    let public = json!({
        "name": user.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": null,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
    });
    obj.extend(public.as_object().cloned().unwrap_or_default());
    if private {
        let private = json!({
            "notification_email": null,
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": false,
            "plan": {
                "name": "free",
                "space": 976562499,
                "collaborators": 0,
                "private_repos": 10000
            },
        });
        obj.extend(private.as_object().cloned().unwrap_or_default());
    }
    value
}

/// "organization-simple" (ref §3 /user/orgs).
fn org_simple(org_login: &str, org_id: u64, web: &str, api: &str) -> Value {
    let url = format!("{api}/orgs/{org_login}");
    json!({
        "login": org_login,
        "id": org_id,
        "node_id": node_id("Organization", org_id),
        "url": url,
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events"),
        "hooks_url": format!("{url}/hooks"),
        "issues_url": format!("{url}/issues"),
        "members_url": format!("{url}/members{{/member}}"),
        "public_members_url": format!("{url}/public_members{{/member}}"),
        "avatar_url": format!("{web}/avatars/u/{org_id}?v=4"),
        "description": null,
    })
}

/// The "organization-full" that team-full embeds.
fn org_full(org_login: &str, org_id: u64, web: &str, api: &str) -> Value {
    let mut value = org_simple(org_login, org_id, web, api);
    let extra = json!({
        "name": org_login,
        "company": null,
        "blog": null,
        "location": null,
        "email": null,
        "twitter_username": null,
        "is_verified": false,
        "has_organization_projects": true,
        "has_repository_projects": true,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "html_url": format!("{web}/{org_login}"),
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "archived_at": null,
        "type": "Organization",
    });
    if let (Some(obj), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
        obj.extend(extra.clone());
    }
    value
}

/// "team-full" (ref §3 /user/teams). The fake knows teams only by slug, so
/// the slug doubles as the name.
fn team_full(team: &FakeTeamMembership, members_count: usize, web: &str, api: &str) -> Value {
    let url = format!("{api}/organizations/{}/team/{}", team.org_id, team.team_id);
    json!({
        "id": team.team_id,
        "node_id": node_id("Team", team.team_id),
        "url": url,
        "html_url": format!("{web}/orgs/{}/teams/{}", team.org_login, team.team_slug),
        "name": team.team_slug,
        "slug": team.team_slug,
        "description": null,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": format!("{url}/members{{/member}}"),
        "repositories_url": format!("{url}/repos"),
        "parent": null,
        "members_count": members_count,
        "repos_count": 0,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "organization": org_full(&team.org_login, team.org_id, web, api),
    })
}

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    per_page: Option<String>,
    page: Option<String>,
}

/// `per_page` (default 30, max 100) and `page` (default 1), with a `Link`
/// header when there is more than one page (ref §3 /user/orgs). Values that
/// are not positive numbers fall back to the defaults.
fn paginate(items: Vec<Value>, query: &PageQuery, list_url: &str) -> (Value, Option<String>) {
    let number = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<usize>().ok());
    let per_page = number(&query.per_page)
        .filter(|n| *n > 0)
        .unwrap_or(30)
        .min(100);
    let page = number(&query.page).filter(|n| *n > 0).unwrap_or(1);
    let last = items.len().div_ceil(per_page).max(1);

    let link_to =
        |n: usize, rel: &str| format!("<{list_url}?per_page={per_page}&page={n}>; rel=\"{rel}\"");
    // GitHub's order: prev, next, last, first.
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to((page - 1).min(last), "prev"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    if page > 1 {
        links.push(link_to(1, "first"));
    }

    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let link = (!links.is_empty()).then(|| links.join(", "));
    (Value::Array(chunk), link)
}

fn with_link(mut response: Response, link: Option<String>) -> Response {
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert("link", v);
    }
    response
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

async fn get_user(caller: Caller) -> Response {
    let private = scopes::satisfies(&caller.scopes, &["user"]);
    let body = full_user(&caller.user, private, &caller.web, &caller.api);
    caller.ok(ACCEPT_USER, &body)
}

async fn list_orgs(caller: Caller, Query(query): Query<PageQuery>) -> Response {
    if let Some(denied) = caller.lacks_scope(
        ACCEPT_ORGS,
        "You need at least read:org scope or user scope to list your organizations.",
        DOC_ORGS,
    ) {
        return denied;
    }
    // Only active memberships: an invitation is not membership yet.
    // (Whether GitHub lists invitees here is UNCONFIRMED, ref §5.)
    let mut seen = Vec::new();
    let items: Vec<Value> = caller
        .user
        .orgs
        .iter()
        .filter(|m| m.active)
        .filter(|m| {
            let first = !seen.contains(&m.org_id);
            seen.push(m.org_id);
            first
        })
        .map(|m| org_simple(&m.org_login, m.org_id, &caller.web, &caller.api))
        .collect();
    let (body, link) = paginate(items, &query, &format!("{}/user/orgs", caller.api));
    with_link(caller.ok(ACCEPT_ORGS, &body), link)
}

async fn get_org_membership(caller: Caller, Path(org): Path<String>) -> Response {
    if let Some(denied) = caller.lacks_scope(
        ACCEPT_READ_ORG,
        "You need at least read:org scope to view your organization memberships.",
        DOC_ORG_MEMBERSHIP,
    ) {
        return denied;
    }
    // `{org}` is case-insensitive (ref §3 [K]).
    let Some(m) = find_org(&caller.user, &org) else {
        return caller.error(
            ACCEPT_READ_ORG,
            StatusCode::NOT_FOUND,
            "Not Found",
            DOC_ORG_MEMBERSHIP,
        );
    };
    let (web, api) = (&caller.web, &caller.api);
    let org_url = format!("{api}/orgs/{}", m.org_login);
    let body = json!({
        "url": format!("{org_url}/memberships/{}", caller.user.login),
        "state": if m.active { "active" } else { "pending" },
        "role": m.role,
        "organization_url": org_url,
        "organization": org_simple(&m.org_login, m.org_id, web, api),
        "user": simple_user(&caller.user, web, api),
    });
    caller.ok(ACCEPT_READ_ORG, &body)
}

fn find_org<'a>(user: &'a FakeUser, org: &str) -> Option<&'a FakeOrgMembership> {
    user.orgs
        .iter()
        .find(|m| m.org_login.eq_ignore_ascii_case(org))
}

async fn list_teams(
    caller: Caller,
    State(gh): State<FakeGithub>,
    Query(query): Query<PageQuery>,
) -> Response {
    if let Some(denied) = caller.lacks_scope(
        ACCEPT_TEAMS,
        "You need at least read:org scope or user scope or repo scope to list your teams.",
        DOC_TEAMS,
    ) {
        return denied;
    }
    let items: Vec<Value> = {
        let state = gh.state();
        let members_count = |team_id: u64| {
            state
                .users
                .values()
                .filter(|u| u.teams.iter().any(|t| t.team_id == team_id && t.active))
                .count()
        };
        // Pending team memberships are left out, like pending org ones
        // (UNCONFIRMED for GitHub).
        caller
            .user
            .teams
            .iter()
            .filter(|t| t.active)
            .map(|t| team_full(t, members_count(t.team_id), &caller.web, &caller.api))
            .collect()
    };
    let (body, link) = paginate(items, &query, &format!("{}/user/teams", caller.api));
    with_link(caller.ok(ACCEPT_TEAMS, &body), link)
}

async fn get_team_membership(
    caller: Caller,
    State(gh): State<FakeGithub>,
    Path((org, team_slug, username)): Path<(String, String, String)>,
) -> Response {
    if let Some(denied) = caller.lacks_scope(
        ACCEPT_READ_ORG,
        "You need at least read:org scope to view team memberships.",
        DOC_TEAM_MEMBERSHIP,
    ) {
        return denied;
    }
    let not_found = || {
        caller.error(
            ACCEPT_READ_ORG,
            StatusCode::NOT_FOUND,
            "Not Found",
            DOC_TEAM_MEMBERSHIP,
        )
    };

    // Team routes are for members of the team's org (ref §3 [I]); GitHub
    // hides what a caller may not see behind 404 (ref §3 [M]). A caller may
    // always look up themselves, so an invitee can see "pending"
    // (UNCONFIRMED).
    let is_self = caller.user.login.eq_ignore_ascii_case(&username);
    let caller_in_org = find_org(&caller.user, &org).is_some_and(|m| m.active);
    if !is_self && !caller_in_org {
        return not_found();
    }

    let state = gh.state();
    // By the *current* login: after a rename the old login names nobody, or
    // whoever took it since (ref §4).
    let Some(target) = state.user_by_login(&username) else {
        return not_found();
    };
    let Some(team) = target
        .teams
        .iter()
        .find(|t| t.org_login.eq_ignore_ascii_case(&org) && t.team_slug == team_slug)
    else {
        return not_found();
    };
    // Org owners show as maintainer (ref §3 [I]).
    let role = match find_org(target, &org) {
        Some(m) if m.role == "admin" => "maintainer",
        _ => "member",
    };
    let body = json!({
        "url": format!(
            "{}/organizations/{}/team/{}/memberships/{}",
            caller.api, team.org_id, team.team_id, target.login
        ),
        "role": role,
        "state": if team.active { "active" } else { "pending" },
    });
    drop(state);
    caller.ok(ACCEPT_READ_ORG, &body)
}

/// A plain square per id, so `avatar_url` resolves without the real avatar host.
pub(crate) async fn avatar(Path(id): Path<String>) -> Response {
    let hue = id.bytes().fold(0u32, |h, b| (h * 31 + u32::from(b)) % 360);
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">\
         <rect width=\"64\" height=\"64\" fill=\"hsl({hue},60%,55%)\"/></svg>"
    );
    ([(CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}
