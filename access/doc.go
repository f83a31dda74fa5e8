// Package access decides who may do what: it identifies a request (a session cookie from the
// login page, or a bearer API token), checks the route against one policy table of roles, guards
// forms against cross-site requests, and puts the principal in the request's context for
// handlers that scope what they return (a lead unit sees only its own records).
package access
