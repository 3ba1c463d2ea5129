//! The REST routes (ref §3) and identity rules (ref §4).

mod common;

use common::*;
use fake_github::{FakeGithub, FakeTeamMembership, FakeUser};
use reqwest::StatusCode;
use serde_json::Value;

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

fn assert_json_content_type(resp: &reqwest::Response) {
    assert_eq!(
        header(resp.headers(), "content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn user_agent_is_required() {
    let ctx = start().await;
    let token = ctx.token("read:org").await;
    let resp = ctx
        .http
        .get(ctx.url("/user"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_json_content_type(&resp);
    let body = json(resp).await;
    assert_eq!(body["status"], "403");
    assert!(body["message"].as_str().unwrap().contains("User-Agent"));
    assert!(body["documentation_url"].is_string());
}

#[tokio::test]
async fn api_version_header_is_checked() {
    let ctx = start().await;
    let token = ctx.token("read:org").await;
    let get = |version: Option<&'static str>| {
        let mut req = ctx
            .http
            .get(ctx.url("/user"))
            .header("User-Agent", UA)
            .bearer_auth(&token);
        if let Some(v) = version {
            req = req.header("X-GitHub-Api-Version", v);
        }
        req.send()
    };

    let resp = get(None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(resp.headers(), "x-github-api-version-selected"),
        Some("2022-11-28")
    );
    for v in ["2022-11-28", "2026-03-10"] {
        let resp = get(Some(v)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{v}");
        assert_eq!(
            header(resp.headers(), "x-github-api-version-selected"),
            Some(v)
        );
    }
    for v in ["v3", "2021-01-01", "2026-03-11"] {
        let resp = get(Some(v)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{v:?}");
        assert_json_content_type(&resp);
        assert_eq!(json(resp).await["status"], "400");
    }
}

#[tokio::test]
async fn authentication_failures() {
    let ctx = start().await;
    let token = ctx.token("read:org").await;

    // No token.
    let resp = ctx
        .http
        .get(ctx.url("/user"))
        .header("User-Agent", UA)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_json_content_type(&resp);
    assert_eq!(json(resp).await["message"], "Requires authentication");

    // Unknown token.
    let resp = ctx
        .api("gho_unknownunknownunknownunknownunknown1", "/user")
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_json_content_type(&resp);
    assert_eq!(
        json(resp).await,
        serde_json::json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        })
    );

    // `Authorization: token T` works as well as Bearer.
    let resp = ctx
        .http
        .get(ctx.url("/user"))
        .header("User-Agent", UA)
        .header("Authorization", format!("token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Revoked.
    ctx.fake.revoke_tokens();
    let resp = ctx.api(&token, "/user").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(resp).await["message"], "Bad credentials");

    // A new token works again.
    let fresh = ctx.token("read:org").await;
    assert_eq!(ctx.api(&fresh, "/user").await.status(), StatusCode::OK);
    assert!(ctx.fake.revoke_token(&fresh));
    assert_eq!(
        ctx.api(&fresh, "/user").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn get_user_shape_and_scope_headers() {
    let ctx = start().await;
    let token = ctx.token("read:org read:user").await;
    let resp = ctx.api(&token, "/user").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_json_content_type(&resp);
    assert_eq!(
        header(resp.headers(), "x-oauth-scopes"),
        Some("read:org, read:user")
    );
    assert_eq!(header(resp.headers(), "x-accepted-oauth-scopes"), Some(""));
    let user = json(resp).await;
    assert_eq!(user["login"], "alice");
    assert_eq!(user["id"], ALICE);
    assert_eq!(user["type"], "User");
    assert_eq!(user["site_admin"], false);
    assert_eq!(user["name"], "Alice A.");
    assert!(user["email"].is_null());
    assert_eq!(user["node_id"], "MDQ6VXNlcjEwMDE="); // "04:User1001"
    for field in ["avatar_url", "html_url", "url", "created_at", "updated_at"] {
        assert!(user[field].is_string(), "{field}");
    }
    // Private-profile fields need the `user` scope.
    assert!(user.get("two_factor_authentication").is_none());

    let token = ctx.token("user").await;
    let user = json(ctx.api(&token, "/user").await).await;
    assert_eq!(user["two_factor_authentication"], false);
    assert!(user["plan"].is_object());

    // The avatar URL resolves on the fake itself.
    let avatar = user["avatar_url"].as_str().unwrap();
    assert!(avatar.starts_with(&ctx.base));
    let resp = ctx.http.get(avatar).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn user_orgs_needs_read_org_or_user() {
    let ctx = start().await;
    let token = ctx.token("read:user").await;
    let resp = ctx.api(&token, "/user/orgs").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_json_content_type(&resp);
    assert_eq!(header(resp.headers(), "x-oauth-scopes"), Some("read:user"));
    assert_eq!(
        header(resp.headers(), "x-accepted-oauth-scopes"),
        Some("admin:org, read:org, user, write:org")
    );
    assert_eq!(json(resp).await["status"], "403");

    for scope in ["read:org", "user", "admin:org"] {
        let token = ctx.token(scope).await;
        let resp = ctx.api(&token, "/user/orgs").await;
        assert_eq!(resp.status(), StatusCode::OK, "{scope}");
        // Active memberships only: "invited-org" is pending.
        let orgs = json(resp).await;
        let logins: Vec<&str> = orgs
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["login"].as_str().unwrap())
            .collect();
        assert_eq!(logins, ["Acme", "other-org"]);
        assert_eq!(orgs[0]["id"], ACME_ID);
        for field in ["node_id", "url", "repos_url", "members_url", "avatar_url"] {
            assert!(orgs[0][field].is_string(), "{field}");
        }
        assert!(orgs[0]["description"].is_null());
    }
}

#[tokio::test]
async fn lists_are_paginated_with_link_headers() {
    let ctx = start().await;
    let mut many = FakeUser::new(2000, "joiner");
    for i in 0..5u64 {
        many.orgs.push(fake_github::FakeOrgMembership::active(
            &format!("org{i}"),
            100 + i,
            "member",
        ));
    }
    ctx.fake.add_user(many);
    ctx.fake.sign_in_as(Some(2000));
    let token = ctx.token("read:org").await;

    // Everything fits in the default page of 30: no Link header.
    let resp = ctx.api(&token, "/user/orgs").await;
    assert!(resp.headers().get("link").is_none());
    assert_eq!(json(resp).await.as_array().unwrap().len(), 5);

    let resp = ctx.api(&token, "/user/orgs?per_page=2").await;
    let link = header(resp.headers(), "link").unwrap().to_owned();
    let list = format!("{}/user/orgs", ctx.base);
    assert_eq!(
        link,
        format!(
            "<{list}?per_page=2&page=2>; rel=\"next\", <{list}?per_page=2&page=3>; rel=\"last\""
        )
    );
    let page1 = json(resp).await;
    assert_eq!(page1[0]["login"], "org0");
    assert_eq!(page1.as_array().unwrap().len(), 2);

    let resp = ctx.api(&token, "/user/orgs?per_page=2&page=3").await;
    let link = header(resp.headers(), "link").unwrap().to_owned();
    assert!(link.contains("rel=\"prev\""));
    assert!(link.contains("rel=\"first\""));
    assert!(!link.contains("rel=\"next\""));
    let page3 = json(resp).await;
    assert_eq!(page3.as_array().unwrap().len(), 1);
    assert_eq!(page3[0]["login"], "org4");

    // per_page is capped at 100.
    let resp = ctx.api(&token, "/user/orgs?per_page=500").await;
    assert!(resp.headers().get("link").is_none());
}

#[tokio::test]
async fn org_membership_active_pending_and_none() {
    let ctx = start().await;
    let alice_token = ctx.token("read:org").await;

    // Case-insensitive org name.
    let resp = ctx.api(&alice_token, "/user/memberships/orgs/acme").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(resp.headers(), "x-accepted-oauth-scopes"),
        Some("admin:org, read:org, write:org")
    );
    let m = json(resp).await;
    assert_eq!(m["state"], "active");
    assert_eq!(m["role"], "admin");
    assert_eq!(m["organization"]["login"], "Acme");
    assert_eq!(m["organization"]["id"], ACME_ID);
    assert_eq!(m["user"]["id"], ALICE);
    assert!(m["url"].is_string());

    let resp = ctx
        .api(&alice_token, "/user/memberships/orgs/nowhere")
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_json_content_type(&resp);
    assert_eq!(json(resp).await["status"], "404");

    ctx.fake.sign_in_as(Some(BOB));
    let bob_token = ctx.token("read:org").await;
    let m = json(ctx.api(&bob_token, "/user/memberships/orgs/Acme").await).await;
    assert_eq!(m["state"], "pending");
    // And a pending org does not appear in /user/orgs.
    let orgs = json(ctx.api(&bob_token, "/user/orgs").await).await;
    assert_eq!(orgs, serde_json::json!([]));

    // Needs read:org.
    let weak = ctx.token("read:user").await;
    let resp = ctx.api(&weak, "/user/memberships/orgs/Acme").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn team_membership_active_pending_none() {
    let ctx = start().await;
    let alice_token = ctx.token("read:org").await;
    let path = |login: &str| format!("/orgs/Acme/teams/ops/memberships/{login}");

    let resp = ctx.api(&alice_token, &path("alice")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_json_content_type(&resp);
    let m = json(resp).await;
    assert_eq!(m["state"], "active");
    // Alice owns the org: owners show as maintainer (ref §3).
    assert_eq!(m["role"], "maintainer");
    assert!(m["url"].as_str().unwrap().ends_with("/memberships/alice"));

    let m = json(ctx.api(&alice_token, &path("bob")).await).await;
    assert_eq!(m["state"], "pending");
    assert_eq!(m["role"], "member");

    assert_eq!(
        ctx.api(&alice_token, &path("carol")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ctx.api(&alice_token, &path("nobody-at-all")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ctx.api(
            &alice_token,
            "/orgs/Acme/teams/no-such-team/memberships/alice"
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );

    // Bob, the invitee, sees his own pending state.
    ctx.fake.sign_in_as(Some(BOB));
    let bob_token = ctx.token("read:org").await;
    let m = json(ctx.api(&bob_token, &path("bob")).await).await;
    assert_eq!(m["state"], "pending");
    // But he is not in the org, so he cannot look at others.
    assert_eq!(
        ctx.api(&bob_token, &path("alice")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Needs read:org.
    ctx.fake.sign_in_as(Some(ALICE));
    let weak = ctx.token("user").await;
    let resp = ctx.api(&weak, &path("alice")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(resp.headers(), "x-oauth-scopes"), Some("user"));
}

#[tokio::test]
async fn user_teams_lists_active_teams() {
    let ctx = start().await;
    let token = ctx.token("read:org").await;
    let resp = ctx.api(&token, "/user/teams").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let teams = json(resp).await;
    let teams = teams.as_array().unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0]["id"], OPS_TEAM_ID);
    assert_eq!(teams[0]["slug"], "ops");
    assert_eq!(teams[0]["organization"]["login"], "Acme");
    assert_eq!(teams[0]["organization"]["id"], ACME_ID);
    assert_eq!(teams[0]["members_count"], 1);

    let weak = ctx.token("read:user").await;
    assert_eq!(
        ctx.api(&weak, "/user/teams").await.status(),
        StatusCode::FORBIDDEN
    );
    let repo = ctx.token("repo").await;
    assert_eq!(ctx.api(&repo, "/user/teams").await.status(), StatusCode::OK);
}

/// Tokens point at the durable id; logins can be renamed and reused (ref §4).
#[tokio::test]
async fn rename_keeps_the_id_and_frees_the_old_login() {
    let ctx = start().await;
    let token = ctx.token("read:org").await;
    ctx.fake.rename_user(ALICE, "alice-renamed");

    let user = json(ctx.api(&token, "/user").await).await;
    assert_eq!(user["id"], ALICE);
    assert_eq!(user["login"], "alice-renamed");

    let old = "/orgs/Acme/teams/ops/memberships/alice";
    let new = "/orgs/Acme/teams/ops/memberships/alice-renamed";
    assert_eq!(ctx.api(&token, old).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ctx.api(&token, new).await.status(), StatusCode::OK);

    // Someone else registers the freed login, with their own team membership
    // pending: the old login now names them.
    let mut squatter = FakeUser::new(4242, "alice");
    squatter.teams.push(FakeTeamMembership::pending(
        "Acme",
        ACME_ID,
        "ops",
        OPS_TEAM_ID,
    ));
    ctx.fake.add_user(squatter);
    let m = json(ctx.api(&token, old).await).await;
    assert_eq!(m["state"], "pending");
    assert!(m["url"].as_str().unwrap().ends_with("/memberships/alice"));

    // Their token says who they are by id.
    ctx.fake.sign_in_as(Some(4242));
    let theirs = ctx.token("read:org").await;
    let user = json(ctx.api(&theirs, "/user").await).await;
    assert_eq!(user["id"], 4242);
    assert_eq!(user["login"], "alice");
}

#[tokio::test]
async fn ghes_style_api_prefix() {
    let fake = FakeGithub::new(CLIENT_ID, CLIENT_SECRET, CALLBACK).with_api_prefix("/api/v3/");
    assert_eq!(fake.api_prefix(), "/api/v3");
    let ctx = start_with(fake).await;
    let token = ctx.token("read:org").await;

    let resp = ctx.api(&token, "/api/v3/user").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let user = json(resp).await;
    assert!(user["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/api/v3/users/", ctx.base)));

    let resp = ctx.api(&token, "/api/v3/user/orgs?per_page=1").await;
    let link = header(resp.headers(), "link").unwrap();
    assert!(link.contains(&format!(
        "<{}/api/v3/user/orgs?per_page=1&page=2>",
        ctx.base
    )));

    // Not at the root: the API lives under the prefix only.
    assert_eq!(
        ctx.api(&token, "/user").await.status(),
        StatusCode::NOT_FOUND
    );
    // Unknown REST paths answer GitHub's JSON 404.
    let resp = ctx.api(&token, "/api/v3/nope").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_json_content_type(&resp);
}
