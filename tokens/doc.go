// Package tokens owns API tokens: the roles a token may carry, making a token (a
// random plain token shown once, and the SHA-256 the store keeps), the rules a new
// token must meet, and the admin token of the demo.
package tokens
