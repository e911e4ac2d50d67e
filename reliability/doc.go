// Package reliability holds chainrisk's crash-safety tests (docs/reliability.md): they build the
// real chainriskd and chainriskctl, SIGKILL the daemon at random moments while it
// ingests, scans and delivers webhooks, and check afterwards that nothing
// acknowledged was lost and that every notification reached its receiver once per key.
package reliability
