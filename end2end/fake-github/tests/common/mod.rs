//! Shared helpers for the integration tests: a running fake, a client that
//! does not follow redirects, and small wrappers for the flow's steps.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use fake_github::{FakeGithub, FakeOrgMembership, FakeTeamMembership, FakeUser};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{redirect, Client, Response, StatusCode};
use sha2::{Digest as _, Sha256};
use url::Url;

pub const CLIENT_ID: &str = "Iv1.testclient";
pub const CLIENT_SECRET: &str = "s3cr3t+/=:&x";
pub const CALLBACK: &str = "http://127.0.0.1/auth/github/callback";
pub const UA: &str = "caretaker-tests";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub const ALICE: u64 = 1001;
pub const BOB: u64 = 1002;
pub const CAROL: u64 = 1003;
pub const ACME_ID: u64 = 9001;
pub const OPS_TEAM_ID: u64 = 7001;

/// A user with an active admin membership of "Acme", an active team membership.
pub fn alice() -> FakeUser {
    FakeUser {
        id: ALICE,
        login: "alice".into(),
        name: Some("Alice A.".into()),
        orgs: vec![
            FakeOrgMembership::active("Acme", ACME_ID, "admin"),
            FakeOrgMembership::active("other-org", 9002, "member"),
            FakeOrgMembership::pending("invited-org", 9003, "member"),
        ],
        teams: vec![FakeTeamMembership::active(
            "Acme",
            ACME_ID,
            "ops",
            OPS_TEAM_ID,
        )],
    }
}

/// A user invited to "Acme" who has not accepted yet.
pub fn bob() -> FakeUser {
    FakeUser {
        id: BOB,
        login: "bob".into(),
        name: None,
        orgs: vec![FakeOrgMembership::pending("Acme", ACME_ID, "member")],
        teams: vec![FakeTeamMembership::pending(
            "Acme",
            ACME_ID,
            "ops",
            OPS_TEAM_ID,
        )],
    }
}

/// A user with no ties at all.
pub fn carol() -> FakeUser {
    FakeUser::new(CAROL, "carol")
}

pub struct Ctx {
    pub fake: FakeGithub,
    pub base: String,
    /// No redirects followed, no default User-Agent.
    pub http: Client,
}

pub async fn start() -> Ctx {
    start_with(FakeGithub::new(CLIENT_ID, CLIENT_SECRET, CALLBACK)).await
}

pub async fn start_with(fake: FakeGithub) -> Ctx {
    fake.add_user(alice());
    fake.add_user(bob());
    fake.add_user(carol());
    fake.sign_in_as(Some(ALICE));
    let base = fake.serve().await.expect("serve");
    let http = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client");
    Ctx { fake, base, http }
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn query_map(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

pub fn location(resp: &Response) -> Url {
    let loc = resp
        .headers()
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ascii Location");
    Url::parse(loc).expect("absolute Location")
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ascii header"))
}

impl Ctx {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /login/oauth/authorize` with these parameters.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Response {
        let mut url = Url::parse(&self.url("/login/oauth/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        self.http.get(url).send().await.expect("authorize request")
    }

    /// The authorize request the oauth2 crate makes: response_type, client_id,
    /// state, PKCE S256, redirect_uri, space-joined scopes.
    pub async fn authorize_pkce(&self, redirect_uri: &str, scope: &str) -> Response {
        let challenge = challenge(VERIFIER);
        self.authorize(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("state", "xyz-state"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
        ])
        .await
    }

    /// Runs authorize with PKCE and returns the code from the redirect.
    pub async fn code(&self, scope: &str) -> String {
        let resp = self.authorize_pkce(CALLBACK, scope).await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        let q = query_map(&location(&resp));
        q.get("code").expect("code in redirect").clone()
    }

    /// POST to the token endpoint with a form body and `Accept: application/json`;
    /// returns the answer's headers and JSON body.
    pub async fn exchange(&self, form: &[(&str, &str)]) -> (HeaderMap, serde_json::Value) {
        let resp = self
            .http
            .post(self.url("/login/oauth/access_token"))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("token request");
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "token endpoint always answers 200"
        );
        let headers = resp.headers().clone();
        let json = resp.json().await.expect("JSON body");
        (headers, json)
    }

    /// The full flow for `scope`, returning the access token.
    pub async fn token(&self, scope: &str) -> String {
        let code = self.code(scope).await;
        let (_, json) = self
            .exchange(&[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("code", &code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", CALLBACK),
            ])
            .await;
        json["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {json}"))
            .to_owned()
    }

    /// `GET {base}{path}` with a User-Agent and `Authorization: Bearer token`.
    pub async fn api(&self, token: &str, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .header("User-Agent", UA)
            .header("Accept", "application/vnd.github+json")
            .bearer_auth(token)
            .send()
            .await
            .expect("api request")
    }
}
