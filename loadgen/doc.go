// Package loadgen drives load against a chainriskd on this machine and measures it:
// open-loop (Paced) and closed-loop (Closed) runs over a request function, latency
// quantiles, status counts, and the API requests chainriskload and the overload test send.
package loadgen
