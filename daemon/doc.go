// Package daemon assembles chainriskd — config, store, engine, scheduler, HTTP API and
// metrics — and runs it until its context ends. It never touches process signals, so
// tests run the whole daemon in-process exactly as cmd/chainriskd does.
package daemon
