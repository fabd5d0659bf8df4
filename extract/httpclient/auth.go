package httpclient

import (
	"context"
	"net/http"
)

// Authenticator adds credentials to an outgoing request. It runs on every
// attempt, so an implementation holding a short-lived token can renew it
// between retries.
type Authenticator interface {
	Apply(ctx context.Context, req *http.Request) error
}

// Refresher is implemented by Authenticators whose credentials can go stale
// (tokens). On a 401 the Client calls Invalidate once and retries the request
// once; a second 401 is returned to the caller.
type Refresher interface {
	Invalidate(ctx context.Context)
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(ctx context.Context, req *http.Request) error

// Apply implements Authenticator.
func (f AuthFunc) Apply(ctx context.Context, req *http.Request) error { return f(ctx, req) }

// HeaderAuth sets a fixed header, e.g. HeaderAuth("Authorization", "Bearer "+key)
// or HeaderAuth("X-API-Key", key).
func HeaderAuth(name, value string) Authenticator {
	return headerAuth{name: name, value: value}
}

// BearerAuth sends "Authorization: Bearer <token>".
func BearerAuth(token string) Authenticator {
	return headerAuth{name: "Authorization", value: "Bearer " + token, secret: token}
}

// BasicAuth sends HTTP basic credentials.
func BasicAuth(user, password string) Authenticator {
	return basicAuth{user: user, password: password}
}

// secretHolder lets New add the built-in authenticators' credentials to the
// redaction list, so a source cannot forget to list them in Config.Secrets.
type secretHolder interface{ secrets() []string }

type headerAuth struct{ name, value, secret string }

func (a headerAuth) Apply(_ context.Context, req *http.Request) error {
	req.Header.Set(a.name, a.value)
	return nil
}

func (a headerAuth) secrets() []string {
	if a.secret != "" {
		return []string{a.value, a.secret}
	}
	return []string{a.value}
}

type basicAuth struct{ user, password string }

func (a basicAuth) Apply(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(a.user, a.password)
	return nil
}

func (a basicAuth) secrets() []string { return []string{a.password} }
