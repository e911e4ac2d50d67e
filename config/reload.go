package config

import "reflect"

// RestartRequired lists the keys whose change between two configs a reload (SIGHUP)
// cannot apply, because they are bound when the daemon starts: the listeners, the data
// directory, the store and the HTTP server's limits. The daemon logs them and keeps
// running with the old values for those keys until it is restarted.
func RestartRequired(old, new *Config) []string {
	var keys []string
	for _, k := range []struct {
		name     string
		old, new any
	}{
		{"listen", old.Listen, new.Listen},
		{"ops_listen", old.OpsListen, new.OpsListen},
		{"data_dir", old.DataDir, new.DataDir},
		{"store", old.Store, new.Store},
		{"http", old.HTTP, new.HTTP},
	} {
		if !reflect.DeepEqual(k.old, k.new) {
			keys = append(keys, k.name)
		}
	}
	return keys
}
