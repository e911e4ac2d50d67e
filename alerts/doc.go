// Package alerts owns what happens once a scan is done: the rules that name the
// alerts, their lifecycle and silences, the subscriptions and the routing that words
// each notification for its subscriber, and the outbox that package notify delivers.
package alerts
