// Package notify renders and sends notifications that package alerts has worded: the
// Chinese and English summaries, the HTTP and robot plumbing with per-destination rate
// limits and the tenants' outbound policy, and one file per channel type registering it.
package notify
