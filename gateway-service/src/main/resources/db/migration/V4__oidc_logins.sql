-- Browser sign-ins in flight at an identity provider (authorization code with PKCE): the state sent
-- there, the PKCE verifier and nonce kept here until the provider sends the browser back (once).
CREATE TABLE gateway.oidc_logins (
    state      text        PRIMARY KEY,
    provider   text        NOT NULL,
    verifier   text        NOT NULL,
    nonce      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
