//! The OAuth web flow: authorize (ref §1) and the code exchange (ref §2).

mod common;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use fake_github::FakeGithub;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;

fn body_credentials(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", CALLBACK),
    ]
}

#[tokio::test]
async fn happy_path_with_pkce() {
    let ctx = start().await;
    let resp = ctx.authorize_pkce(CALLBACK, "read:org read:user").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let loc = location(&resp);
    assert_eq!(
        format!(
            "{}://{}{}",
            loc.scheme(),
            loc.host_str().unwrap(),
            loc.path()
        ),
        CALLBACK
    );
    let q = query_map(&loc);
    assert_eq!(q["state"], "xyz-state");
    let code = &q["code"];
    assert_eq!(code.len(), 20);
    assert!(code.chars().all(|c| c.is_ascii_hexdigit()));
    // The code comes first, then state: `redirect_uri?code=CODE&state=STATE`.
    assert!(loc.query().unwrap().starts_with("code="));

    let (headers, json) = ctx.exchange(&body_credentials(code)).await;
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
    let token = json["access_token"].as_str().unwrap();
    assert!(token.starts_with("gho_"));
    assert_eq!(token.len(), 40);
    assert!(token[4..].chars().all(|c| c.is_ascii_alphanumeric()));
    // Comma-joined, no spaces; lowercase bearer (ref §2).
    assert_eq!(json["scope"], "read:org,read:user");
    assert_eq!(json["token_type"], "bearer");
    assert!(json.get("expires_in").is_none());

    let resp = ctx.api(token, "/user").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(resp.headers(), "x-oauth-scopes"),
        Some("read:org, read:user")
    );
    let user: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(user["id"], ALICE);
    assert_eq!(user["login"], "alice");

    assert_eq!(ctx.fake.authorize_scopes(), vec!["read:org read:user"]);
    let records = ctx.fake.token_requests();
    assert_eq!(records.len(), 1);
    assert!(!records[0].basic_auth);
    assert_eq!(records[0].param("code_verifier"), Some(VERIFIER));
    assert_eq!(records[0].error, None);
}

#[tokio::test]
async fn state_is_omitted_when_not_given_and_response_type_is_ignored() {
    let ctx = start().await;
    let resp = ctx
        .authorize(&[("client_id", CLIENT_ID), ("response_type", "whatever")])
        .await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let q = query_map(&location(&resp));
    assert!(q.contains_key("code"));
    assert!(!q.contains_key("state"));
    // No scope requested: the token has none.
    assert_eq!(ctx.fake.authorize_scopes(), vec![""]);
}

#[tokio::test]
async fn reused_code_is_bad_verification_code() {
    let ctx = start().await;
    let code = ctx.code("read:org").await;
    let (_, first) = ctx.exchange(&body_credentials(&code)).await;
    assert!(first["access_token"].is_string());
    let (_, second) = ctx.exchange(&body_credentials(&code)).await;
    assert_eq!(second["error"], "bad_verification_code");
    assert_eq!(
        second["error_description"],
        "The code passed is incorrect or expired."
    );
    assert_eq!(
        second["error_uri"],
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"
    );
    assert!(second.get("access_token").is_none());
}

#[tokio::test]
async fn unknown_code_is_bad_verification_code() {
    let ctx = start().await;
    let (_, json) = ctx
        .exchange(&body_credentials("0123456789abcdef0123"))
        .await;
    assert_eq!(json["error"], "bad_verification_code");
}

#[tokio::test]
async fn code_expires_after_ten_minutes() {
    let ctx = start().await;
    let code = ctx.code("read:org").await;
    ctx.fake.advance_clock(Duration::from_secs(10 * 60));
    let (_, json) = ctx.exchange(&body_credentials(&code)).await;
    assert_eq!(json["error"], "bad_verification_code");

    let code = ctx.code("read:org").await;
    ctx.fake.advance_clock(Duration::from_secs(9 * 60));
    let (_, json) = ctx.exchange(&body_credentials(&code)).await;
    assert!(json["access_token"].is_string(), "{json}");
}

#[tokio::test]
async fn wrong_or_missing_verifier_is_refused() {
    let ctx = start().await;
    let code = ctx.code("read:org").await;

    let mut form = body_credentials(&code);
    form.retain(|(k, _)| *k != "code_verifier");
    form.push((
        "code_verifier",
        "not-the-verifier-not-the-verifier-not-the-v",
    ));
    let (_, json) = ctx.exchange(&form).await;
    assert_eq!(json["error"], "bad_verification_code");

    form.retain(|(k, _)| *k != "code_verifier");
    let (_, json) = ctx.exchange(&form).await;
    assert_eq!(json["error"], "bad_verification_code");

    // A failed exchange does not use the code up.
    let (_, json) = ctx.exchange(&body_credentials(&code)).await;
    assert!(json["access_token"].is_string(), "{json}");
}

