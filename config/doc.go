// Package config owns chainriskd's YAML configuration: strict parsing (unknown keys
// and wrong types are errors with file:line:column), defaults for everything left out,
// cross-field validation, secrets that never print, and the cron specs the scheduler runs.
package config