#[tokio::test]
async fn wrong_client_credentials() {
    let ctx = start().await;
    let code = ctx.code("read:org").await;
    for (id, secret) in [(CLIENT_ID, "wrong"), ("other-client", CLIENT_SECRET)] {
        let mut form = body_credentials(&code);
        form.retain(|(k, _)| *k != "client_id" && *k != "client_secret");
        form.push(("client_id", id));
        form.push(("client_secret", secret));
        let (_, json) = ctx.exchange(&form).await;
        assert_eq!(json["error"], "incorrect_client_credentials");
        assert_eq!(
            json["error_description"],
            "The client_id and/or client_secret passed are incorrect."
        );
        assert!(json["error_uri"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.github.com/"));
    }
    // No credentials at all.
    let (_, json) = ctx.exchange(&[("code", &code)]).await;
    assert_eq!(json["error"], "incorrect_client_credentials");
}

/// The oauth2 crate's default: `Authorization: Basic base64(urlenc(id):urlenc(secret))`.
#[tokio::test]
async fn basic_auth_credentials_are_accepted() {
    let ctx = start().await;
    let code = ctx.code("read:org").await;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = STANDARD.encode(format!("{}:{}", enc(CLIENT_ID), enc(CLIENT_SECRET)));
    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .header("Authorization", format!("Basic {basic}"))
        .header("Accept", "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    let json: serde_json::Value = resp.json().await.unwrap();
    assert!(json["access_token"].is_string(), "{json}");

    // A wrong secret over Basic fails like one in the body.
    let code = ctx.code("read:org").await;
    let basic = STANDARD.encode(format!("{}:{}", enc(CLIENT_ID), "nope"));
    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .header("Authorization", format!("Basic {basic}"))
        .header("Accept", "application/json")
        .form(&[("code", code.as_str()), ("code_verifier", VERIFIER)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["error"], "incorrect_client_credentials");

    let records = ctx.fake.token_requests();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.basic_auth));
    assert_eq!(records[0].basic_client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(records[0].param("client_secret"), None);
    assert_eq!(
        records[1].error.as_deref(),
        Some("incorrect_client_credentials")
    );
}

#[tokio::test]
async fn parameters_may_come_in_the_query_string() {
    let ctx = start().await;
    let code = ctx.code("read:org").await;
    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .header("Accept", "application/json")
        .query(&body_credentials(&code))
        .send()
        .await
        .unwrap();
    let json: serde_json::Value = resp.json().await.unwrap();
    assert!(json["access_token"].is_string(), "{json}");
}

#[tokio::test]
async fn answer_format_follows_accept() {
    let ctx = start().await;

    // No Accept: form encoding, success and error alike.
    let code = ctx.code("read:org user").await;
    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .form(&body_credentials(&code))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(resp.headers(), "content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("access_token=gho_"), "{body}");
    assert!(
        body.ends_with("&scope=read%3Aorg%2Cuser&token_type=bearer"),
        "{body}"
    );

    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .form(&body_credentials(&code))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(resp.headers(), CONTENT_TYPE.as_str()),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    let body = resp.text().await.unwrap();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs[0], ("error".into(), "bad_verification_code".into()));
    assert_eq!(pairs[1].0, "error_description");
    assert_eq!(pairs[2].0, "error_uri");

    // Accept with several types still picks JSON when it names it.
    let code = ctx.code("read:org").await;
    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .header("Accept", "text/html, application/json;q=0.9")
        .form(&body_credentials(&code))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(resp.headers(), "content-type"),
        Some("application/json; charset=utf-8")
    );

    // application/xml, as documented.
    let code = ctx.code("read:org").await;
    let resp = ctx
        .http
        .post(ctx.url("/login/oauth/access_token"))
        .header("Accept", "application/xml")
        .form(&body_credentials(&code))
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    assert!(
        body.starts_with(
            "<OAuth><token_type>bearer</token_type><scope>read:org</scope><access_token>gho_"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn scopes_are_normalized() {
    let ctx = start().await;
    let code = ctx.code("user user:email read:org read:org").await;
    let (_, json) = ctx.exchange(&body_credentials(&code)).await;
    assert_eq!(json["scope"], "user,read:org");
}

#[tokio::test]
async fn redirect_uri_rules() {
    let ctx = start().await;
    let cb = "http://127.0.0.1/auth/github/callback";

    // Accepted: the callback, a path below it, and any port on loopback.
    for ok in [
        cb.to_owned(),
        format!("{cb}/deeper/still"),
        "http://127.0.0.1:1234/auth/github/callback".to_owned(),
        "http://127.0.0.1:3000/auth/github/callback/x".to_owned(),
    ] {
        let resp = ctx.authorize_pkce(&ok, "read:org").await;
        assert_eq!(resp.status(), StatusCode::FOUND, "{ok}");
        let loc = location(&resp);
        assert!(loc.as_str().starts_with(&ok), "{ok} -> {loc}");
        assert!(query_map(&loc).contains_key("code"));
    }

    // Refused: another path, a parent path, another host, another scheme.
    // The browser goes to the *registered* callback with the error, never
    // to the bad URI ([E], ref §1).
    for bad in [
        "http://127.0.0.1/auth/github/other",
        "http://127.0.0.1/auth",
        "http://127.0.0.1/",
        "http://127.0.0.2/auth/github/callback",
        "http://evil.example/auth/github/callback",
        "https://127.0.0.1/auth/github/callback",
        "not a url",
    ] {
        let resp = ctx.authorize_pkce(bad, "read:org").await;
        assert_eq!(resp.status(), StatusCode::FOUND, "{bad}");
        let loc = location(&resp);
        assert_eq!(loc.as_str().split('?').next(), Some(cb), "{bad}");
        let q = query_map(&loc);
        assert_eq!(q["error"], "redirect_uri_mismatch", "{bad}");
        assert_eq!(
            q["error_description"],
            "The redirect_uri MUST match the registered callback URL for this application."
        );
        assert!(q["error_uri"].starts_with("https://docs.github.com/"));
        assert_eq!(q["state"], "xyz-state");
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn non_loopback_callback_needs_same_port_and_allows_subdomains() {
    let fake = FakeGithub::new(CLIENT_ID, CLIENT_SECRET, "http://example.com/path");
    let ctx = start_with(fake).await;
    let accepted = |resp: &reqwest::Response| query_map(&location(resp)).contains_key("code");

    for ok in [
        "http://example.com/path",
        "http://example.com/path/subdir/other",
        "http://oauth.example.com/path",
        "http://example.com:80/path",
    ] {
        assert!(accepted(&ctx.authorize_pkce(ok, "").await), "{ok}");
    }
    for bad in [
        "http://example.com/bar",
        "http://example.com/",
        "http://example.com:8080/path",
        "http://example.org/path",
        "http://example.com/pathology",
    ] {
        assert!(!accepted(&ctx.authorize_pkce(bad, "").await), "{bad}");
    }
}

#[tokio::test]
async fn redirect_uri_must_match_at_exchange() {
    let ctx = start().await;
    let used = format!("{CALLBACK}/sub");
    let resp = ctx.authorize_pkce(&used, "read:org").await;
    let code = query_map(&location(&resp))["code"].clone();

    let mut form = body_credentials(&code);
    form.retain(|(k, _)| *k != "redirect_uri");
    form.push(("redirect_uri", CALLBACK));
    let (_, json) = ctx.exchange(&form).await;
    assert_eq!(json["error"], "redirect_uri_mismatch");
    assert_eq!(
        json["error_description"],
        "The redirect_uri MUST match the registered callback URL for this application."
    );

    // Omitting redirect_uri skips the check; the same one passes.
    form.retain(|(k, _)| *k != "redirect_uri");
    form.push(("redirect_uri", &used));
    let (_, json) = ctx.exchange(&form).await;
    assert!(json["access_token"].is_string(), "{json}");
}

#[tokio::test]
async fn nobody_signed_in_means_access_denied() {
    let ctx = start().await;
    ctx.fake.sign_in_as(None);
    let sub = format!("{CALLBACK}/sub");
    let resp = ctx.authorize_pkce(&sub, "read:org").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let loc = location(&resp);
    assert_eq!(loc.as_str().split('?').next(), Some(sub.as_str()));
    let q = query_map(&loc);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(
        q["error_description"],
        "The user has denied your application access."
    );
    assert_eq!(
        q["error_uri"],
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"
    );
    assert_eq!(q["state"], "xyz-state");
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn unknown_client_id_gets_an_error_page() {
    let ctx = start().await;
    for params in [
        vec![("client_id", "nope"), ("state", "s")],
        vec![("state", "s")],
    ] {
        let resp = ctx.authorize(&params).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(resp.headers().get(LOCATION).is_none());
        assert_eq!(
            header(resp.headers(), "content-type"),
            Some("text/html; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn only_s256_pkce_is_accepted() {
    let ctx = start().await;
    let challenge = challenge(VERIFIER);
    for params in [
        vec![
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "plain"),
        ],
        vec![("code_challenge", VERIFIER)],
        vec![("code_challenge_method", "S256")],
    ] {
        let mut all = vec![("client_id", CLIENT_ID), ("state", "s")];
        all.extend(params);
        let resp = ctx.authorize(&all).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get(LOCATION).is_none());
    }
}

#[tokio::test]
async fn without_a_challenge_no_verifier_is_needed() {
    let ctx = start().await;
    let resp = ctx
        .authorize(&[("client_id", CLIENT_ID), ("scope", "read:org")])
        .await;
    let code = query_map(&location(&resp))["code"].clone();
    let (_, json) = ctx
        .exchange(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
        ])
        .await;
    assert!(json["access_token"].is_string(), "{json}");
}

#[tokio::test]
async fn refresh_tokens_are_not_issued() {
    let ctx = start().await;
    let (_, json) = ctx
        .exchange(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", "ghr_whatever"),
        ])
        .await;
    assert_eq!(json["error"], "bad_refresh_token");
}
